"""Tests of oquab_lib.localize: grid geometry, arg-max -> image mapping, point-based location AP, baselines."""

import math

import pytest
import torch
import torchvision
from torch import nn

from oquab_lib.errors import ConfigError, DataError
from oquab_lib.localize import (
    centre_points,
    grid_geometry,
    heatmap_argmax_points,
    location_ap,
    random_points,
    score_map_argmax_to_image,
    sequential_geometry,
)
from oquab_lib.metrics import voc_ap

# torchvision AlexNet features as (kernel, stride, padding), worked by hand (offset = centre of output cell 0):
#   conv1 11/4 pad 2: offset 0 + (5 - 2) * 1 = 3,   stride 4
#   pool1  3/2:       offset 3 + (1 - 0) * 4 = 7,   stride 8
#   conv2  5/1 pad 2: offset 7 + (2 - 2) * 8 = 7,   stride 8
#   pool2  3/2:       offset 7 + 1 * 8 = 15,        stride 16
#   conv3-5 3/1 pad 1: unchanged
#   pool5  3/2:       offset 15 + 1 * 16 = 31,      stride 32
ALEXNET_SPECS = [(11, 4, 2), (3, 2, 0), (5, 1, 2), (3, 2, 0), (3, 1, 1), (3, 1, 1), (3, 1, 1), (3, 2, 0)]


def test_grid_geometry_alexnet_by_hand():
    assert grid_geometry(ALEXNET_SPECS) == (32, 31)
    # CVPR'15 head: FC6 as a 6x6 conv (offset + 2.5 * 32 = 111), FC7 1x1, adaptation convs 3x3 pad 1 (no shift).
    assert grid_geometry([*ALEXNET_SPECS, (6, 1, 0), (1, 1, 0), (3, 1, 1), (3, 1, 1)]) == (32, 111)
    assert grid_geometry([]) == (1, 0)
    assert grid_geometry([(3, 1, 0, 2)]) == (1, 2)  # dilation 2: extent 5, centre of cell 0 at input 2


def test_sequential_geometry_of_torchvision_alexnet():
    with torch.device("meta"):  # no memory, no weights, no download
        features = torchvision.models.alexnet().features
    assert sequential_geometry(features) == (32, 31)
    with pytest.raises(ConfigError, match="unknown way"):
        sequential_geometry(nn.Sequential(nn.Conv2d(1, 1, 3), nn.AdaptiveAvgPool2d(1)))


