"""AlexNet family, ImageNet weight loading, FLOP counting, and the CVPR'14 transfer model."""

import pytest
import torch
import torchvision
from torch import nn

from oquab_lib.errors import ConfigError
from oquab_lib.models import (
    ALEXNET_SPECS,
    IMAGENET_MEAN,
    IMAGENET_STD,
    build_alexnet,
    count_flops,
    count_parameters,
    default_weights_path,
    forward_fc7,
    load_imagenet_weights,
    nhwc,
    normalization,
    use_band_lrn,
)
from oquab_lib.transfer import TransferHead, TransferNet

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def torchvision_weights(tmp_path_factory):
    """A randomly initialised torchvision AlexNet (no download) and its state_dict saved as a .pth file."""
    torch.manual_seed(0)
    reference = torchvision.models.alexnet(weights=None).eval()
    path = tmp_path_factory.mktemp("hub") / "alexnet.pth"
    torch.save(reference.state_dict(), path)
    return reference, path


def test_full_is_torchvision_alexnet_and_loads_its_weights(torchvision_weights):
    reference, path = torchvision_weights
    net = build_alexnet("full", 1000, seed=1)
    own = {k: v.shape for k, v in net.state_dict().items()}
    assert own == {k: v.shape for k, v in reference.state_dict().items()}
    assert not any(isinstance(m, nn.LocalResponseNorm) for m in net.modules())  # torchvision's net has no LRN
    load_imagenet_weights(net, path).eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(net(x), reference(x), rtol=0, atol=0)
        assert forward_fc7(net, x).shape == (2, 4096)


def test_spatial_sizes_lrn_and_fc_width():
    assert [ALEXNET_SPECS[v].c5_size for v in ("full", "quick", "smoke")] == [6, 2, 1]
    quick = build_alexnet("quick", 20, seed=0)
    assert sum(isinstance(m, nn.LocalResponseNorm) for m in quick.features) == 2
    assert isinstance(quick.features[2], nn.LocalResponseNorm) and isinstance(quick.features[3], nn.MaxPool2d)
    assert quick.features(torch.zeros(1, 3, 48, 48)).shape == (1, 32, 2, 2)
    assert (quick.fc6.in_features, quick.fc6.out_features, quick.fc8.out_features) == (32 * 4, 256, 20)
    wide = build_alexnet("quick", 20, fc_width_mult=1.5)  # the PRE-1512 widening, 4096 -> 6144 in "full"
    assert (wide.fc6.out_features, wide.fc7.in_features, wide.fc7.out_features) == (384, 384, 384)
    smoke = build_alexnet("smoke", 5)
    assert smoke(torch.zeros(3, 3, 32, 32)).shape == (3, 5)


def test_forward_fc7_is_forward_without_fc8():
    net = build_alexnet("smoke", 7, seed=0).eval()
    x = torch.randn(4, 3, 32, 32)
    fc7 = net.forward_fc7(x)
    assert fc7.shape == (4, 64) and (fc7 >= 0).all()  # after ReLU
    torch.testing.assert_close(net.fc8(fc7), net(x))


def test_channels_last_inputs_compute_the_same_function_in_train_and_eval():
    """nhwc() only changes the memory layout: the quick net (banded LRN, as trained) gives the same outputs and
    gradients up to float summation order, and non-4-D tensors pass through untouched."""
    net = use_band_lrn(build_alexnet("quick", 7, dropout=0.0, seed=0))
    x = torch.randn(6, 3, 48, 48)
    fast = nhwc(x)
    assert fast.shape == x.shape and fast.is_contiguous(memory_format=torch.channels_last)
    plane = x[0, 0]
    assert torch.equal(fast, x) and nhwc(plane) is plane
    with torch.no_grad():
        torch.testing.assert_close(net.eval().forward_fc7(fast), net.forward_fc7(x), rtol=1e-5, atol=1e-6)
    grads = []
    for batch in (x, fast):
        net.zero_grad()
        net.train()(batch).square().mean().backward()
        grads.append(net.features[0].weight.grad.clone())
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-4, atol=1e-6)


def test_seed_makes_init_reproducible_without_touching_global_rng():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = build_alexnet("smoke", 3, seed=5)
    after = torch.rand(1)
    b = build_alexnet("smoke", 3, seed=5)
    assert before == after
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.fc6.weight, build_alexnet("smoke", 3, seed=6).fc6.weight)


def test_count_flops_matches_hand_count_and_quick_budget():
    spec = ALEXNET_SPECS["smoke"]
    side, channels, macs = spec.input_size, 3, 0
    for i, conv in enumerate(spec.convs):
        side = (side + 2 * conv.padding - conv.kernel) // conv.stride + 1
        macs += side * side * conv.out_channels * channels * conv.kernel**2
        channels = conv.out_channels
        if i in spec.pool_after:
            side = (side - 3) // 2 + 1
    macs += channels * side * side * 64 + 64 * 64 + 64 * 10
    net = build_alexnet("smoke", 10).train()
    assert count_flops(net, 32) == 2 * macs
    assert net.training and net.classifier[0].training  # modes restored
    assert 5e6 < count_flops(build_alexnet("quick", 20), 48) < 9e6  # target: about 7 MFLOPs per 48 px image
    assert count_parameters(net) == sum(p.numel() for p in net.parameters())


