"""Tests for oquab_lib.patches: tiling, labelling, background re-sampling, cropping, mirror padding."""

import math

import numpy as np
import pytest
import torch
from PIL import Image

from oquab_lib.errors import ConfigError
from oquab_lib.patches import (
    PAPER_SCALES,
    crop_patches,
    iterate_patch_batches,
    label_patches,
    mirror_pad_square,
    resample_background,
    tile_patches,
)


# ----------------------------------------------------------------------------------------------------------- tiling
def _expected_count(width, height, step_fraction):
    """Independent count: per scale, ceil(span / max_step) + 1 positions per axis."""
    total = 0
    for scale in PAPER_SCALES:
        side = min(width, height) / scale
        per_axis = [max(0, math.ceil(round((length - side) / (step_fraction * side), 9))) + 1
                    for length in (width, height)]
        total += per_axis[0] * per_axis[1]
    return total


def _groups_by_side(patches, scales=PAPER_SCALES):
    """Patches of each scale, using the side min(w, h) / λ (float32 side lengths differ by ~1e-5)."""
    sides = patches[:, 2] - patches[:, 0]
    short = min(float(patches[:, 2].max()), float(patches[:, 3].max()))
    groups = [patches[(sides - short / scale).abs() < 1e-3] for scale in scales]
    assert sum(g.shape[0] for g in groups) == patches.shape[0]
    return groups


def test_about_500_patches_on_500x375():
    patches = tile_patches(500, 375)
    assert patches.shape == (512, 4) and patches.dtype == torch.float32
    assert 450 <= patches.shape[0] <= 550  # "about 500" (paper)
    # The linear-overlap reading of "50 % overlap" gives about half as many.
    assert tile_patches(500, 375, overlap_measure="side").shape[0] == 275


@pytest.mark.parametrize("size", [(500, 375), (375, 500), (500, 333), (500, 500), (353, 500), (64, 40)])
@pytest.mark.parametrize("measure,step_fraction", [("iou", 1 / 3), ("side", 0.5)])
def test_tiling_count_inside_square(size, measure, step_fraction):
    width, height = size
    patches = tile_patches(width, height, overlap_measure=measure)
    assert patches.shape[0] == _expected_count(width, height, step_fraction)
    assert (patches[:, 0] >= 0).all() and (patches[:, 1] >= 0).all()
    assert (patches[:, 2] <= width).all() and (patches[:, 3] <= height).all()
    torch.testing.assert_close(patches[:, 2] - patches[:, 0], patches[:, 3] - patches[:, 1])
    sides = sorted({round(float(g[0, 2] - g[0, 0]), 3) for g in _groups_by_side(patches)}, reverse=True)
    assert sides == pytest.approx([min(width, height) / s for s in PAPER_SCALES], abs=1e-3)


@pytest.mark.parametrize("measure", ["iou", "side"])
def test_neighbour_overlap_and_border_touching(measure):
    width, height = 500, 333
    for group in _groups_by_side(tile_patches(width, height, overlap_measure=measure)):
        side = float(group[0, 2] - group[0, 0])
        xs, ys = group[:, 0].unique(), group[:, 1].unique()
        assert xs.numel() > 1  # every scale has horizontal neighbours on a 500x333 image
        assert group.shape[0] == xs.numel() * ys.numel()  # a full regular grid
        assert xs.min() == 0 and ys.min() == 0  # first touches left/top
        assert xs.max() + side == pytest.approx(width, abs=1e-3)  # last touches right
        assert ys.max() + side == pytest.approx(height, abs=1e-3)
        for starts in (xs, ys):
            if starts.numel() < 2:
                continue
            steps = starts.diff()
            torch.testing.assert_close(steps, steps.mean().expand_as(steps), atol=1e-3, rtol=0)  # evenly spread
            shared = side - float(steps.max())  # 1-D overlap of neighbours; the other axis coincides
            overlap = shared / side if measure == "side" else shared * side / (2 * side * side - shared * side)
            assert overlap >= 0.5 - 1e-5


def test_tiling_order_is_scale_row_column():
    patches = tile_patches(200, 150)
    sides = patches[:, 2] - patches[:, 0]
    assert sides[0] == 150 and sides[-1] == 150 / 4
    assert (sides.diff() <= 1e-4).all()  # scale-major: sides never grow
    for group in _groups_by_side(patches):
        keys = group[:, 1] * 1e4 + group[:, 0]  # row, then column
        assert (keys.diff() > 0).all()