@pytest.mark.parametrize("seed", range(6))
def test_grid_geometry_matches_gradient_receptive_field(seed):
    # Independent check: the input-gradient support of an interior output cell of an all-ones conv/avg-pool stack
    # is its receptive field; its centre must be offset + j * stride.
    generator = torch.Generator().manual_seed(seed)
    def draw(low: int, high: int) -> int:
        return int(torch.randint(low, high + 1, (1,), generator=generator))

    kernels = [draw(1, 5) for _ in range(3)]
    specs = [(k, draw(1, 2), draw(0, k // 2)) for k in kernels]  # (kernel, stride, padding <= kernel / 2)
    layers = []
    for index, (k, s, p) in enumerate(specs):
        layer = nn.Conv2d(1, 1, k, s, p, bias=False) if index % 2 == 0 else nn.AvgPool2d(k, s, p)
        if isinstance(layer, nn.Conv2d):
            nn.init.ones_(layer.weight)
        layers.append(layer)
    stride, offset = grid_geometry(specs)
    image = torch.zeros(1, 1, 96, 96, requires_grad=True)
    out = nn.Sequential(*layers)(image)
    j = out.shape[-1] // 2
    out[0, 0, j, j].backward()
    columns = torch.nonzero(image.grad[0, 0].abs().sum(0)).flatten()
    assert (columns.min() + columns.max()) / 2 == pytest.approx(offset + j * stride)


def _gaussian_kernel(size: int, sigma: float) -> torch.Tensor:
    r = torch.arange(size) - (size - 1) / 2
    g = torch.exp(-r**2 / (2 * sigma**2))
    return (g[:, None] * g[None, :])[None, None]


def test_bright_pixel_maps_back_within_half_stride():
    # Peaked (Gaussian) kernels so the response is highest at the cell nearest the pixel.
    net = nn.Sequential(nn.Conv2d(1, 1, 5, 2, 2, bias=False), nn.ReLU(), nn.MaxPool2d(2, 2),
                        nn.Conv2d(1, 1, 3, 1, 1, bias=False))
    with torch.no_grad():
        net[0].weight.copy_(_gaussian_kernel(5, 1.0))
        net[3].weight.copy_(_gaussian_kernel(3, 0.8))
    stride, offset = sequential_geometry(net)
    assert (stride, offset) == (4, 1)  # conv 5/2 pad 2: 0; pool 2/2: 0 + 0.5 * 2 = 1; conv 3/1 pad 1: 1
    positions = [(x, y) for x in range(8, 56, 3) for y in range(9, 56, 5)]
    images = torch.zeros(len(positions), 1, 64, 64)
    for n, (x, y) in enumerate(positions):
        images[n, 0, y, x] = 1.0
    with torch.no_grad():
        points = score_map_argmax_to_image(net(images), stride, offset)  # [B, 1, 2]
    error = (points[:, 0, :] - torch.tensor(positions, dtype=torch.float32)).abs()
    assert error.max() <= stride / 2
    # The same image enlarged by 2 before the network: mapped back with scale=2 it lands near the original pixel.
    big = torch.zeros(1, 1, 128, 128)
    big[0, 0, 2 * 20, 2 * 30] = 1.0
    with torch.no_grad():
        point = score_map_argmax_to_image(net(big), stride, offset, scale=2.0)[0, 0]
    assert abs(point[0] - 30) <= stride / 4 and abs(point[1] - 20) <= stride / 4


def test_score_map_argmax_hand_worked_and_scales():
    maps = torch.zeros(2, 1, 3, 4)
    maps[0, 0, 2, 1] = 5.0  # row 2, column 1
    maps[1, 0, 0, 3] = 5.0  # row 0, column 3
    # x = (7.5 + 1 * 16) / 0.5 = 47, y = (7.5 + 2 * 16) / 0.5 = 79
    points = score_map_argmax_to_image(maps, stride=16, offset=7.5, scale=0.5)
    assert points[0, 0].tolist() == [47.0, 79.0]
    assert points[1, 0].tolist() == [(7.5 + 48) / 0.5, 7.5 / 0.5]
    per_image = score_map_argmax_to_image(maps, 16, 7.5, scale=torch.tensor([0.5, 1.0]))
    assert per_image[1, 0].tolist() == [55.5, 7.5]
    per_axis = score_map_argmax_to_image(maps, 16, 7.5, scale=torch.tensor([[0.5, 1.0], [1.0, 1.0]]))
    assert per_axis[0, 0].tolist() == [47.0, 39.5]
    # Ties: first maximum in row-major order.
    assert score_map_argmax_to_image(torch.ones(1, 1, 2, 2), 10, 0)[0, 0].tolist() == [0.0, 0.0]
    with pytest.raises(ConfigError, match="scale"):
        score_map_argmax_to_image(maps, 16, 7.5, scale=torch.ones(3))


def _one_class_case(points_xy, scores, labels, boxes_per_image):
    points = torch.tensor(points_xy, dtype=torch.float32)[:, None, :]
    gt = [torch.tensor(b, dtype=torch.float32).reshape(-1, 5) for b in boxes_per_image]
    return points, torch.tensor(scores)[:, None], gt, torch.tensor(labels)[:, None]


def test_location_ap_tolerance_edges():
    box = [[100, 100, 200, 200, 0]]
    # image 0: x = 218 = x2 + 18, exactly on the enlarged boundary -> hit (inclusive)
    # image 1: x = 218.5, just outside -> false positive although the class is present
    # ranking: hit (0.9), FP (0.8); n_pos = 2 -> recall 1/2, 1/2; precision 1, 1/2
    # AP = 1/2 * 1 + (recall 1/2 -> 1 never reached: precision 0) = 0.5
    case = _one_class_case([[218, 150], [218.5, 150]], [0.9, 0.8], [1, 1], [box, box])
    ap, mean = location_ap(*case, tolerance=18)
    assert ap.tolist() == [0.5] and mean == 0.5
    # Top-left corner of the enlarged box (82, 82) is inside; (81.9, 82) is not.
    case = _one_class_case([[82, 82], [81.9, 82]], [0.9, 0.8], [1, 1], [box, box])
    assert location_ap(*case, tolerance=18)[0].tolist() == [0.5]
    # Tolerance 0: a point on the box border still counts.
    case = _one_class_case([[200, 200], [150, 150]], [0.9, 0.8], [1, 1], [box, box])
    assert location_ap(*case, tolerance=0)[0].tolist() == [1.0]


def test_location_ap_ignores_difficult_only_images_and_counts_absent_images_as_false_positives():
    box = [[0, 0, 10, 10, 0]]
    # image 0: label 0 (difficult only), highest score, point far away -> ignored
    # image 1: label 1, hit (0.8); image 2: label -1, any point is a FP (0.7); image 3: label 1, hit (0.6)
    # ranking: TP, FP, TP -> recall 1/2, 1/2, 1; precision 1, 1/2, 2/3 -> AP = 1/2 * 1 + 1/2 * 2/3 = 5/6
    case = _one_class_case([[500, 500], [5, 5], [5, 5], [5, 5]], [0.9, 0.8, 0.7, 0.6], [0, 1, -1, 1],
                           [box, box, [], box])
    ap, mean = location_ap(*case)
    assert ap.item() == pytest.approx(5 / 6) and mean == pytest.approx(5 / 6)


def test_location_ap_two_classes_wrong_position_and_wrong_class_box():
    # Image 0 has a cat (class 0) box and a dog (class 1) box; image 1 has a cat box only.
    gt = [torch.tensor([[0, 0, 50, 50, 0], [200, 200, 300, 300, 1]], dtype=torch.float32),
          torch.tensor([[100, 100, 150, 150, 0]], dtype=torch.float32)]
    labels = torch.tensor([[1, 1], [1, -1]])
    scores = torch.tensor([[0.9, 0.3], [0.8, 0.7]])
    points = torch.tensor([[[250, 250], [250, 250]],   # cat point on the dog box -> FP; dog point on dog box -> hit
                           [[120, 120], [120, 120]]], dtype=torch.float32)  # cat hit; dog absent -> FP
    # cat: ranking FP (0.9), TP (0.8); n_pos 2 -> precision 0, 1/2 at recall 0, 1/2 -> AP = 1/2 * 1/2 = 1/4
    # dog: ranking FP (0.7, image 1 absent), TP (0.3) ; n_pos 1 -> precision 1/2 at recall 1 -> AP = 1/2
    ap, mean = location_ap(points, scores, gt, labels, tolerance=18)
    assert ap.tolist() == pytest.approx([0.25, 0.5])
    assert mean == pytest.approx(0.375)


def test_location_ap_nan_for_class_without_positive_and_equals_classification_ap_when_all_points_hit():
    generator = torch.Generator().manual_seed(0)
    n = 30
    labels = torch.where(torch.rand(n, 3, generator=generator) < 0.4, 1, -1)
    labels[:, 2] = -1  # class 2 never present
    labels[0, 0] = 0
    scores = torch.rand(n, 3, generator=generator)
    gt = [torch.tensor([[10, 10, 20, 20, c] for c in range(2) if labels[i, c] != -1], dtype=torch.float32).reshape(-1, 5)
          for i in range(n)]
    points = torch.full((n, 3, 2), 15.0)
    ap, mean = location_ap(points, scores, gt, labels)
    assert math.isnan(ap[2])
    # Every present class is localised correctly, so location AP = classification AP (voc12) of each class.
    for c in range(2):
        assert ap[c].item() == pytest.approx(voc_ap(scores[:, c], labels[:, c], "voc12"))
    assert mean == pytest.approx(ap[:2].mean().item())


def test_location_ap_bad_inputs():
    case = _one_class_case([[5, 5]], [0.9], [1], [[[0, 0, 10, 10, 0]]])
    with pytest.raises(ConfigError, match="tolerance"):
        location_ap(*case, tolerance=-1)
    with pytest.raises(DataError, match="class index"):
        location_ap(case[0], case[1], [torch.tensor([[0, 0, 10, 10, 3.0]])], case[3])
    with pytest.raises(DataError, match="gt_boxes has"):
        location_ap(case[0], case[1], [], case[3])
    with pytest.raises(DataError, match="no class"):
        location_ap(case[0], case[1], case[2], torch.tensor([[-1]]))


def test_baseline_points():
    widths, heights = torch.tensor([500.0, 101.0]), torch.tensor([375.0, 51.0])
    centre = centre_points(widths, heights, 3)
    assert centre.shape == (2, 3, 2)
    assert centre[1, 2].tolist() == [50.0, 25.0]  # (w - 1) / 2, (h - 1) / 2 in pixel-index coordinates
    first = random_points(widths, heights, 4, torch.Generator().manual_seed(1))
    again = random_points(widths, heights, 4, torch.Generator().manual_seed(1))
    assert torch.equal(first, again)  # same seed -> same points
    assert first.shape == (2, 4, 2) and torch.equal(first, first.floor())
    assert (first[..., 0] < widths[:, None]).all() and (first[..., 1] < heights[:, None]).all() and (first >= 0).all()
    heatmaps = torch.zeros(2, 5, 7)
    heatmaps[0, 3, 6] = 1.0
    heatmaps[1, 4, 0] = 2.0
    assert heatmap_argmax_points(heatmaps).tolist() == [[6.0, 3.0], [0.0, 4.0]]
    with pytest.raises(DataError, match="widths"):
        centre_points(torch.tensor([0.0]), torch.tensor([5.0]), 2)
