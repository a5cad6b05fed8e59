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

import yaml
from papermill.exceptions import PapermillExecutionError

from oquab_lib.cache import atomic_write_bytes
from oquab_lib.errors import ConfigError, OquabError
from oquab_lib.tools import build_times

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


def execute(script: Path, output: Path, parameters: dict[str, object], cwd: Path | None = None) -> float:
    """Run one notebook script with papermill into ``output`` (written atomically). Returns the wall time in seconds.

    On a failing cell the partly executed notebook, traceback included, is kept at :func:`failed_path` (a later
    success removes it) and papermill's error is raised with its ``failed_notebook`` attribute set to that path."""
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
                    shutdown_kernel="immediate",
                )
        except PapermillExecutionError as error:
            if executed.is_file():  # papermill writes the notebook as it runs, and once more with the error
                atomic_write_bytes(failed_path(output), executed.read_bytes())
                error.failed_notebook = failed_path(output)
            raise
        atomic_write_bytes(output, fold_injected_parameters(executed.read_text()).encode())
        failed_path(output).unlink(missing_ok=True)
    return time.perf_counter() - start


@contextlib.contextmanager
def inline_figures() -> Iterator[None]:
    """Kernels inherit the environment: an ``MPLBACKEND=Agg`` set for scripts or tests would leave every figure out
    of the executed notebook, so the kernel gets the inline backend whatever the caller's setting."""
    previous = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = previous


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
        runs_dir = Path(str(parameters.get("runs_dir", "runs")))
        for script, output in jobs:
            before = build_times.count_entries(runs_dir)
            seconds = execute(script, output, parameters)
            print(f"executed {script} -> {output} in {seconds:.1f} s", flush=True)
            if times is not None:
                build_times.record(times, script.stem, seconds, build_times.count_entries(runs_dir) - before)
    except OquabError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except PapermillExecutionError as error:
        kept = getattr(error, "failed_notebook", None)
        print(f"error: {script} failed in cell {error.exec_count}: {error.ename}: {error.evalue}"
              + (f"; traceback in {kept}" if kept else ""), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
