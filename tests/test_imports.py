import subprocess
import sys

import pytest


@pytest.mark.slow
def test_chapter_imports_do_not_load_torchvision():
    """Warm chapters only read the results cache: importing the library must not pay torchvision's import."""
    modules = ("cvpr14", "cvpr14.actions", "cvpr14.figures", "cvpr14.actions.figures", "cvpr15", "cvpr15.figures",
               "report", "session", "source", "tools.benchmark", "tools.build_times")
    code = ("import sys\n" + "".join(f"import oquab_lib.{m}\n" for m in modules) +
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torchvision'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow
def test_chapter_start_does_not_load_seaborn_or_scipy_stats():
    """session.start imports every section's package: seaborn and scipy.stats (over a second each on two busy cores)
    are imported by the two figures that draw with seaborn, not by every warm chapter."""
    code = ("import sys\nimport oquab_lib.session, oquab_lib.report, oquab_lib.sections, oquab_lib.tools.benchmark_cache\n"
            "print(sorted(m for m in ('seaborn', 'scipy.stats') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