def test_tiling_whole_image_scale_one_and_errors():
    assert tile_patches(100, 100, scales=(1,)).tolist() == [[0, 0, 100, 100]]
    with pytest.raises(ConfigError, match="scales"):
        tile_patches(100, 100, scales=(0.5,))
    with pytest.raises(ConfigError, match="min_overlap"):
        tile_patches(100, 100, min_overlap=1.0)
    with pytest.raises(ConfigError, match="overlap_measure"):
        tile_patches(100, 100, overlap_measure="area")


# -------------------------------------------------------------------------------------------------------- labelling
P = torch.tensor([[0.0, 0.0, 10.0, 10.0]])  # one 10x10 patch, area 100
NUM = 20


def _label(boxes, labels, **kwargs):
    return label_patches(P, torch.tensor(boxes, dtype=torch.float32), torch.tensor(labels), NUM, **kwargs).item()


def test_label_thresholds_exactly_met_and_just_missed():
    assert _label([[0, 0, 10, 2]], [3]) == 3  # |P∩B| = 20 = 0.2|P|, = |B|
    assert _label([[4, 0, 14, 5]], [3]) == 3  # |P∩B| = 30 = 0.6|B|, >= 0.2|P|
    assert _label([[0, 0, 10, 1.9]], [3]) == -1  # 19 < 0.2|P|
    assert _label([[4.5, 0, 14.5, 5]], [3]) == -1  # 27.5 < 0.6|B|
    assert _label([[-50, -50, 60, 60]], [7]) == -1  # patch inside a huge object: 100 < 0.6|B|


def test_label_partial_option_both_ways():
    assert _label([[0, 0, 10, 1.9]], [3], partial="exclude") == -1
    assert _label([[0, 0, 10, 1.9]], [3], partial="background") == NUM
    assert _label([[0, 0, 10, 2]], [3], partial="background") == 3  # a full positive is unaffected


def test_label_background_and_touching_edges():
    assert _label([[20, 20, 30, 30]], [1]) == NUM
    assert _label([[10, 0, 20, 10]], [1]) == NUM  # shares only an edge: zero intersection, not an object
    assert label_patches(P, torch.zeros(0, 4), torch.zeros(0, dtype=torch.int64), NUM).tolist() == [NUM]
    assert label_patches(P, [], [], NUM).tolist() == [NUM]


def test_label_several_objects_excluded_even_same_class():
    grazed = [[0, 0, 10, 5], [9, 9, 30, 30]]  # the first passes both thresholds, the second only grazes the patch
    assert _label(grazed, [3, 4]) == 3  # "sufficient" (default): a grazing box is not an object P overlaps
    assert _label(grazed, [3, 4], objects="touch") == -1  # "touch": every touching box is one
    for objects in ("sufficient", "touch"):  # two boxes of the same class, both passing = two objects
        assert _label([[0, 0, 5, 5], [5, 5, 10, 10]], [3, 3], objects=objects) == -1
    with pytest.raises(ConfigError, match="objects must be"):
        _label(grazed, [3, 4], objects="any")


def test_label_difficult_policies():
    box, other = [0, 0, 10, 5], [5, 5, 10, 10]
    difficult = torch.tensor([True])
    assert _label([box], [3], difficult=difficult) == -1  # ignore (default): never a positive, not background
    assert _label([box], [3], difficult=difficult, difficult_policy="include") == 3
    assert _label([box], [3], difficult=difficult, difficult_policy="drop") == NUM
    both = torch.tensor([False, True])
    assert _label([box, other], [3, 4], difficult=both) == -1  # difficult still counts as another object
    assert _label([box, other], [3, 4], difficult=both, difficult_policy="drop") == 3
    with pytest.raises(ConfigError, match="difficult_policy"):
        _label([box], [3], difficult=difficult, difficult_policy="skip")


def _slow_label(patch, boxes, labels, difficult, partial, objects):
    area_p = (patch[2] - patch[0]) * (patch[3] - patch[1])
    inter, passing = [], []
    for j, box in enumerate(boxes):
        w = max(0.0, min(patch[2], box[2]) - max(patch[0], box[0]))
        h = max(0.0, min(patch[3], box[3]) - max(patch[1], box[1]))
        inter.append(w * h)
        if w * h >= 0.2 * area_p and w * h >= 0.6 * (box[2] - box[0]) * (box[3] - box[1]):
            passing.append(j)
    touched = [j for j, a in enumerate(inter) if a > 0]
    if not touched:
        return NUM
    counted = passing if objects == "sufficient" else touched
    if len(counted) > 1 or (len(counted) == 1 and difficult[counted[0]]):
        return -1
    if len(counted) == 1 and counted[0] in passing:
        return labels[counted[0]]
    return -1 if partial == "exclude" else NUM


