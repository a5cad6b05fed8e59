"""Tests for oquab_lib.heatmaps: patch-average heat maps, score-map up-sampling, overlays."""

import time

import numpy as np
import pytest
import torch
from PIL import Image

from oquab_lib.errors import ConfigError
from oquab_lib.heatmaps import overlay, patch_heatmap, upsample_score_map
from oquab_lib.patches import tile_patches


def _naive_heatmap(patches, scores, height, width):
    """Per-pixel loop: mean score of the patches whose box contains the pixel centre (x + 0.5, y + 0.5)."""
    heat = torch.zeros(scores.shape[1], height, width, dtype=torch.float64)
    for y in range(height):
        for x in range(width):
            covering = [i for i, (x1, y1, x2, y2) in enumerate(patches.tolist())
                        if x1 <= x + 0.5 < x2 and y1 <= y + 0.5 < y2]
            if covering:
                heat[:, y, x] = scores[covering].double().mean(dim=0)
    return heat


def test_heatmap_matches_naive_loop():
    gen = torch.Generator().manual_seed(0)
    height, width = 13, 17
    corners = torch.rand(25, 2, generator=gen) * torch.tensor([width, height]) - 2  # some stick out of the image
    patches = torch.cat([torch.cat([corners, corners + 1 + torch.rand(25, 1, generator=gen) * 8], dim=1),
                         tile_patches(width, height, scales=(1.5, 3))])
    patches[:3] = torch.tensor([[2.0, 2, 2.3, 2.3], [0.5, 0, 2.5, 3], [-5, -5, -1, -1]])  # no centre / edges / outside
    scores = torch.rand(patches.shape[0], 3, generator=gen)
    heat = patch_heatmap(patches, scores, height, width)
    assert heat.shape == (3, height, width) and heat.dtype == scores.dtype
    torch.testing.assert_close(heat.double(), _naive_heatmap(patches, scores, height, width), atol=1e-6, rtol=0)


def test_heatmap_half_pixel_rule_and_zero_outside():
    patches = torch.tensor([[0.5, 0.5, 2.5, 2.5]])
    heat = patch_heatmap(patches, torch.tensor([[3.0]]), 4, 4)[0]
    expected = torch.zeros(4, 4)
    expected[:2, :2] = 3.0  # centres 0.5 and 1.5 are inside [0.5, 2.5); centre 2.5 is not
    assert torch.equal(heat, expected)


def test_heatmap_averages_overlapping_patches():
    patches = torch.tensor([[0.0, 0, 4, 2], [2.0, 0, 6, 2]])
    heat = patch_heatmap(patches, torch.tensor([[1.0, 0.0], [3.0, 1.0]]), 2, 6)
    assert heat[0, 0].tolist() == [1, 1, 2, 2, 3, 3]
    assert heat[1, 1].tolist() == [0, 0, 0.5, 0.5, 1, 1]


def test_heatmap_is_fast_on_paper_sizes():
    patches = tile_patches(500, 375)
    scores = torch.rand(patches.shape[0], 20, generator=torch.Generator().manual_seed(0))
    start = time.perf_counter()
    heat = patch_heatmap(patches, scores, 375, 500)
    assert time.perf_counter() - start < 2.0  # ~0.1 s alone; slack for a shared CPU
    assert (heat > 0).all()  # the grid covers every pixel


def test_heatmap_bad_shapes():
    with pytest.raises(ConfigError, match="patch_heatmap"):
        patch_heatmap(torch.zeros(3, 4), torch.zeros(2, 5), 10, 10)


def test_upsample_hits_cell_centres_and_interpolates_between():
    maps = torch.rand(2, 4, 5, generator=torch.Generator().manual_seed(0))
    stride, offset = 32, 16.5  # pixel x = 16 + 32 j has centre 16.5 + 32 j = centre of cell j
    out = upsample_score_map(maps, stride, offset, 128, 160)
    assert out.shape == (2, 128, 160)
    torch.testing.assert_close(out[:, 16::32, 16::32], maps)
    torch.testing.assert_close(out[:, 16::32, 32], (maps[:, :, 0] + maps[:, :, 1]) / 2)  # half-way: 32.5
    torch.testing.assert_close(out[:, 0, 0], maps[:, 0, 0])  # beyond the first centre: border value
    torch.testing.assert_close(out[:, -1, -1], maps[:, -1, -1])


def test_upsample_single_cell_is_constant():
    out = upsample_score_map(torch.tensor([[[2.5]]]), 32, 16, 7, 9)
    assert torch.equal(out, torch.full((1, 7, 9), 2.5))
    with pytest.raises(ConfigError, match="stride"):
        upsample_score_map(torch.zeros(1, 2, 2), 0, 0, 4, 4)


def test_overlay_blending_and_inputs():
    image = torch.rand(3, 10, 12, generator=torch.Generator().manual_seed(0))
    heat = torch.linspace(0, 1, 120).reshape(10, 12)
    as_uint8 = np.round(image.permute(1, 2, 0).numpy() * 255).astype(np.uint8)
    assert np.array_equal(overlay(image, heat, alpha=0.0), as_uint8)
    full = overlay(image, heat, alpha=1.0, cmap="magma")
    assert full.shape == (10, 12, 3) and full.dtype == np.uint8
    from matplotlib import colormaps
    assert np.array_equal(full[-1, -1], np.round(np.array(colormaps["magma"](1.0)[:3]) * 255).astype(np.uint8))
    pil = overlay(Image.fromarray(as_uint8), heat.numpy()[::2, ::2], alpha=0.5)  # heat map resized to the image
    assert pil.shape == (10, 12, 3)
    with pytest.raises(ConfigError, match="colormap"):
        overlay(image, heat, cmap="not-a-map")
