import subprocess
import sys


def test_chapter_imports_do_not_load_torchvision():
    """Warm chapters only read the results cache: importing the library must not pay torchvision's import."""
    modules = ("cvpr14", "cvpr14_actions", "figures_cvpr14", "figures_cvpr14_actions", "cvpr15", "cvpr15_eval",
               "figures_cvpr15", "report", "session", "source_networks", "benchmark", "build_times")
    code = (f"import sys\nfrom oquab_lib import {', '.join(modules)}\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torchvision'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