@pytest.mark.parametrize("objects", ["sufficient", "touch"])
@pytest.mark.parametrize("partial", ["exclude", "background"])
def test_label_matches_slow_reference(partial, objects):
    gen = torch.Generator().manual_seed(0)
    patches = tile_patches(200, 150).double()
    for _ in range(5):
        corners = torch.rand(4, 2, generator=gen) * torch.tensor([200.0, 150.0])
        sizes = 10 + torch.rand(4, 2, generator=gen) * 60
        boxes = torch.cat([corners, corners + sizes], dim=1).double()
        labels = torch.randint(0, NUM, (4,), generator=gen)
        difficult = torch.rand(4, generator=gen) < 0.3
        fast = label_patches(patches, boxes, labels, NUM, difficult, partial=partial, objects=objects)
        slow = [_slow_label(p, boxes.tolist(), labels.tolist(), difficult.tolist(), partial, objects)
                for p in patches.tolist()]
        assert fast.tolist() == slow
    assert NUM in fast.tolist() and len(set(fast.tolist())) > 2  # background, and at least two other labels


def test_label_bad_inputs():
    with pytest.raises(ConfigError, match="box_labels"):
        _label([[0, 0, 5, 5]], [NUM])
    with pytest.raises(ConfigError, match="partial"):
        _label([[0, 0, 5, 5]], [1], partial="maybe")


# ------------------------------------------------------------------------------------------------------ re-sampling
def _labels(n_object=3, n_background=100, n_excluded=5):
    labels = torch.tensor([2] * n_object + [NUM] * n_background + [-1] * n_excluded)
    return labels[torch.randperm(labels.numel(), generator=torch.Generator().manual_seed(1))]


def test_resample_keeps_objects_and_a_tenth_of_background():
    labels = _labels()
    kept = resample_background(labels, NUM, 0.1, torch.Generator().manual_seed(0))
    assert kept.tolist() == sorted(set(kept.tolist()))
    assert (labels[kept] == 2).sum() == 3 and (labels[kept] == NUM).sum() == 10 and (labels[kept] == -1).sum() == 0


@pytest.mark.parametrize("n_background,fraction,expected", [(15, 0.1, 2), (4, 0.1, 0), (25, 0.1, 3), (7, 0, 0),
                                                            (7, 1.0, 7)])
def test_resample_rounding(n_background, fraction, expected):
    labels = _labels(n_background=n_background)
    kept = resample_background(labels, NUM, fraction, torch.Generator().manual_seed(0))
    assert (labels[kept] == NUM).sum() == expected


def test_resample_determinism():
    labels = _labels(n_background=1000)
    first = resample_background(labels, NUM, 0.1, torch.Generator().manual_seed(5))
    again = resample_background(labels, NUM, 0.1, torch.Generator().manual_seed(5))
    other = resample_background(labels, NUM, 0.1, torch.Generator().manual_seed(6))
    assert torch.equal(first, again) and not torch.equal(first, other)
    with pytest.raises(ConfigError, match="fraction"):
        resample_background(labels, NUM, 1.5)


# --------------------------------------------------------------------------------------------------------- cropping
def test_crop_integer_aligned_same_size_is_exact_copy():
    images = torch.rand(2, 3, 40, 50, generator=torch.Generator().manual_seed(0))
    patches = torch.tensor([[0.0, 0, 16, 16], [34, 24, 50, 40], [7, 3, 23, 19]])
    index = torch.tensor([0, 1, 1])
    crops = crop_patches(images, patches, index, out_size=16, mean=(0, 0, 0), std=(1, 1, 1))
    for crop, (x1, y1, _, _), i in zip(crops, patches.long().tolist(), index.tolist()):
        torch.testing.assert_close(crop, images[i, :, y1:y1 + 16, x1:x1 + 16], atol=1e-6, rtol=0)
    mean, std = torch.tensor([0.4, 0.5, 0.6]), torch.tensor([0.2, 0.25, 0.3])
    normalised = crop_patches(images, patches, index, 16, mean, std)
    torch.testing.assert_close(normalised, (crops - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1))


