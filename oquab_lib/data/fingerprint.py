"""What identifies a data set in a cache key: the generated world (or the root path) and the content of the label
files a run reads.

The label files are the split lists and annotations: every file under a folder named ``ImageSets``, ``Annotations``
(VOC) or ``annotations`` (COCO) below the data root, and the JSON files at the root. Their *content* is hashed
(SHA-256), not their sizes and modification times: an edited annotation changes the key even when its size and
second do not, and a copy of a data set (``cp -r`` gives new mtimes) shares the entries of the original exactly when
its labels are the same. Hashing is memoised per file on ``(size, mtime_ns)``, so a process reads a file again only
when it changed and a repeated call costs one ``stat`` per file (the smoke world's 365 label files: 90 ms the first
time, 12 ms after). Images are not hashed (too many bytes); the key of real data keeps its resolved path, so that
another copy of the images is another data set.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

LABEL_FOLDERS = frozenset({"ImageSets", "Annotations", "annotations"})
SKIPPED = frozenset({"JPEGImages", "SegmentationClass", "SegmentationObject", "images", "source"})  # no labels below
_DIGESTS: dict[str, tuple[int, int, str]] = {}  # path -> (size, mtime_ns, sha256): a memo, never a decision
_LISTINGS: dict[str, tuple[list[tuple[str, int | None]], list[str]]] = {}  # root -> (folders walked with their
# mtime_ns, label files relative to root): a memo, checked at every call


def world_fingerprint(data_root: str | Path) -> dict[str, str]:
    """``{"world": <generator hash>, "labels": <digest>}`` for a generated world (``world.json``), else
    ``{"data_root": <resolved path>, "labels": <digest>}``; ``labels`` hashes the label files' names and contents."""
    root = Path(data_root)
    world = root / "world.json"
    if world.is_file():  # the generator's own hash (config + seed + format version), else the file's
        text = world.read_bytes()
        try:
            ident = {"world": str(json.loads(text)["hash"])}
        except (ValueError, KeyError, TypeError):
            ident = {"world": hashlib.sha256(text).hexdigest()[:16]}
    else:
        ident = {"data_root": str(root.resolve())}
    return {**ident, "labels": labels_digest(root)}


def label_files(root: Path) -> list[Path]:
    """The split lists and annotation files under ``root`` (sorted), and its top-level JSON files (``world.json``,
    the generated world's taxonomy and source subsets)."""
    return [root / relative for relative in _label_names(str(root))]


def _label_names(root: str) -> list[str]:
    """:func:`label_files` as paths relative to ``root``, in the same order. Plain strings, not ``Path`` objects: a
    warm chapter asks for a data key about a hundred times, and building ~5,000 ``Path`` objects per call (the quick
    world's label files) made it 0.1 s each, most of a cached chapter's time. The listing is memoised on the
    modification times of the folders walked: adding, removing or renaming a file changes its folder's."""
    if not os.path.isdir(root):  # no data yet (or a typo): no label files, as for an empty folder
        return []
    known = _LISTINGS.get(root)
    if known is not None and all(_mtime(folder) == mtime for folder, mtime in known[0]):
        return known[1]
    folders, found = [], sorted(name for name in os.listdir(root) if name.endswith(".json")
                                and os.path.isfile(os.path.join(root, name)))
    for folder, dirs, files in os.walk(root):
        folders.append((folder, _mtime(folder)))
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED and not d.startswith(".")  # a nested data set (e.g. a
                         and not os.path.isfile(os.path.join(folder, d, "world.json")))  # world's variants/) has its own key
        relative = os.path.relpath(folder, root)
        if LABEL_FOLDERS.intersection(relative.split(os.sep)):
            found += [os.path.join(relative, f) for f in sorted(files) if not f.startswith(".")]
    _LISTINGS[root] = (folders, found)
    return found


def _mtime(folder: str) -> int | None:
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:  # removed since: the listing is stale
        return None


def labels_digest(root: Path) -> str:
    """A 16-hex digest of the relative names and contents of :func:`label_files`."""
    digest = hashlib.sha256()
    for relative in _label_names(str(root)):
        digest.update(f"{relative}\0{_file_sha(os.path.join(root, relative))}\n".encode())
    return digest.hexdigest()[:16]


def _file_sha(path: str) -> str:
    stat = os.stat(path)
    known = _DIGESTS.get(path)
    if known is not None and known[:2] == (stat.st_size, stat.st_mtime_ns):
        return known[2]
    with open(path, "rb") as handle:
        sha = hashlib.file_digest(handle, "sha256").hexdigest()
    _DIGESTS[path] = (stat.st_size, stat.st_mtime_ns, sha)
    return sha
