import dataclasses

import pytest

import oquab_lib.sections  # noqa: F401  (registers the sections' dataclasses, as session.start does)
from oquab_lib.config import (
    PROFILE_NAMES,
    PROFILES,
    apply_overrides,
    profile_sections,
    resolve,
)
from oquab_lib.errors import ConfigError
from oquab_lib.schema import SECTION_SCHEMAS


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


# ---- every field of every section's dataclass, overridable in every profile, type- and range-checked ----------------


@pytest.fixture
def vocdevkit(tmp_path):
    for sub in ("JPEGImages", "Annotations", "ImageSets/Main"):
        (tmp_path / "VOCdevkit" / "VOC2012" / sub).mkdir(parents=True)
    return tmp_path


def test_every_profile_section_has_a_schema_and_every_profile_fits_it():
    assert set(SECTION_SCHEMAS) == set(PROFILES["smoke"])
    for profile in ("smoke", "quick"):
        resolve(profile, device="cpu")  # builds every section's dataclass: types, ranges, cross-field checks


def test_full_accepts_documented_keys_its_dict_does_not_list(vocdevkit):
    overrides = {"cvpr14.scales": [1, 2], "cvpr14.max_images": [5, 5, 5], "cvpr14.partial": "background",
                 "cvpr14.difficult_policy": "drop", "cvpr14.background_fraction": 0.2, "cvpr14.k_values": [1, "max"],
                 "cvpr14.min_overlap": 0.6, "cvpr14.table2_methods": ["PRE-1000C"], "cvpr15.tolerance": 10.0,
                 "cvpr15.dropout": 0.2}
    assert not {k.split(".")[1] for k in overrides} & set(PROFILES["full"]["cvpr14"]) - {"max_images"}
    run = resolve("full", data_root=vocdevkit, device="cpu", overrides=overrides)
    assert run.section("cvpr14")["scales"] == [1, 2] and run.section("cvpr15")["tolerance"] == 10.0


def test_every_field_of_every_schema_is_overridable_with_its_default():
    """In every profile, a dataclass default is an accepted override (a new field is covered with no extra code); the
    cross-field checks of a whole section run afterwards, at resolve (see the test below)."""
    for profile in PROFILE_NAMES:
        sections = profile_sections(profile)
        for name, schema in SECTION_SCHEMAS.items():
            for f in dataclasses.fields(schema):
                value = f.default if f.default is not dataclasses.MISSING else f.default_factory()
                apply_overrides(sections, {f"{name}.{f.name}": value})
                assert sections[name][f.name] == value


@pytest.mark.parametrize("key, value, message", [
    ("cvpr14.max_epochs", "ten", r"^cvpr14\.max_epochs='ten': expected an integer ≥ 1$"),
    ("cvpr14.max_epochs", 0, r"cvpr14\.max_epochs=0: expected an integer ≥ 1"),
    ("cvpr14.max_epochs", 2.5, r"expected an integer ≥ 1"),
    ("cvpr14.scales", [1, -2], r"cvpr14\.scales=\[1, -2\]: expected a sequence of numbers > 0"),
    ("cvpr14.max_images", [1, 2], r"expected a sequence of 3 integers ≥ 0"),
    ("cvpr14.partial", "sometimes", r"cvpr14\.partial='sometimes': expected one of 'exclude', 'background'"),
    ("cvpr14.table2_methods", ["PRE-2000"], r"expected a sequence of one of 'NO PRETRAIN'"),
    ("cvpr14.dropout", True, r"cvpr14\.dropout=True: expected a number ≥ 0 and < 1"),
    ("cvpr14.weights_path", 3, r"expected a string or None"),
    ("cvpr15.location_frame", "big", r"expected an integer or None ≥ 1"),
    ("cvpr15.lr", 0, r"cvpr15\.lr=0: expected a number > 0"),
    ("source.per_class_cap", {"1000R": "all"}, r"expected a mapping of strings to integers"),
    ("actions.hidden", [0], r"actions\.hidden=\[0\]: expected a sequence of integers ≥ 1"),
    ("world.difficulty", 2, r"world\.difficulty=2: expected a number ≥ 0 and ≤ 1"),
])
def test_a_bad_value_is_a_one_line_error_naming_key_value_and_what_is_accepted(key, value, message):
    with pytest.raises(ConfigError, match=message) as caught:
        resolve("smoke", device="cpu", overrides={key: value})
    assert "\n" not in str(caught.value)


def test_cross_field_checks_run_at_resolve():
    with pytest.raises(ConfigError, match="train_scales"):
        resolve("smoke", device="cpu", overrides={"cvpr15.train_scales": [1.4, 0.7]})


def test_session_start_checks_before_any_compute(monkeypatch):
    from oquab_lib import session

    monkeypatch.setattr(session, "ensure_data", lambda run: pytest.fail("data prepared before the check"))
    with pytest.raises(ConfigError, match=r"cvpr14\.max_epochs='ten'"):
        session.start("smoke", device="cpu", overrides={"cvpr14.max_epochs": "ten"})
