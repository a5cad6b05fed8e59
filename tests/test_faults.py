"""Fault injection on the results cache (issue 15): concurrent runs, kills at every step boundary of a cache write, a
full disk, shared and read-only runs dirs, an empty split, stale keys on edited data, COCO edge cases and litter.

Deterministic: faults are injected at named step boundaries (:func:`oquab_lib.cache.fault_point`), never by timing."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from oquab_lib import cache
from oquab_lib.data.coco import COCOImages
from oquab_lib.data.fingerprint import world_fingerprint
from oquab_lib.data.voc import VOCBoxes
from oquab_lib.errors import DataError, DiskFullError
from tests.fixtures import write_coco, write_vocdevkit

ROOT = Path(__file__).resolve().parents[1]
STEPS = ("computed", "config-saved", "marked-complete", "stale-removed", "published")


class Killed(BaseException):
    """Stands in for SIGKILL inside the test process (a BaseException: no ``except Exception`` catches it)."""


def kill_at(monkeypatch, step: str) -> None:
    def fault(name: str) -> None:
        if name == step:
            raise Killed(name)

    monkeypatch.setattr(cache, "fault_point", fault)


def _compute(calls: list):
    def compute(work: Path) -> None:
        calls.append(work)
        cache.save_json(work / "result.json", {"value": 42})
        cache.save_array(work / "rows.npy", np.arange(12, dtype=np.int32).reshape(4, 3))
    return compute


# ------------------------------------------------------------------------------------------------ 1. concurrency
CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import numpy as np
    from oquab_lib import cache
    from oquab_lib.cvpr14.config import Cvpr14Config
    from oquab_lib.cvpr14.features import build_patch_set, image_store
    from oquab_lib.data.voc import VOCBoxes

    world, runs, pause = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "pause"
    if pause:  # hold the first entry's lock, mid-computation, until the test says go
        def fault(step):
            if step == "computed" and not (runs.parent / "started").exists():
                (runs.parent / "started").write_text("")
                while not (runs.parent / "go").exists():
                    time.sleep(0.02)
        cache.fault_point = fault
    cfg = Cvpr14Config(scales=(1, 2), overlap_measure="side")
    patches = build_patch_set(world, "2007", "train", VOCBoxes(world, "2007", "train").ids, cfg, runs)
    print("sum", int(image_store(patches, runs).astype(np.int64).sum()), flush=True)
""")


