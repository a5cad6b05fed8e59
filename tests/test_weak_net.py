"""Fully-convolutional AlexNet (fc_to_conv, grid geometry) and the CVPR'15 weak net (pooling, freezing, loss)."""

import copy
import math

import pytest
import torch
from torch import nn

from oquab_lib.errors import ConfigError, DataError
from oquab_lib.models import AlexNetSpec, ConvSpec, build_alexnet
from oquab_lib.weak_net import (
    WeakNet,
    fc_to_conv,
    global_pool,
    module_geometry,
    output_grid,
    score_geometry,
    weak_loss,
)

pytestmark = pytest.mark.usefixtures("one_thread")

# A padding-free variant: its windows see no zero padding, so dense outputs equal the FC net on crops exactly.
NO_PADDING = AlexNetSpec(
    "nopad", 113, (ConvSpec(8, 5, 2, 0), ConvSpec(16, 5, 1, 0), *[ConvSpec(16, 3, 1, 0)] * 3), 32, lrn_after=(0, 1)
)


def _image(side: int, batch: int = 2, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, 3, side, side, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("variant", ["smoke", "quick", "full"])
def test_fc_to_conv_equals_fc_net_at_training_size(variant):
    net = build_alexnet(variant, 10, seed=0).eval()
    dense = fc_to_conv(net)
    assert not dense.training
    x = _image(net.spec.input_size, batch=1 if variant == "full" else 3)
    with torch.no_grad():
        out = dense(x)
        assert out.shape == (x.shape[0], 10, 1, 1)
        torch.testing.assert_close(out[:, :, 0, 0], net(x), rtol=0, atol=1e-5)
    net.fc6.weight.data.zero_()  # a copy, not shared weights
    assert dense.classifier[1].weight.abs().sum() > 0


@pytest.mark.parametrize("variant", ["smoke", "quick"])
def test_fc_to_conv_on_larger_input_is_fc6_to_fc8_on_each_c5_window(variant):
    """Exact at the C5 level for the real (zero-padded) variants: cell (i, j) = FC6..FC8 of C5[i:i+k, j:j+k]."""
    net = build_alexnet(variant, 6, seed=1).eval()
    dense, k = fc_to_conv(net), net.spec.c5_size
    x = _image(net.spec.input_size + 3 * 16 + 5)
    with torch.no_grad():
        out, c5 = dense(x), net.features(x)
        assert out.shape[-2:] == (c5.shape[-2] - k + 1, c5.shape[-1] - k + 1) == (4, 4)
        for i in range(out.shape[-2]):
            for j in range(out.shape[-1]):
                window = torch.flatten(c5[:, :, i : i + k, j : j + k], 1)
                torch.testing.assert_close(out[:, :, i, j], net.classifier(window), rtol=0, atol=1e-5)


def test_fc_to_conv_cells_are_the_fc_net_on_strided_input_windows():
    """Without zero padding, cell (i, j) is the FC net on the input window at (i * stride, j * stride) (atol 1e-4)."""
    net = build_alexnet(NO_PADDING, 5, seed=2).eval()
    stride, offset = output_grid(NO_PADDING)
    assert NO_PADDING.c5_size == 2 and stride == 16
    assert offset == (NO_PADDING.input_size - 1) / 2  # cell 0 is centred on its window
    x, side = _image(113 + 3 * 16), NO_PADDING.input_size
    with torch.no_grad():
        out = fc_to_conv(net)(x)
        assert out.shape == (2, 5, 4, 4)
        for i in range(4):
            for j in range(4):
                crop = x[:, :, i * stride : i * stride + side, j * stride : j * stride + side]
                torch.testing.assert_close(out[:, :, i, j], net(crop), rtol=0, atol=1e-4)


def test_output_grid_values_and_module_walk_agree():
    assert output_grid("full") == (32, 111.0)
    assert output_grid("quick") == (16, 22.0)
    assert output_grid("smoke") == (16, 14.0)
    for variant in ("smoke", "quick"):
        assert module_geometry(fc_to_conv(build_alexnet(variant, 3))) == output_grid(variant)


def _linearised_copy(net: nn.Module) -> nn.Module:
    """Positive weights and average pools (same kernels/strides): ReLU is the identity and every pixel of a cell's
    receptive field gets a non-zero gradient, so the gradient's support shows where the cell looks."""
    net = copy.deepcopy(net)
    for module in list(net.modules()):
        for name, child in module.named_children():
            if isinstance(child, nn.MaxPool2d):
                setattr(module, name, nn.AvgPool2d(child.kernel_size, child.stride))
            elif isinstance(child, (nn.Dropout, nn.Dropout2d)):
                setattr(module, name, nn.Identity())
    with torch.no_grad():
        for param in net.parameters():
            param.abs_().add_(1e-3)
    return net.eval()


def _receptive_field(score_fn, side: int, row: int, col: int) -> tuple[float, float, int]:
    """(centre row, centre col, extent) of the input pixels that output cell (row, col) depends on."""
    x = torch.rand(1, 3, side, side, requires_grad=True)
    score_fn(x)[0, :, row, col].sum().backward()
    support = x.grad[0].abs().sum(0) > 0
    rows, cols = support.any(1).nonzero().flatten(), support.any(0).nonzero().flatten()
    return (rows[0] + rows[-1]).item() / 2, (cols[0] + cols[-1]).item() / 2, (rows[-1] - rows[0] + 1).item()


def test_grid_geometry_matches_empirical_receptive_fields():
    dense = _linearised_copy(fc_to_conv(build_alexnet("quick", 4, seed=0)))
    stride, offset = output_grid("quick")
    for row, col in [(3, 3), (3, 5), (5, 4)]:  # interior: receptive field [-34 + 16i, 78 + 16i] inside 160 px
        assert _receptive_field(dense, 160, row, col) == (offset + row * stride, offset + col * stride, 113)
    weak = WeakNet(build_alexnet("quick", 4, seed=0), 3, hidden=8, seed=0)
    weak.backbone = _linearised_copy(weak.backbone)
    weak.adaptation = _linearised_copy(weak.adaptation)
    assert score_geometry(weak) == (stride, offset)  # 3x3 pad-1 convs keep the grid ...
    row_centre, col_centre, extent = _receptive_field(weak.score_maps, 224, 5, 7)
    # ... and widen the receptive field by 2 x 16 px per conv
    assert (row_centre, col_centre, extent) == (offset + 5 * stride, offset + 7 * stride, 113 + 4 * stride)


def test_weak_net_shapes_and_poolings():
    source = build_alexnet("quick", 1000, seed=0)
    x = _image(80, batch=2)
    results = {}
    for pooling in ("max", "avg", "lse"):
        net = WeakNet(source, 5, hidden=16, pooling=pooling, seed=0).eval()
        with torch.no_grad():
            scores, maps = net(x, return_maps=True)
            assert torch.equal(net(x), scores)
        assert scores.shape == (2, 5) and maps.shape == (2, 5, 3, 3)  # 80 px: C5 4x4 -> FC6 (2x2) -> 3x3 cells
        results[pooling] = (scores, maps)
    maps = results["max"][1]
    torch.testing.assert_close(results["max"][0], maps.amax(dim=(2, 3)))
    torch.testing.assert_close(results["avg"][0], maps.mean(dim=(2, 3)))
    assert (results["avg"][0] <= results["lse"][0] + 1e-6).all() and (results["lse"][0] <= results["max"][0]).all()
    torch.testing.assert_close(global_pool(maps, "lse", lse_r=1e4), maps.amax(dim=(2, 3)), rtol=0, atol=1e-3)
    small_r = global_pool(maps.double(), "lse", lse_r=1e-4)  # float64: fp32 loses the 1e-4-scaled differences
    torch.testing.assert_close(small_r, maps.double().mean(dim=(2, 3)), rtol=0, atol=1e-4)
    lse = global_pool(maps, "lse", lse_r=2.0)
    torch.testing.assert_close(lse, 0.5 * torch.log(torch.exp(2.0 * maps).mean(dim=(2, 3))))
    with pytest.raises(ConfigError, match="pooling='sum'"):
        WeakNet(source, 5, hidden=16, pooling="sum")


def test_weak_net_layers_and_small_input():
    net = WeakNet(build_alexnet("smoke", 10), 4, hidden=12)
    assert [type(m) for m in net.adaptation] == [nn.Dropout2d, nn.Conv2d, nn.ReLU, nn.Dropout2d, nn.Conv2d]
    fca, fcb = net.hidden_conv, net.score_conv
    assert (fca.in_channels, fca.out_channels, fcb.in_channels, fcb.out_channels) == (64, 12, 12, 4)
    assert fca.kernel_size == fcb.kernel_size == (3, 3) and fca.padding == fcb.padding == (1, 1)
    with pytest.raises(DataError, match="too small.*at least 32x32"):
        net(_image(16))


def _sgd_step(net: WeakNet) -> dict[str, bool]:
    before = {k: v.clone() for k, v in net.state_dict().items()}
    net.train()
    optimizer = torch.optim.SGD(net.trainable_parameters(), lr=0.1)
    labels = torch.tensor([[1, -1, 0], [-1, 1, 1]])
    weak_loss(net(_image(48)), labels).backward()
    optimizer.step()
    return {k: not torch.equal(before[k], v) for k, v in net.state_dict().items()}


def test_weak_net_freezes_backbone_by_default_or_fine_tunes_all():
    source = build_alexnet("smoke", 10, seed=0)
    frozen = WeakNet(source, 3, hidden=8, seed=0)
    changed = _sgd_step(frozen)
    assert not any(v for k, v in changed.items() if k.startswith("backbone"))
    assert changed["adaptation.1.weight"] and changed["adaptation.4.weight"]
    assert not frozen.backbone.training and frozen.adaptation.training
    tuned = WeakNet(source, 3, hidden=8, freeze_backbone=False, seed=0)
    assert len(tuned.trainable_parameters()) == len(list(tuned.parameters()))
    changed = _sgd_step(tuned)
    assert changed["backbone.features.0.weight"] and changed["backbone.classifier.1.weight"]
    assert tuned.backbone.training


def test_weak_loss_is_bce_with_logits_on_01_targets():
    gen = torch.Generator().manual_seed(0)
    scores = torch.randn(4, 6, generator=gen) * 3
    targets = (torch.rand(4, 6, generator=gen) > 0.5).float()
    expected = nn.functional.binary_cross_entropy_with_logits(scores, targets, reduction="sum") / 4
    torch.testing.assert_close(weak_loss(scores, 2 * targets - 1), expected)
    torch.testing.assert_close(weak_loss(scores, (2 * targets - 1).long()), expected)
    big = torch.tensor([[1000.0, -1000.0]])
    assert torch.isfinite(weak_loss(big, torch.tensor([[-1, 1]]))) and weak_loss(big, torch.tensor([[1, -1]])) == 0


def test_weak_loss_masks_label_zero():
    scores = torch.tensor([[2.0, -1.0, 0.5], [0.3, 4.0, -2.0]], requires_grad=True)
    labels = torch.tensor([[1, 0, -1], [0, 1, 1]])
    loss = weak_loss(scores, labels)
    loss.backward()
    kept = torch.tensor([[2.0, 0.5], [4.0, -2.0]]), torch.tensor([[1.0, -1.0], [1.0, 1.0]])
    torch.testing.assert_close(loss, nn.functional.softplus(-kept[1] * kept[0]).sum() / 2)
    assert scores.grad[0, 1] == 0 and scores.grad[1, 0] == 0 and (scores.grad[labels != 0] != 0).all()
    unmasked = weak_loss(scores.detach(), labels, mask_zero=False)
    torch.testing.assert_close(unmasked, loss.detach() + 2 * math.log(2) / 2)
    with pytest.raises(DataError, match="labels must be 1"):
        weak_loss(scores, torch.tensor([[1, 2, 0], [0, 1, 1]]))
    with pytest.raises(DataError, match=r"scores \(2, 3\) and labels \(3,\)"):
        weak_loss(scores, torch.tensor([1, 0, 1]))
