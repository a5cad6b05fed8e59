"""The three profiles, in one place, and the validation of notebook parameters.

A profile is a flat, readable dict of sections (nanoGPT style): ``world`` (the synthetic mini world), ``source``
(source-network pretraining), ``cvpr14`` and ``cvpr15`` (the two papers' pipelines). Each library module turns its
section into its own dataclass, so a typo in a key fails at construction with the key's name.

- ``smoke``: seconds; what the tests and ``make test`` run.
- ``quick``: the default; the synthetic mini world on 2 CPU cores, the whole book in minutes.
- ``full``: real VOC 2007/2012 and COCO under a user-given ``data_root``, torchvision AlexNet weights, a GPU.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oquab_lib.errors import ConfigError

PROFILE_NAMES = ("smoke", "quick", "full")
NOTEBOOK_PARAMETERS = ("profile", "data_root", "device", "seed", "runs_dir", "overrides")

PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    "smoke": {
        "world": dict(scale="smoke"),
        "source": dict(arch="smoke", epochs=2, batch_size=32, lr=0.01, lr_milestones=(), decoded_cache=True, threads=0),
        "cvpr14": dict(),
        "cvpr15": dict(),
    },
    "quick": {
        "world": dict(scale="quick"),
        # tuned to the 2-core budget: 8 source nets (4 variants x 2 seeds) in about 6 minutes together
        "source": dict(arch="quick", epochs=8, batch_size=64, lr=0.02, schedule="step", lr_milestones=(6,),
                       decoded_cache=True, threads=2),
        "cvpr14": dict(),
        "cvpr15": dict(),
    },
    "full": {
        "world": dict(scale="none"),  # real data: nothing is generated
        # Krizhevsky's recipe as in torchvision's references: SGD 0.01, momentum 0.9, wd 5e-4, /10 every 30 epochs
        "source": dict(arch="full", epochs=90, batch_size=128, lr=0.01, schedule="step", lr_milestones=(30, 60),
                       decoded_cache=False, num_workers=8, threads=0),
        "cvpr14": dict(),
        "cvpr15": dict(),
    },
}


@dataclass(frozen=True)
class Run:
    """The resolved parameters of one notebook run: a profile plus the user's choices."""

    profile: str
    data_root: Path
    device: str
    seed: int
    runs_dir: Path
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        """A copy of one section (``world``, ``source``, ``cvpr14``, ``cvpr15``) of the resolved profile."""
        if name not in self.sections:
            raise ConfigError(f"unknown config section {name!r}; accepted: {', '.join(self.sections)}")
        return copy.deepcopy(self.sections[name])

    @property
    def is_synthetic(self) -> bool:
        return self.profile != "full"


def profile_sections(profile: str) -> dict[str, dict[str, Any]]:
    """The sections of a named profile (a deep copy). Raises ConfigError listing the accepted names."""
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; accepted: {', '.join(PROFILE_NAMES)}")
    return copy.deepcopy(PROFILES[profile])


def apply_overrides(sections: dict[str, dict[str, Any]], overrides: dict[str, Any]) -> None:
    """Apply ``{"section.key": value}`` overrides in place; an unknown section or key is a one-line ConfigError."""
    for dotted, value in overrides.items():
        section, _, key = dotted.partition(".")
        if section not in sections or not key:
            raise ConfigError(
                f"override {dotted!r}: expected 'section.key' with section in {', '.join(sections)}"
            )
        if key not in sections[section]:
            accepted = ", ".join(f"{section}.{k}" for k in sections[section]) or "(none)"
            raise ConfigError(f"override {dotted!r}: unknown parameter; accepted: {accepted}")
        sections[section][key] = value


def default_data_root(profile: str) -> Path:
    """Where the mini world of a synthetic profile lives (generated on first use)."""
    return Path("data") / f"miniworld-{profile}"


def resolve(
    profile: str = "quick",
    data_root: str | os.PathLike | None = None,
    device: str = "auto",
    seed: int = 0,
    runs_dir: str | os.PathLike = "runs",
    overrides: dict[str, Any] | None = None,
) -> Run:
    """Validate a notebook's ``parameters`` cell and return the resolved :class:`Run`.

    ``device="auto"`` picks CUDA when present. ``data_root`` is required for ``full`` (a VOCdevkit parent folder) and
    defaults to ``data/miniworld-<profile>`` otherwise.
    """
    sections = profile_sections(profile)
    apply_overrides(sections, dict(overrides or {}))
    if profile == "full" and not data_root:
        raise ConfigError("profile 'full' needs data_root: the folder holding VOCdevkit/ (and coco/), e.g. -p data_root /data")
    root = Path(data_root) if data_root else default_data_root(profile)
    if profile == "full":
        from oquab_lib.data.voc import check_vocdevkit  # deferred: config sits below data in the import order

        check_vocdevkit(root, years=("2012",))  # one-line ConfigError naming data_root when it is not a VOCdevkit
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"seed={seed!r}: expected an integer")
    return Run(profile, root, _resolve_device(device), seed, Path(runs_dir), sections)


def _resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device={device!r}: CUDA is not available here; use device='cpu' or 'auto'")
    if not (device == "cpu" or device.startswith("cuda") or device == "mps"):
        raise ConfigError(f"device={device!r}: accepted: auto, cpu, cuda, cuda:N, mps")
    return device
