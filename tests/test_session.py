"""session.cache_summary: one line per call instead of one per cache entry."""

from oquab_lib import cache, session


def test_cache_summary_counts_hits_and_computed_entries(tmp_path, capsys):
    def write(work):
        (work / "x.txt").write_text("x")

    cache.load_or_compute(tmp_path, "a", {"n": 1}, write, verbose=False)
    capsys.readouterr()
    with session.cache_summary() as tally:
        cache.load_or_compute(tmp_path, "a", {"n": 1}, write)  # a hit: counted, not printed
        cache.load_or_compute(tmp_path, "a", {"n": 2}, write)  # a miss: computed
    printed = capsys.readouterr().out
    assert "cache hit" not in printed and printed.endswith("1 result from the cache, 1 computed\n")
    assert [kind for kind, _ in tally] == ["hit", "computed"]
    with session.cache_summary(verbose=True):
        cache.load_or_compute(tmp_path, "a", {"n": 1}, write)
    assert "1 result from the cache, 0 computed\n  hit: " in capsys.readouterr().out
    cache.load_or_compute(tmp_path, "a", {"n": 1}, write)  # outside a summary: the per-entry line as before
    assert capsys.readouterr().out.startswith("cache hit: ")
