from oquab_lib.tools import benchmark


def test_fcn_vs_patches_measures_both_pipelines_on_the_same_images():
    table = benchmark.fcn_vs_patches("smoke", image_size=(64, 48), num_images=1, repeats=1)
    assert list(table.columns) == ["patches_per_image", "seconds_per_image", "gflops_per_image"]
    assert len(table) == 3 and (table.seconds_per_image > 0).all()
    ratios = benchmark.speedup_table(table)
    # One fully-convolutional pass does less arithmetic than hundreds of overlapping patches.
    assert ratios["FLOP ratio"].iloc[0] > 1
    assert table.patches_per_image.iloc[0] > 100


def test_patch_pipeline_overhead_times_both_paths_on_the_same_patches():
    from oquab_lib.tools import benchmark_patches

    table = benchmark_patches.patch_pipeline_overhead("smoke", num_images=3, nets=4, progress=False)
    assert len(table) == 2 and (table["network_seconds"] > 0).all()
    times = table.attrs["times"]
    once = times["tile_label"] + times["crop_batch"]
    assert table["overhead_seconds"].iloc[0] == once
    assert table["overhead_seconds"].iloc[1] == once / 4 + times["convert"]
    assert table["overhead_ratio"].tolist() == (table["overhead_seconds"] / times["forward"]).tolist()
    assert times["patches"] == 3 * table.attrs["patches_per_image"] > 0
    assert table.attrs["profile_path"] == table.index[1]  # smoke, like quick, shares a crop cache
    assert benchmark_patches.uses_crop_cache("quick") and not benchmark_patches.uses_crop_cache("full")


def test_full_profile_estimate_multiplies_measured_seconds_by_the_workloads():
    import pandas as pd
    import pytest

    table = pd.DataFrame({"seconds_per_image": [2.0, 0.1, 0.5]}, index=["patches", "one scale", "six scales"])
    table.attrs["variant"] = "full"
    estimate = benchmark.full_profile_estimate(table, epochs=20, source_nets=2)
    assert estimate.loc["CVPR'14 Table 2: patch features", "hours"] == pytest.approx((5717 + 5823) * 2 * 2.0 / 3600)
    assert estimate.loc["CVPR'15 VOC: training, one model", "hours"] == pytest.approx(5717 * 20 * 0.13 / 3600)
    assert estimate.loc["CVPR'15 COCO: multi-scale test", "hours"] == pytest.approx(40504 * 0.5 / 3600)
    table.attrs["variant"] = "quick"
    with pytest.raises(ValueError, match="full"):
        benchmark.full_profile_estimate(table)


def test_variant_tables_and_sentences_of_the_performance_page():
    import pandas as pd

    from oquab_lib.tools import benchmark, benchmark_patches

    table = pd.DataFrame({"patches_per_image": [500, 0, 0], "seconds_per_image": [1.0, 0.1, 0.5],
                          "gflops_per_image": [100.0, 5.0, 20.0]}, index=pd.Index(["patches", "fcn", "multi"],
                                                                                  name="pipeline"))
    table.attrs.update(variant="quick", device="cpu", image_size="160x120")
    combined = benchmark.variants_table({"quick": table})
    assert combined.loc[("quick", "fcn"), "measured speed-up"] == 10.0
    assert combined.loc[("quick", "multi"), "FLOP ratio"] == 5.0
    assert benchmark.speedup_sentences({"quick": table}) == (
        "quick (160x120 images, device cpu): one fully-convolutional pass is 10x faster than 500 patches (FLOP ratio "
        "20x); the multi-scale test is 2.0x faster (FLOP ratio 5.0x).")
    overhead = pd.DataFrame({"overhead_ratio": [0.3, 0.05]}, index=["fly", "cache"])
    overhead.attrs.update(profile_path="cache", images=4, patches_per_image=55.0, device="cpu")
    assert benchmark_patches.overheads_table({"quick": overhead}).loc[("quick", "fly"), "overhead_ratio"] == 0.3
    assert benchmark_patches.overhead_sentences({"quick": overhead}) == (
        "quick: 4 images, 55 patches per image; the profile's path, cache, costs 5.0% of network time; goal <= 10%: "
        "met (device cpu).")


def test_full_profile_estimate_counts_no_pretrain_epochs_and_seeds():
    import pandas as pd
    import pytest

    table = pd.DataFrame({"seconds_per_image": [2.0, 0.1, 0.5]}, index=["patches", "one scale", "six scales"])
    table.attrs["variant"] = "full"
    estimate = benchmark.full_profile_estimate(table, scratch_epochs=90, scratch_seeds=2)
    row = estimate.loc["CVPR'14 Table 2: NO PRETRAIN, every seed"]
    assert row["passes"] == 180
    assert row["hours"] == pytest.approx(5717 * 180 * 2.0 * benchmark.FULL_TRAIN_FACTOR / 3600)



def test_plan_sizes_keeps_full_size_cpu_runs_to_one_image():
    # make rehearse runs the Performance chapter at profile full on a CPU: it must not benchmark 12 full-size images
    variants, overhead = benchmark.plan_sizes("full", "cpu")
    assert variants == {"full": (1, 1)} and overhead == {"full": 1}
    gpu_variants, gpu_overhead = benchmark.plan_sizes("full", "cuda:0")
    assert gpu_variants["full"][0] > 1 and gpu_overhead["full"] > 1
    assert set(benchmark.plan_sizes("quick", "cpu")[0]) == {"quick", "full"}
