from oquab_lib import benchmark


def test_fcn_vs_patches_measures_both_pipelines_on_the_same_images():
    table = benchmark.fcn_vs_patches("smoke", image_size=(64, 48), num_images=1, repeats=1)
    assert list(table.columns) == ["patches_per_image", "seconds_per_image", "gflops_per_image"]
    assert len(table) == 3 and (table.seconds_per_image > 0).all()
    ratios = benchmark.speedup_table(table)
    # One fully-convolutional pass does less arithmetic than hundreds of overlapping patches.
    assert ratios["FLOP ratio"].iloc[0] > 1
    assert table.patches_per_image.iloc[0] > 100


def test_patch_pipeline_overhead_times_both_paths_on_the_same_patches():
    from oquab_lib import benchmark_patches

    table = benchmark_patches.patch_pipeline_overhead("smoke", num_images=3, nets=4, progress=False)
    assert len(table) == 2 and (table["network_seconds"] > 0).all()
    times = table.attrs["times"]
    once = times["tile_label"] + times["crop_batch"]
    assert table["overhead_seconds"].iloc[0] == once
    assert table["overhead_seconds"].iloc[1] == once / 4 + times["convert"]
    assert table["overhead_ratio"].tolist() == (table["overhead_seconds"] / times["forward"]).tolist()
    assert times["patches"] == 3 * table.attrs["patches_per_image"] > 0
