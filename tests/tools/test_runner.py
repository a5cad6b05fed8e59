import json
import os

import pytest

from oquab_lib.errors import ConfigError
from oquab_lib.tools import runner

NOTEBOOK = '''# %% [markdown]
# A tiny chapter.

# %% tags=["parameters"]
profile = "quick"
seed = 0

# %%
print(profile, seed * 2)
'''


def test_parameters_are_read_from_the_tagged_cell(tmp_path):
    script = tmp_path / "chapter.py"
    script.write_text(NOTEBOOK)
    assert runner.notebook_parameters(script) == {"profile": "quick", "seed": 0}


def test_unknown_parameter_is_a_one_line_error(tmp_path):
    script = tmp_path / "chapter.py"
    script.write_text(NOTEBOOK)
    with pytest.raises(ConfigError, match=r"unknown parameter 'sede'; accepted: profile, seed"):
        runner.check_parameters(script, {"sede": 1})


def test_notebook_without_parameters_cell(tmp_path):
    script = tmp_path / "chapter.py"
    script.write_text("# %%\nx = 1\n")
    with pytest.raises(ConfigError, match="parameters"):
        runner.notebook_parameters(script)


def test_toc_lists_the_executed_chapters_in_order(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text(
        "root: book/intro\nparts:\n  - chapters:\n      - file: book/executed/a\n      - file: book/prose\n"
        "      - file: book/executed/b\n"
    )
    assert [p.as_posix() for p in runner.toc_notebooks(toc)] == ["notebooks/a.py", "notebooks/b.py"]


def test_execute_runs_papermill_with_parameters(tmp_path):
    script = tmp_path / "chapter.py"
    script.write_text(NOTEBOOK)
    out = tmp_path / "out" / "chapter.ipynb"
    runner.execute(script, out, {"seed": 21}, cwd=tmp_path)
    assert "quick 42" in out.read_text()
    injected = [c for c in json.loads(out.read_text())["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and "hide-input" in injected[0]["metadata"]["tags"]  # folded in the book


@pytest.mark.slow
def test_figures_reach_the_executed_notebook_even_under_an_agg_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    script = tmp_path / "figure.py"
    script.write_text("# %% tags=[\"parameters\"]\nseed = 0\n\n# %%\nimport matplotlib.pyplot as plt\nplt.plot([0, seed])\nplt.show()\n")
    out = tmp_path / "figure.ipynb"
    runner.execute(script, out, {}, cwd=tmp_path)
    assert '"image/png"' in out.read_text()
    assert os.environ["MPLBACKEND"] == "Agg"  # restored for the caller


@pytest.mark.slow
def test_a_book_build_records_each_chapter_time_and_shows_them_to_later_chapters(tmp_path, monkeypatch):
    from oquab_lib.tools import build_times

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(build_times.ENV_VAR, "restored after the test")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "cvpr14_a.py").write_text(
        '# %% tags=["parameters"]\nseed = 0\n\n# %%\nimport os\nos.makedirs("runs/entry-1234", exist_ok=True)\n')
    (tmp_path / "notebooks" / "cvpr14_b.py").write_text(
        '# %% tags=["parameters"]\nseed = 0\n\n# %%\nfrom oquab_lib.tools import build_times\n'
        'print("rows so far:", list(build_times.load()["chapter"]))\n')
    (tmp_path / "_toc.yml").write_text(
        "root: intro\nparts:\n  - chapters:\n      - file: book/executed/cvpr14_a\n      - file: book/executed/cvpr14_b\n")
    (tmp_path / "book" / "executed").mkdir(parents=True)
    (tmp_path / "book" / "executed" / "build_times.csv").write_text("chapter,seconds,entries_computed\nold,1,0\n")
    assert runner.main(["--toc", "_toc.yml", "--out", "book/executed"]) == 0
    times = build_times.load(tmp_path / "book" / "executed" / "build_times.csv")
    assert list(times["chapter"]) == ["cvpr14_a", "cvpr14_b"]  # the previous build's rows are gone
    assert list(times["entries_computed"]) == [1, 0] and (times["seconds"] > 0).all()
    assert "rows so far: ['cvpr14_a']" in (tmp_path / "book" / "executed" / "cvpr14_b.ipynb").read_text()
    parts = build_times.budget_table(times)
    assert parts.loc["CVPR 2014", "run"] == "cold" and parts.loc["CVPR 2014", "budget_s"] == 300.0


def test_a_failed_chapter_keeps_its_notebook_and_names_it_and_the_cell(tmp_path, capsys):
    script = tmp_path / "chapter.py"
    script.write_text(NOTEBOOK + "\n# %%\nraise ValueError('bad input 17')\n")
    out = tmp_path / "out" / "chapter.ipynb"
    assert runner.main([str(script), str(out)]) == 1
    kept = runner.failed_path(out)
    err = capsys.readouterr().err
    assert f"traceback in {kept}" in err and "failed in cell" in err and "bad input 17" in err
    assert "bad input 17" in kept.read_text() and "Traceback" in kept.read_text() and not out.exists()
    script.write_text(NOTEBOOK)
    assert runner.main([str(script), str(out)]) == 0 and out.exists() and not kept.exists()


def test_a_kernel_started_ahead_preloads_keeps_cell_numbers_and_failures(tmp_path, monkeypatch, capsys):
    # the second chapter runs in a kernel started while the first ran: PRELOAD is imported before its first cell,
    # its cells are numbered from 1, and its failure still keeps the traceback and names the chapter
    monkeypatch.chdir(tmp_path)
    started = []
    monkeypatch.setattr(runner, "start_kernel",
                        lambda real=runner.start_kernel, **kw: started.append(real(**kw)) or started[-1])
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "a.py").write_text(NOTEBOOK)
    (tmp_path / "notebooks" / "b.py").write_text(
        NOTEBOOK + "\n# %%\nimport sys\nprint('preloaded', 'oquab_lib.sections' in sys.modules)\n"
        "\n# %%\nraise ValueError('bad input 18')\n")
    (tmp_path / "_toc.yml").write_text(
        "root: intro\nparts:\n  - chapters:\n      - file: book/executed/a\n      - file: book/executed/b\n")
    assert runner.main(["--toc", "_toc.yml", "--out", "out"]) == 1
    kept = runner.failed_path(tmp_path / "out" / "b.ipynb")
    assert "b.py failed in cell" in capsys.readouterr().err and "bad input 18" in kept.read_text()
    cells = [c for c in json.loads(kept.read_text())["cells"] if c["cell_type"] == "code"]
    assert cells[0]["execution_count"] == 1 and "preloaded True" in json.dumps(cells[-2]["outputs"])
    assert len(started) == 1 and not started[0].has_kernel  # stopped, not left running


def test_no_kernel_starts_ahead_across_a_timed_chapter(monkeypatch):
    from pathlib import Path

    monkeypatch.setattr(runner, "start_kernel", lambda **kw: "kernel")
    jobs = [(Path(f"notebooks/{name}.py"), Path("out")) for name in ("a", "b", "performance", "c", "d")]
    kernels = {}
    runner.start_ahead(kernels, jobs, 0)
    assert sorted(kernels) == [1, 2]  # two ahead
    kernels = {}
    runner.start_ahead(kernels, jobs, 1)
    assert sorted(kernels) == [2]  # chapter 3's kernel would import while the Performance chapter times
    kernels = {}
    runner.start_ahead(kernels, jobs, 2)
    assert kernels == {}


@pytest.mark.slow
def test_a_chapter_whose_inputs_and_entries_are_unchanged_is_not_executed_again(tmp_path, monkeypatch, capsys):
    from oquab_lib.tools import build_times

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(build_times.ENV_VAR, "restored after the test")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "a.py").write_text(
        NOTEBOOK + '\n# %%\nfrom oquab_lib import cache\n'
        'cache.load_or_compute("runs", "entry", {"x": 1}, lambda work: (work / "v.txt").write_text("1"))\n')
    (tmp_path / "notebooks" / "b.py").write_text(NOTEBOOK)
    (tmp_path / "_toc.yml").write_text(
        "root: intro\nparts:\n  - chapters:\n      - file: book/executed/a\n      - file: book/executed/b\n")
    build = ["--toc", "_toc.yml", "--out", "book/executed"]
    times = tmp_path / "book" / "executed" / "build_times.csv"

    def executed() -> list[str]:
        assert runner.main(build) == 0
        rows = build_times.load(times)
        return list(rows[rows["executed"]]["chapter"])

    assert executed() == ["a", "b"]
    stamp = json.loads((tmp_path / "book" / "executed" / "a.stamp.json").read_text())
    assert [name.split("-")[0] for name in stamp["entries"]] == ["entry"]  # what chapter a read, logged by the cache
    assert executed() == [] and "up to date: book/executed/a.ipynb" in capsys.readouterr().out
    skipped = build_times.load(times).set_index("chapter")
    assert skipped.loc["a", "seconds"] == 0 and skipped.loc["a", "last_run"].endswith("entries computed")  # 1 entry
    assert skipped.loc["b", "last_run"].endswith(" s, warm")
    (tmp_path / "notebooks" / "b.py").write_text(NOTEBOOK + "\n# %%\nprint('changed')\n")
    assert executed() == ["b"]  # its script changed
    (tmp_path / "runs" / stamp["entries"][0] / "COMPLETE").unlink()
    assert executed() == ["a"]  # an entry it read is gone (computed again)


def test_force_executes_every_chapter(monkeypatch, tmp_path):
    ran = []
    monkeypatch.setattr(runner, "execute", lambda script, output, parameters, kernel=None: ran.append(script) or 1.0)
    monkeypatch.setattr(runner.uptodate, "is_up_to_date", lambda script, output, parameters: True)
    monkeypatch.setattr(runner, "start_kernel", lambda **kw: None)
    jobs = [(tmp_path / f"{name}.py", tmp_path / f"{name}.ipynb") for name in ("a", "b")]
    for script, _ in jobs:
        script.write_text(NOTEBOOK)
    runner.execute_all(jobs, {}, None)
    assert ran == []  # both up to date
    runner.execute_all(jobs, {}, None, force=True)
    assert ran == [script for script, _ in jobs]
