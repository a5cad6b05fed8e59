"""Execute the book's notebooks with papermill: ``python -m oquab_lib.tools.runner``.

Notebooks are stored as jupytext py:percent scripts (``notebooks/*.py``); papermill needs an ``.ipynb``, so this module
converts each script in memory, checks the ``-p name value`` parameters against the notebook's ``parameters`` cell (an
unknown name is a one-line error listing the accepted ones, where papermill would only warn), executes it, and writes the
executed notebook atomically. Examples::

    python -m oquab_lib.tools.runner notebooks/cvpr14_table2.py out.ipynb -p profile full -p data_root /data
    python -m oquab_lib.tools.runner --toc _toc.yml --out book/executed -p profile quick
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from papermill.exceptions import PapermillExecutionError

from oquab_lib.cache import atomic_write_bytes
from oquab_lib.errors import ConfigError, OquabError
from oquab_lib.tools import build_times, uptodate

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def notebook_parameters(script: Path) -> dict[str, object]:
    """Names and default values of the ``parameters`` cell of a py:percent notebook."""
    import jupytext

    notebook = jupytext.read(script)
    for cell in notebook.cells:
        if "parameters" in cell.metadata.get("tags", []):
            tree = ast.parse(cell.source)
            return {
                target.id: ast.literal_eval(node.value)
                for node in tree.body
                if isinstance(node, ast.Assign)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
    raise ConfigError(f"{script}: no cell tagged 'parameters'; add '# %% tags=[\"parameters\"]' above the defaults")


def check_parameters(script: Path, given: dict[str, object]) -> None:
    accepted = notebook_parameters(script)
    for name in given:
        if name not in accepted:
            raise ConfigError(f"{script.name}: unknown parameter {name!r}; accepted: {', '.join(accepted)}")


def failed_path(output: Path) -> Path:
    """Where a failed run keeps its partly executed notebook (traceback included): ``<name>.failed.ipynb``."""
    return output.with_name(output.stem + ".failed.ipynb")


def execute(script: Path, output: Path, parameters: dict[str, object], cwd: Path | None = None,
            kernel: Kernel | None = None) -> float:
    """Run one notebook script with papermill into ``output`` (written atomically). Returns the wall time in seconds.

    On a failing cell the partly executed notebook, traceback included, is kept at :func:`failed_path` (a later
    success removes it) and papermill's error is raised with its ``failed_notebook`` attribute set to that path.
    ``kernel``: one :func:`start_kernel` started ahead (shut down here, whatever happens); else papermill starts one."""
    import jupytext
    import papermill

    if not script.is_file():
        raise ConfigError(f"notebook {script} does not exist; notebooks live in notebooks/*.py")
    check_parameters(script, parameters)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / (script.stem + ".ipynb")
        executed = Path(tmp) / ("executed-" + script.stem + ".ipynb")
        notebook = jupytext.read(script)
        notebook.metadata.setdefault("kernelspec", KERNELSPEC)
        notebook.metadata.setdefault("language_info", {"name": "python"})
        jupytext.write(notebook, source)
        try:
            with inline_figures():
                papermill.execute_notebook(
                    str(source), str(executed), parameters=parameters, cwd=str(cwd or Path.cwd()),
                    kernel_name="python3", progress_bar=False, log_output=False,
                    # every output is in the notebook by now: kill the kernel rather than wait for a graceful exit
                    # (a process that imported torch takes 1-2 s to finalise on two busy cores, once per chapter)
                    shutdown_kernel="immediate", km=kernel, start_timeout=START_TIMEOUT,
                )
        except PapermillExecutionError as error:
            error.script = script  # for the one-line message of main
            if executed.is_file():  # papermill writes the notebook as it runs, and once more with the error
                atomic_write_bytes(failed_path(output), executed.read_bytes())
                error.failed_notebook = failed_path(output)
            raise
        finally:
            stop_kernel(kernel)  # papermill shuts down only the kernels it started
        atomic_write_bytes(output, fold_injected_parameters(executed.read_text()).encode())
        failed_path(output).unlink(missing_ok=True)
    return time.perf_counter() - start


# What every chapter imports first (session.start imports oquab_lib.sections, hence every experiment package): a kernel
# started ahead imports them on the other core while the chapter before it runs, which is most of a warm chapter's time.
# IPython runs exec_lines without counting them, so the chapter's cells are still numbered from 1.
PRELOAD = "import torch, pandas, matplotlib.pyplot, oquab_lib.session, oquab_lib.report, oquab_lib.sections"
START_TIMEOUT = 300  # seconds for a kernel to answer, PRELOAD included (two busy cores)
Kernel = Any  # jupyter_client.AsyncKernelManager, imported lazily like papermill


def start_kernel(cwd: Path | None = None, env: dict[str, str] | None = None) -> Kernel:
    """A Python kernel started now, in ``cwd``, with the inline figure backend, importing :data:`PRELOAD`; it returns
    at once (the imports run in the kernel's process). ``env``: added to this process's environment for the kernel.
    Hand it to :func:`execute`, or :func:`stop_kernel` it."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    kernel = AsyncKernelManager(kernel_name="python3")
    with inline_figures(), environment(env or {}):
        run_sync(kernel.start_kernel)(cwd=str(cwd or Path.cwd()), extra_arguments=[f"--IPKernelApp.exec_lines={PRELOAD}"])
    return kernel


def stop_kernel(kernel: Kernel | None) -> None:
    """Kill a kernel of :func:`start_kernel` (no graceful exit: nothing is left to write) and free its files."""
    if kernel is not None and kernel.has_kernel:  # idempotent: a kernel is stopped once, by whoever holds it last
        from jupyter_core.utils import run_sync

        run_sync(kernel.shutdown_kernel)(now=True)


@contextlib.contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``variables`` set inside the block (a kernel started inside inherits them)."""
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def inline_figures() -> contextlib.AbstractContextManager[None]:
    """Kernels inherit the environment: an ``MPLBACKEND=Agg`` set for scripts or tests would leave every figure out
    of the executed notebook, so the kernel gets the inline backend whatever the caller's setting."""
    return environment({"MPLBACKEND": "module://matplotlib_inline.backend_inline"})


def fold_injected_parameters(notebook_json: str) -> str:
    """Tag papermill's injected-parameters cell ``hide-input``: the book folds it behind a toggle (the parameters
    cell above it already shows the defaults), and a reader can still unfold what this build was run with."""
    import nbformat

    notebook = nbformat.reads(notebook_json, as_version=4)
    for cell in notebook.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and "hide-input" not in tags:
            tags.append("hide-input")
    return nbformat.writes(notebook)


EXECUTED_DIR = "book/executed"


def toc_notebooks(toc_file: Path) -> list[Path]:
    """The notebook scripts behind every ``book/executed/<name>`` entry of the book's table of contents, in order."""
    text = yaml.safe_load(toc_file.read_text())
    prefix = EXECUTED_DIR + "/"
    names: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "file" and isinstance(value, str) and value.startswith(prefix):
                    names.append(value[len(prefix):].removesuffix(".ipynb"))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(text)
    return [Path("notebooks") / f"{name}.py" for name in names]


def start_build_times(out: Path) -> Path:
    """A new build: forget the last build's chapter times, measure the machine-speed probe (printed, and saved beside
    the times so the Performance chapter states them together), and tell the kernels where this build's times go."""
    from oquab_lib.tools import probe

    path = (out / build_times.FILE_NAME).resolve()
    path.unlink(missing_ok=True)
    speed = probe.measure()
    probe.save(speed, path.parent)
    print(f"this build's {probe.describe(speed)}", flush=True)
    os.environ[build_times.ENV_VAR] = str(path)  # inherited by every kernel papermill starts from here on
    return path


# Chapters that time something: no kernel is started ahead while they run (its imports would take a core).
TIMED_CHAPTERS = frozenset({"performance"})
AHEAD = 2  # kernels started ahead: a short warm chapter (1 s) leaves one kernel too little time to import PRELOAD


def start_ahead(kernels: dict[int, Kernel], jobs: list[tuple[Path, Path]], current: int,
                skip: frozenset[int] = frozenset()) -> None:
    """Start the kernels of the :data:`AHEAD` chapters after ``current`` (kept in ``kernels`` by chapter index),
    none while a chapter of :data:`TIMED_CHAPTERS` runs before the one it is for, none for the chapters in ``skip``
    (expected to be up to date)."""
    for later in range(current + 1, min(current + 1 + AHEAD, len(jobs))):
        if any(jobs[n][0].stem in TIMED_CHAPTERS for n in range(current, later)):
            return
        if later not in kernels and later not in skip:
            kernels[later] = start_kernel(env=uptodate.kernel_env(jobs[later][1]))


def execute_all(jobs: list[tuple[Path, Path]], parameters: dict[str, object], times: Path | None,
                force: bool = False) -> None:
    """:func:`execute` each ``(script, output)`` in order, except the chapters that are up to date
    (:mod:`oquab_lib.tools.uptodate`; ``force``: none is); while one runs, the next ones' kernels start and import
    :data:`PRELOAD` (on the second core: a warm chapter's own work is one Python thread). ``times``: the build-times
    file (chapter seconds, which then no longer include the kernel start-up, and cache entries computed)."""
    runs_dir = Path(str(parameters.get("runs_dir", "runs")))
    up_to_date = (lambda n: False) if force else (lambda n: uptodate.is_up_to_date(*jobs[n], parameters))
    expected = frozenset(n for n in range(len(jobs)) if up_to_date(n))  # checked again at each chapter's turn
    kernels: dict[int, Kernel] = {}
    try:
        for n, (script, output) in enumerate(jobs):
            kernel = kernels.pop(n, None)
            if n in expected and up_to_date(n):
                print(f"up to date: {output} (same inputs, every cache entry it read still there)", flush=True)
                if times is not None:
                    build_times.record(times, script.stem, 0.0, 0, last_run=uptodate.last_run(output))
                continue
            start_ahead(kernels, jobs, n, expected)
            before = build_times.count_entries(runs_dir)
            uptodate.start(output)
            with environment(uptodate.kernel_env(output)):  # for a kernel papermill starts (none started ahead)
                seconds = execute(script, output, parameters, kernel=kernel)
            computed = build_times.count_entries(runs_dir) - before
            uptodate.finish(script, output, parameters, seconds, computed)
            print(f"executed {script} -> {output} in {seconds:.1f} s", flush=True)
            if times is not None:
                build_times.record(times, script.stem, seconds, computed)
    finally:
        for kernel in kernels.values():
            stop_kernel(kernel)


def _parse_value(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oquab_lib.tools.runner", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", nargs="?", type=Path, help="a notebooks/*.py script")
    parser.add_argument("output", nargs="?", type=Path, help="the executed .ipynb to write")
    parser.add_argument("--toc", type=Path, help="execute every notebook the book's _toc.yml lists under --out")
    parser.add_argument("--out", type=Path, default=Path(EXECUTED_DIR), help="folder for --toc outputs")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    parser.add_argument("--force", action="store_true", help="with --toc: execute chapters that are up to date too")
    args = parser.parse_args(argv)
    parameters = {name: _parse_value(value) for name, value in args.parameter}
    try:
        if args.toc:
            jobs = [(nb, args.out / f"{nb.stem}.ipynb") for nb in toc_notebooks(args.toc)]
        elif args.notebook and args.output:
            jobs = [(args.notebook, args.output)]
        else:
            parser.error("give NOTEBOOK OUTPUT, or --toc _toc.yml")
        times = start_build_times(args.out) if args.toc else None
        execute_all(jobs, parameters, times, force=args.force or not args.toc)
    except OquabError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except PapermillExecutionError as error:
        kept = getattr(error, "failed_notebook", None)
        print(f"error: {error.script} failed in cell {error.exec_count}: {error.ename}: {error.evalue}"
              + (f"; traceback in {kept}" if kept else ""), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
