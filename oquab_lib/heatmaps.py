"""Score heat maps: per-pixel averages of patch scores (CVPR'14), up-sampled score maps (CVPR'15), figure overlays.

Pixel convention as in :mod:`oquab_lib.patches`: pixel ``(x, y)`` covers ``[x, x+1) x [y, y+1)``, centre
``(x + 0.5, y + 0.5)``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from oquab_lib.errors import ConfigError


def _pixel_bounds(coords: Tensor, size: int) -> Tensor:
    """First pixel index whose centre ``i + 0.5`` is ``>= coords``, clamped to ``[0, size]``."""
    return torch.ceil(coords - 0.5).clamp(0, size).long()


def patch_heatmap(patches: Tensor, scores: Tensor, height: int, width: int) -> Tensor:
    """Heat map ``[C, height, width]``: each pixel the mean score of the patches covering it, 0 where none does.

    ``patches [N, 4]`` (x1, y1, x2, y2) pixels, ``scores [N, C]``. Pixel ``(x, y)`` is covered by a patch when
    ``x1 <= x + 0.5 < x2`` and ``y1 <= y + 0.5 < y2`` (its centre lies in the half-open box). Sums and counts are
    accumulated with 2-D difference arrays (four ``index_add_`` calls, then two ``cumsum``), in float64 so that
    uncovered pixels come out exactly 0 and the counts exactly integer. Output has the dtype of ``scores``.
    """
    if patches.ndim != 2 or patches.shape[1] != 4 or scores.ndim != 2 or scores.shape[0] != patches.shape[0]:
        raise ConfigError(f"patch_heatmap: need patches [N, 4] and scores [N, C], got {tuple(patches.shape)} "
                          f"and {tuple(scores.shape)}")
    if height <= 0 or width <= 0:
        raise ConfigError(f"patch_heatmap: height and width must be positive, got {height}x{width}")
    device = scores.device
    patches = patches.to(device, torch.float64)
    x0, x1 = _pixel_bounds(patches[:, 0], width), _pixel_bounds(patches[:, 2], width)
    y0, y1 = _pixel_bounds(patches[:, 1], height), _pixel_bounds(patches[:, 3], height)
    # Row C carries the coverage count; patches covering no pixel centre get zero weight.
    covers = ((x1 > x0) & (y1 > y0)).to(torch.float64)
    weights = torch.cat([scores.to(torch.float64).T, torch.ones(1, scores.shape[0], device=device)]) * covers
    diff = torch.zeros(weights.shape[0], (height + 1) * (width + 1), dtype=torch.float64, device=device)
    for ys, xs, sign in ((y0, x0, 1.0), (y0, x1, -1.0), (y1, x0, -1.0), (y1, x1, 1.0)):
        diff.index_add_(1, ys * (width + 1) + xs, weights * sign)
    totals = diff.view(-1, height + 1, width + 1).cumsum(1).cumsum(2)[:, :height, :width]
    sums, counts = totals[:-1], totals[-1].round()
    heat = torch.where(counts > 0, sums / counts.clamp(min=1), torch.zeros((), dtype=torch.float64, device=device))
    return heat.to(scores.dtype)


def upsample_score_map(score_maps: Tensor, stride: float, offset: float, height: int, width: int) -> Tensor:
    """Map a fully-convolutional net's score maps ``[K, h, w]`` to image pixels ``[K, height, width]``.

    Cell ``(i, j)`` is taken to be centred on image point ``(offset + j·stride, offset + i·stride)`` in continuous
    pixel coordinates (e.g. ``offset = receptive_field / 2`` for a net without padding, in the coordinates of the
    image the net saw). Each pixel centre is bilinearly interpolated between the four nearest cell centres; pixels
    beyond the outermost centres take the border value (``padding_mode="border"``).
    """
    if score_maps.ndim != 3:
        raise ConfigError(f"upsample_score_map: score_maps must be [K, h, w], got {tuple(score_maps.shape)}")
    if stride <= 0:
        raise ConfigError(f"upsample_score_map: stride must be positive, got {stride}")
    maps = score_maps.float() if not score_maps.is_floating_point() else score_maps
    cells_h, cells_w = maps.shape[-2:]

    def normalised(n_pixels: int, n_cells: int) -> Tensor:
        cell_units = (torch.arange(n_pixels, dtype=torch.float64, device=maps.device) + 0.5 - offset) / stride
        # align_corners=True: -1 and +1 are the centres of the first and last cells.
        return 2 * cell_units / (n_cells - 1) - 1 if n_cells > 1 else torch.zeros_like(cell_units)

    grid_y, grid_x = torch.meshgrid(normalised(height, cells_h), normalised(width, cells_w), indexing="ij")
    grid = torch.stack([grid_x, grid_y], dim=-1).unsqueeze(0).to(maps.dtype)
    return F.grid_sample(maps.unsqueeze(0), grid, mode="bilinear", padding_mode="border", align_corners=True)[0]


def _image_as_float_array(image: Tensor | Image.Image | np.ndarray) -> np.ndarray:
    """``[H, W, 3]`` float64 in [0, 1] from a PIL image, a ``[3, H, W]`` tensor or an ``[H, W, 3]`` array."""
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0
    if isinstance(image, Tensor):
        if image.ndim != 3 or image.shape[0] != 3:
            raise ConfigError(f"overlay: image tensor must be [3, H, W], got {tuple(image.shape)}")
        array = image.detach().cpu().permute(1, 2, 0).numpy()
    else:
        array = np.asarray(image)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ConfigError(f"overlay: image array must be [H, W, 3], got {array.shape}")
    return array.astype(np.float64) / 255.0 if array.dtype == np.uint8 else np.clip(array.astype(np.float64), 0, 1)


def overlay(
    image: Tensor | Image.Image | np.ndarray,
    heatmap: Tensor | np.ndarray,
    alpha: float = 0.5,
    cmap: str = "jet",
    vmin: float | None = None,
    vmax: float | None = None,
) -> np.ndarray:
    """Blend a colour-mapped ``heatmap [h, w]`` over ``image``; returns uint8 RGB ``[H, W, 3]``.

    ``image``: PIL, ``[3, H, W]`` tensor (float in [0, 1] or uint8) or ``[H, W, 3]`` array. The heat map is resized
    bilinearly to the image if needed and scaled to [0, 1] by ``vmin``/``vmax`` (default: its own min and max; a
    constant map shows as the colormap's bottom colour). ``cmap`` is any matplotlib colormap ("jet", "magma", ...).
    """
    from matplotlib import (
        colormaps,  # imported here: figures only, keeps the library import light
    )

    if not 0.0 <= alpha <= 1.0:
        raise ConfigError(f"overlay: alpha must be in [0, 1], got {alpha}")
    if cmap not in colormaps:
        raise ConfigError(f"overlay: unknown matplotlib colormap {cmap!r}; try 'jet' or 'magma'")
    rgb = _image_as_float_array(image)
    heat = torch.as_tensor(np.asarray(heatmap, dtype=np.float64) if not isinstance(heatmap, Tensor)
                           else heatmap.detach().cpu().double())
    if heat.ndim != 2:
        raise ConfigError(f"overlay: heatmap must be [H, W], got {tuple(heat.shape)}")
    if tuple(heat.shape) != rgb.shape[:2]:
        heat = F.interpolate(heat[None, None], size=rgb.shape[:2], mode="bilinear", align_corners=False)[0, 0]
    low = float(heat.min()) if vmin is None else vmin
    high = float(heat.max()) if vmax is None else vmax
    scaled = ((heat - low) / (high - low)).clamp(0, 1) if high > low else torch.zeros_like(heat)
    colours = colormaps[cmap](scaled.numpy())[..., :3]
    blended = (1 - alpha) * rgb + alpha * colours
    return np.round(blended * 255).astype(np.uint8)