def test_crop_of_linear_ramp_is_exact_when_shrinking_and_growing():
    height, width = 60, 80
    ys, xs = torch.meshgrid(torch.arange(height).double(), torch.arange(width).double(), indexing="ij")
    image = torch.stack([xs, ys, 2 * xs - ys])  # linear: bilinear samples and their averages are exact
    for box, out in (([3.3, 2.7, 52.3, 51.7], 7), ([10.0, 12.5, 20.0, 22.5], 24)):
        crop = crop_patches(image, torch.tensor([box]).double(), out_size=out, mean=(0, 0, 0), std=(1, 1, 1))[0]
        step = (box[2] - box[0]) / out
        centres_x = box[0] + (torch.arange(out).double() + 0.5) * step - 0.5  # continuous -> pixel index
        centres_y = box[1] + (torch.arange(out).double() + 0.5) * step - 0.5
        cy, cx = torch.meshgrid(centres_y, centres_x, indexing="ij")
        torch.testing.assert_close(crop, torch.stack([cx, cy, 2 * cx - cy]), atol=1e-4, rtol=0)


def test_crop_upsampling_matches_pil_bilinear():
    rng = np.random.default_rng(0)
    array = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    box, out = (8, 6, 20, 18), 36  # 3x up-sampling of an interior patch
    pil = np.asarray(Image.fromarray(array).resize((out, out), Image.BILINEAR, box=box), dtype=np.float64)
    image = torch.from_numpy(array).permute(2, 0, 1).double()
    crop = crop_patches(image, torch.tensor([box]).double(), out_size=out, mean=(0, 0, 0), std=(1, 1, 1))[0]
    assert np.abs(crop.permute(1, 2, 0).numpy() - pil).max() <= 1.0  # PIL rounds to uint8


def test_crop_errors():
    with pytest.raises(ConfigError, match="image_index"):
        crop_patches(torch.rand(2, 3, 8, 8), torch.tensor([[0.0, 0, 4, 4]]), None, 4)
    with pytest.raises(ConfigError, match="mean"):
        crop_patches(torch.rand(3, 8, 8), torch.tensor([[0.0, 0, 4, 4]]), None, 4, mean=(0, 0))


def test_iterate_patch_batches_matches_direct_crops_and_loads_each_image_once():
    gen = torch.Generator().manual_seed(0)
    images = [torch.rand(3, 30, 40, generator=gen), torch.rand(3, 50, 20, generator=gen)]
    patches = [tile_patches(40, 30, scales=(1, 2)), tile_patches(20, 50, scales=(1, 2))]
    accesses = []

    class LazyImages:
        def __len__(self):
            return len(images)

        def __getitem__(self, i):
            accesses.append(i)
            return images[i]

    batches = list(iterate_patch_batches(LazyImages(), patches, batch_size=4, out_size=8, progress=False))
    assert accesses == [0, 1]
    assert all(b.crops.shape[0] <= 4 for b in batches)
    crops = torch.cat([b.crops for b in batches])
    expected = torch.cat([crop_patches(im, p, None, 8) for im, p in zip(images, patches)])
    torch.testing.assert_close(crops, expected)
    assert torch.cat([b.image_index for b in batches]).tolist() == [0] * len(patches[0]) + [1] * len(patches[1])
    assert torch.cat([b.patch_index for b in batches]).tolist() == list(range(len(patches[0]))) + list(
        range(len(patches[1])))


# --------------------------------------------------------------------------------------------------- mirror padding
def test_mirror_pad_not_needed():
    image = torch.rand(3, 100, 100)
    padded, square = mirror_pad_square(image, [10, 20, 30, 60])
    assert torch.equal(padded, image)
    assert square.tolist() == [0, 20, 40, 60]  # side max(w, h) = 40, same centre


def test_mirror_pad_left_edge_reflects():
    image = torch.rand(3, 60, 30)
    padded, square = mirror_pad_square(image, [0, 10, 10, 50])  # 10 x 40 box at the left border
    assert padded.shape == (3, 60, 45)
    assert square.tolist() == [0, 10, 40, 50]
    assert torch.equal(padded[:, :, 15:], image)
    for k in range(15):
        assert torch.equal(padded[:, :, 14 - k], image[:, :, k + 1])  # reflect: edge column not repeated


def test_mirror_pad_larger_than_image_repeats_reflection():
    image = torch.arange(3 * 20 * 3, dtype=torch.float32).reshape(3, 20, 3)
    padded, square = mirror_pad_square(image, [0, 0, 3, 20])  # square of side 20 around a 3-wide image
    assert padded.shape == (3, 20, 21)
    expected = np.pad(image.numpy(), ((0, 0), (0, 0), (9, 9)), mode="reflect")
    assert np.array_equal(padded.numpy(), expected)
    assert square.tolist() == pytest.approx([0.5, 0, 20.5, 20])
    crop = crop_patches(padded, square[None], out_size=20)
    assert crop.shape == (1, 3, 20, 20)