def test_normalization_and_unknown_variant():
    assert normalization("quick") == (IMAGENET_MEAN, IMAGENET_STD) == normalization("full")
    with pytest.raises(ConfigError, match="unknown AlexNet variant 'big'.*full, quick, smoke"):
        build_alexnet("big", 10)
    with pytest.raises(ConfigError, match="num_classes"):
        build_alexnet("smoke", 0)


def test_missing_weights_file_names_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    expected = tmp_path / "hub" / "checkpoints" / "alexnet-owt-7be5be79.pth"
    assert default_weights_path() == expected
    with pytest.raises(ConfigError, match="not found at .*alexnet-owt-7be5be79.pth.*weights_path=") as info:
        load_imagenet_weights(build_alexnet("smoke", 10))
    assert str(expected) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="nowhere.pth"):
        load_imagenet_weights(build_alexnet("smoke", 10), tmp_path / "nowhere.pth")


def test_bad_weights_files_give_one_line_errors(tmp_path):
    smoke_file = tmp_path / "smoke.pth"
    torch.save(build_alexnet("smoke", 10).state_dict(), smoke_file)
    with pytest.raises(ConfigError, match=r"shape mismatch at 'features.0.weight': file \(8, 3, 5, 5\), network \(16,"):
        load_imagenet_weights(build_alexnet("quick", 10), smoke_file)
    with pytest.raises(ConfigError, match=r"'classifier.6.weight'.*file \(10, 64\), network \(3, 64\)"):
        load_imagenet_weights(build_alexnet("smoke", 3), smoke_file)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(ConfigError, match="cannot read AlexNet weights") as info:
        load_imagenet_weights(build_alexnet("smoke", 10), garbage)
    assert "\n" not in str(info.value)
    partial = tmp_path / "partial.pth"
    torch.save({k: v for k, v in build_alexnet("smoke", 10).state_dict().items() if "classifier" not in k}, partial)
    with pytest.raises(ConfigError, match="'classifier.1.weight' of the network is missing"):
        load_imagenet_weights(build_alexnet("smoke", 10), partial)


def test_transfer_head_variants():
    linears = lambda head: [m for m in head if isinstance(m, nn.Linear)]  # noqa: E731
    default = TransferHead(64, 21, hidden=(32,))
    assert [type(m) for m in default] == [nn.Linear, nn.ReLU, nn.Dropout, nn.Linear]
    assert [(m.in_features, m.out_features) for m in linears(default)] == [(64, 32), (32, 21)]
    assert [(m.in_features, m.out_features) for m in linears(TransferHead(64, 21, hidden=()))] == [(64, 21)]
    three = TransferHead(64, 21, hidden=(32, 32))
    assert [(m.in_features, m.out_features) for m in linears(three)] == [(64, 32), (32, 32), (32, 21)]
    assert three(torch.randn(5, 64)).shape == (5, 21)


def _one_sgd_step(net: TransferNet) -> dict[str, torch.Tensor]:
    before = {k: v.clone() for k, v in net.state_dict().items()}
    net.train()
    optimizer = torch.optim.SGD(net.trainable_parameters(), lr=0.1)
    x, y = torch.randn(8, 3, 32, 32, generator=torch.Generator().manual_seed(0)), torch.arange(8) % 4
    nn.functional.cross_entropy(net(x), y).backward()
    optimizer.step()
    return {k: not torch.equal(before[k], v) for k, v in net.state_dict().items()}


def test_transfer_freezes_c1_to_fc7_and_trains_the_head():
    source = build_alexnet("smoke", 10, seed=0)
    source_state = {k: v.clone() for k, v in source.state_dict().items()}
    net = TransferNet(source, 4, hidden=(16,), seed=0)
    assert count_parameters(net, trainable_only=True) == 64 * 16 + 16 + 16 * 4 + 4
    changed = _one_sgd_step(net)
    assert not any(v for k, v in changed.items() if k.startswith(("features", "fc67")))  # bit-identical
    assert changed["head.fca1.weight"] and changed["head.fcb.weight"]
    assert all(torch.equal(source_state[k], v) for k, v in source.state_dict().items())  # source was copied
    assert not net.fc67.training and not net.features.training and net.head.training
    x = torch.randn(3, 3, 32, 32)
    torch.testing.assert_close(net.forward_features(x), net.forward_features(x), rtol=0, atol=0)  # no FC6/7 dropout
    torch.testing.assert_close(net.forward_features(x), source.eval().forward_fc7(x))


def test_unfreeze_fc67_and_no_pretrain():
    source = build_alexnet("smoke", 10, seed=0)
    changed = _one_sgd_step(TransferNet(source, 4, hidden=(16,), unfreeze_fc67=True))  # PRE-1512U
    assert not any(v for k, v in changed.items() if k.startswith("features"))
    assert changed["fc67.1.weight"] and changed["fc67.4.weight"] and changed["head.fcb.weight"]
    scratch = TransferNet(source, 4, hidden=(16,), freeze="none")  # NO PRETRAIN: nothing frozen
    assert count_parameters(scratch, trainable_only=True) == count_parameters(scratch)
    assert all(_one_sgd_step(scratch)[k] for k in ("features.0.weight", "fc67.1.weight", "head.fcb.weight"))
    with pytest.raises(ConfigError, match="freeze='all'.*source, none"):
        TransferNet(source, 4, freeze="all")

