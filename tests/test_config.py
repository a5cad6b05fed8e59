import pytest

from oquab_lib.config import PROFILE_NAMES, PROFILES, resolve
from oquab_lib.errors import ConfigError


def test_every_profile_has_the_same_sections():
    assert set(PROFILES) == set(PROFILE_NAMES)
    sections = {name: set(profile) for name, profile in PROFILES.items()}
    assert sections["smoke"] == sections["quick"] == sections["full"] == {"world", "source", "cvpr14", "actions", "cvpr15"}


def test_resolve_defaults_to_the_generated_world():
    run = resolve("smoke", device="cpu")
    assert run.profile == "smoke" and run.device == "cpu" and run.is_synthetic
    assert run.data_root.as_posix() == "data/miniworld-smoke"
    assert run.section("world") == PROFILES["smoke"]["world"]


def test_unknown_profile_names_the_accepted_ones():
    with pytest.raises(ConfigError, match=r"unknown profile 'fast'; accepted: smoke, quick, full"):
        resolve("fast")


def test_full_profile_needs_a_data_root():
    with pytest.raises(ConfigError, match="data_root"):
        resolve("full", device="cpu")


def test_override_of_an_unknown_key_lists_the_accepted_keys():
    key = next(iter(PROFILES["smoke"]["world"]))
    run = resolve("smoke", device="cpu", overrides={f"world.{key}": PROFILES["smoke"]["world"][key]})
    assert run.section("world")[key] == PROFILES["smoke"]["world"][key]
    with pytest.raises(ConfigError, match=r"world\.no_such_knob.*accepted: world\."):
        resolve("smoke", device="cpu", overrides={"world.no_such_knob": 1})
    with pytest.raises(ConfigError, match="section.key"):
        resolve("smoke", device="cpu", overrides={"nosection": 1})


def test_bad_device_and_seed_are_one_line_errors():
    with pytest.raises(ConfigError, match="device='tpu'"):
        resolve("smoke", device="tpu")
    with pytest.raises(ConfigError, match="seed='1'"):
        resolve("smoke", device="cpu", seed="1")


def test_section_returns_a_copy():
    run = resolve("smoke", device="cpu")
    run.section("world")["injected"] = True
    assert "injected" not in run.section("world")


def test_full_profile_rejects_a_data_root_that_is_not_a_vocdevkit(tmp_path):
    with pytest.raises(ConfigError, match=r"data_root=.* is not a VOCdevkit"):
        resolve("full", data_root=tmp_path, device="cpu")
    for sub in ("JPEGImages", "Annotations", "ImageSets/Main"):
        (tmp_path / "VOCdevkit" / "VOC2012" / sub).mkdir(parents=True)
    assert resolve("full", data_root=tmp_path, device="cpu").data_root == tmp_path