def test_two_processes_on_one_entry_compute_it_once_and_both_read_it(tmp_path):
    world = tmp_path / "world"
    write_vocdevkit(world, "2007")
    runs = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}

    def start(mode: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", CHILD, str(world), str(runs), mode], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    first = start("pause")
    deadline = time.monotonic() + 120
    while not (tmp_path / "started").exists():  # the first process holds the patch set's lock, mid-write
        assert first.poll() is None and time.monotonic() < deadline, first.stdout.read()
        time.sleep(0.05)
    second = start("plain")
    lines = []
    while not any("waiting for another process" in line for line in lines):
        line = second.stdout.readline()
        assert line, "".join(lines)
        lines.append(line)
    (tmp_path / "go").write_text("")
    outputs = [first.communicate(timeout=120)[0], "".join(lines) + second.communicate(timeout=120)[0]]
    assert first.returncode == second.returncode == 0, outputs
    sums = {line for out in outputs for line in out.splitlines() if line.startswith("sum ")}
    assert len(sums) == 1  # both read the same images
    computed = [line for out in outputs for line in out.splitlines() if line.startswith("cache miss")]
    entries = [p for p in runs.iterdir() if not p.name.startswith(".")]
    assert len(computed) == len(entries) == 2 and all(cache.is_complete(e) for e in entries)
    assert "cache hit (computed by another process)" in outputs[1]
    assert not list(runs.glob(".*.partial"))


# ------------------------------------------------------------------------------------------------ 2. kills
@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_any_step_of_a_cache_write_is_completed_by_the_next_run(tmp_path, monkeypatch, step):
    entry = cache.entry_dir(tmp_path, "exp", {"a": 1})
    (entry / "junk").mkdir(parents=True)  # an incomplete leftover: never trusted, replaced
    calls: list = []
    kill_at(monkeypatch, step)
    with pytest.raises(Killed):
        cache.load_or_compute(tmp_path, "exp", {"a": 1}, _compute(calls), verbose=False)
    monkeypatch.undo()
    again = cache.load_or_compute(tmp_path, "exp", {"a": 1}, _compute(calls), verbose=False)
    assert again == entry and cache.is_complete(entry) and not (entry / "junk").exists()
    assert cache.load_json(entry / "result.json") == {"value": 42}
    assert np.load(entry / "rows.npy").tolist() == np.arange(12).reshape(4, 3).tolist()
    assert len(calls) == (2 if step in ("computed", "config-saved") else 1)  # a marked work folder is only renamed
    assert not list(tmp_path.glob(".*.partial")) and not list(tmp_path.rglob("*.tmp"))


def test_a_real_sigkill_at_the_marker_is_completed_by_the_next_run(tmp_path):
    script = ("import sys; from oquab_lib import cache; "
              "cache.load_or_compute(sys.argv[1], 'exp', {'a': 1}, lambda w: cache.save_json(w / 'r.json', 1))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), cache.FAULT_ENV: "marked-complete"}
    killed = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, capture_output=True, check=False)
    assert killed.returncode == -9 and not cache.is_complete(cache.entry_dir(tmp_path, "exp", {"a": 1}))
    entry = cache.load_or_compute(tmp_path, "exp", {"a": 1}, lambda w: pytest.fail("recomputed"), verbose=False)
    assert cache.load_json(entry / "r.json") == 1


def test_a_kill_inside_an_atomic_write_keeps_the_old_file(tmp_path, monkeypatch):
    cache.save_json(tmp_path / "a.json", {"v": 1})
    kill_at(monkeypatch, "tmp-written")
    with pytest.raises(Killed):
        cache.save_json(tmp_path / "a.json", {"v": 2})
    with pytest.raises(Killed), cache.NpyWriter(tmp_path / "b.npy", (2, 2), np.float32) as writer:
        writer[0] = np.ones(2)
    assert cache.load_json(tmp_path / "a.json") == {"v": 1} and sorted(os.listdir(tmp_path)) == ["a.json"]


# ------------------------------------------------------------------------------------------------ 3. full disk
def test_a_full_disk_is_a_one_line_error_naming_the_folder_and_the_space(tmp_path, monkeypatch):
    real_pwrite = os.pwrite

    def no_space(fd, data, offset):
        if offset > 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", no_space)
    with pytest.raises(DiskFullError) as error, cache.NpyWriter(tmp_path / "big.npy", (100, 10), np.uint8) as out:
        out[np.arange(100)] = np.zeros((100, 10))
    message = str(error.value)
    assert "\n" not in message and str(tmp_path) in message and "disk full" in message and "MiB" in message
    assert os.listdir(tmp_path) == []
    monkeypatch.undo()
    monkeypatch.setattr(cache.shutil, "disk_usage", lambda path: type("Usage", (), {"free": 1000})())
    with pytest.raises(DiskFullError, match=rf"not enough disk for writing big.npy in {tmp_path}: needs .*, .* free"):
        cache.NpyWriter(tmp_path / "big.npy", (100, 100), np.uint8)  # checked before anything is written
    assert os.listdir(tmp_path) == []


def test_no_result_is_written_through_a_memory_map():
    writers = [p for p in (ROOT / "oquab_lib").rglob("*.py") if "open_memmap" in p.read_text()
               or 'mode="w+"' in p.read_text() or "mmap_mode=\"w" in p.read_text()]
    assert writers == []


# ------------------------------------------------------------------------------------------------ 5. shared / read-only
def test_cache_files_follow_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        entry = cache.load_or_compute(tmp_path, "exp", {"a": 1}, _compute([]), verbose=False)
    finally:
        os.umask(previous)
    modes = {p.name: p.stat().st_mode & 0o777 for p in entry.iterdir()}
    assert set(modes.values()) == {0o644}, modes
    assert {p.stat().st_mode & 0o777 for p in (tmp_path / cache.LOCKS).iterdir()} == {0o644}


def test_a_fully_cached_read_only_runs_dir_serves_hits_and_claims(tmp_path, monkeypatch, capsys):
    entry = cache.load_or_compute(tmp_path, "exp", {"a": 1}, _compute([]), verbose=False)
    claim = tmp_path / "claims" / "c.json"
    cache.save_json_if_writable(claim, {"verdict": "tie"})

    def read_only(*args, **kwargs):
        raise PermissionError(errno.EROFS, "Read-only file system")

    for name in ("open", "mkdir", "replace"):
        monkeypatch.setattr(os, name, read_only)
    assert cache.load_or_compute(tmp_path, "exp", {"a": 1}, _compute([]), verbose=False) == entry
    assert not cache.save_json_if_writable(claim, {"verdict": "tie"})  # unchanged: nothing to write
    assert not cache.save_json_if_writable(claim, {"verdict": "reproduced"})  # changed: noted, not fatal
    assert "read-only" in capsys.readouterr().err
    with pytest.raises(PermissionError, match=f"{tmp_path}.* not writable"):
        cache.load_or_compute(tmp_path, "exp", {"a": 2}, _compute([]), verbose=False)


# ------------------------------------------------------------------------------------------------ 6. empty split
def test_an_empty_split_names_the_split_file(tmp_path):
    devkit = write_vocdevkit(tmp_path, "2007")
    split = devkit / "VOC2007" / "ImageSets" / "Main" / "train.txt"
    split.write_text("\n")
    with pytest.raises(DataError, match=f"{split}: split file lists no images"):
        VOCBoxes(tmp_path, "2007", "train")


# ------------------------------------------------------------------------------------------------ 7. stale keys
def test_the_data_key_follows_the_label_files_content(tmp_path):
    first = tmp_path / "a"
    write_vocdevkit(first, "2007")
    (first / "world.json").write_text(json.dumps({"hash": "w1"}))
    key = world_fingerprint(first)
    copy = tmp_path / "b"
    subprocess.run(["cp", "-r", str(first), str(copy)], check=True)  # new mtimes, same content
    assert world_fingerprint(copy) == key
    nested = copy / "variants" / "context"  # a data set inside the world (its render variants): its own key
    write_vocdevkit(nested, "2007")
    (nested / "world.json").write_text(json.dumps({"hash": "w1-context"}))
    assert world_fingerprint(copy) == key
    xml = next((copy / "VOCdevkit" / "VOC2007" / "Annotations").glob("*.xml"))
    xml.write_text(xml.read_text().replace("<object>", "<object> ", 1))
    assert world_fingerprint(copy) != key and world_fingerprint(first) == key
    (first / "world.json").unlink()
    assert world_fingerprint(first)["data_root"] == str(first.resolve())
    missing = world_fingerprint(tmp_path / "not-yet")  # a data root not made yet: a key all the same, no error
    assert missing == world_fingerprint(tmp_path / "not-yet") and missing["labels"] != key["labels"]


def test_the_data_key_follows_label_files_added_and_removed_after_a_call(tmp_path):
    write_vocdevkit(tmp_path, "2007")
    main = tmp_path / "VOCdevkit" / "VOC2007" / "ImageSets" / "Main"
    key = world_fingerprint(tmp_path)  # the listing is memoised from here on
    (main / "extra.txt").write_text("000001\n")
    added = world_fingerprint(tmp_path)
    assert added != key
    (main / "extra.txt").rename(main / "renamed.txt")
    assert world_fingerprint(tmp_path) not in (key, added)
    (main / "renamed.txt").unlink()
    assert world_fingerprint(tmp_path) == key


# ------------------------------------------------------------------------------------------------ 8. COCO, litter
def test_coco_without_annotations_or_with_string_boxes_is_a_one_line_error(tmp_path):
    image_dir, ann_file = write_coco(tmp_path, "val2017")
    doc = json.loads(ann_file.read_text())
    doc["annotations"][0]["bbox"] = ["1", "2", "3", "4"]
    ann_file.write_text(json.dumps(doc))
    dataset = COCOImages(image_dir, ann_file)
    row = dataset.image_ids.index(doc["annotations"][0]["image_id"])
    with pytest.raises(DataError, match="bbox \\['1', '2', '3', '4'\\], expected \\[x, y, w, h\\] numbers"):
        dataset.target(row)
    del doc["annotations"]
    ann_file.write_text(json.dumps(doc))
    with pytest.raises(DataError, match="no 'annotations' list"):
        COCOImages(image_dir, ann_file)


def test_stale_work_folders_are_removed_unless_being_computed(tmp_path, monkeypatch):
    from oquab_lib.tools import clean_runs

    calls: list = []
    kill_at(monkeypatch, "computed")
    for a in (1, 2):
        with pytest.raises(Killed):
            cache.load_or_compute(tmp_path, "exp", {"a": a}, _compute(calls), verbose=False)
    old = time.time() - 10 * 86400
    for path in tmp_path.glob(".*.partial/**/*"):
        os.utime(path, (old, old))
    busy = cache.partial_dir(tmp_path, "exp", {"a": 2})
    with cache.entry_lock(tmp_path, busy.name[1:].removesuffix(".partial")):  # held, as by a process resuming it
        code = subprocess.run([sys.executable, "-m", "oquab_lib.tools.clean_runs", str(tmp_path), "--days", "7"],
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=False)
    assert code.returncode == 0 and "1 stale work folder" in code.stdout, code.stderr
    assert [p.name for p in tmp_path.glob(".*.partial")] == [busy.name]
    assert clean_runs.main([str(tmp_path), "--days", "30"]) == 0 and busy.exists()  # too recent for 30 days
