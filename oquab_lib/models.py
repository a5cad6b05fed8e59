"""The source network (AlexNet family) and the CVPR'14 transfer model.

The fully-convolutional conversion (``fc_to_conv``, ``output_grid``) lives in :mod:`oquab_lib.weak_net` with the
CVPR'15 model that is built on it.

Three AlexNet variants share one topology (C1..C5 with ReLU, LRN after C1/C2 where the variant has it, max pool 3/2
after C1, C2, C5; FC6, FC7 with dropout; FC8):

- ``full``: exactly torchvision's ``alexnet`` (the "one weird trick" widths 64-192-384-256-256, *no* LRN) so that
  torchvision's ImageNet weights load with ``load_state_dict``. The paper's network (Krizhevsky et al. 2012) had
  96-256-384-384-256 filters and LRN after C1 and C2; torchvision's has neither, and we keep torchvision's.
- ``quick``: 48 px input, C1 5x5/2, widths 16-32-48-48-32, FC 256, LRN after C1 and C2 as in the paper; about 7 MFLOPs.
- ``smoke``: 32 px input, tiny widths, for tests.

LRN is ``nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2)``: Krizhevsky's constants in the convention of Caffe and
Torch7's ``SpatialCrossMapLRN`` (and PyTorch), where alpha is divided by the window size 5. Krizhevsky's formula has no
such division; the public re-implementations used the divided form with ``alpha=1e-4``, so we do too.

Initialisation is PyTorch's default (uniform, scale 1/sqrt(fan_in), as in Torch7), the same as torchvision's AlexNet.
Pass ``seed=`` to make the init independent of the global RNG.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from oquab_lib.errors import ConfigError

TORCHVISION_ALEXNET_FILE = "alexnet-owt-7be5be79.pth"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class ConvSpec:
    out_channels: int
    kernel: int
    stride: int
    padding: int


@dataclass(frozen=True)
class AlexNetSpec:
    """One AlexNet variant. ``lrn_after`` / ``pool_after`` hold 0-based conv indices (0 = C1)."""

    name: str
    input_size: int
    convs: tuple[ConvSpec, ...]  # C1..C5
    fc_width: int
    lrn_after: tuple[int, ...] = ()
    pool_after: tuple[int, ...] = (0, 1, 4)
    pool: tuple[int, int] = (3, 2)  # (kernel, stride), no padding, floor mode

    def layer_geometry(self) -> list[tuple[int, int, int]]:
        """``(kernel, stride, padding)`` of every conv and pool of C1..C5, in forward order."""
        layers = []
        for i, conv in enumerate(self.convs):
            layers.append((conv.kernel, conv.stride, conv.padding))
            if i in self.pool_after:
                layers.append((self.pool[0], self.pool[1], 0))
        return layers

    def c5_side(self, input_side: int) -> int:
        """Spatial side of the pooled C5 map for an input side (< 1: the input is too small)."""
        side = input_side
        for kernel, stride, padding in self.layer_geometry():
            side = (side + 2 * padding - kernel) // stride + 1
            if side < 1:
                return 0
        return side

    @property
    def c5_size(self) -> int:
        """Side of the pooled C5 map at ``input_size`` (6 for ``full``, 2 for ``quick``, 1 for ``smoke``)."""
        return self.c5_side(self.input_size)


def _convs(*rows: tuple[int, int, int, int]) -> tuple[ConvSpec, ...]:
    return tuple(ConvSpec(*row) for row in rows)


ALEXNET_SPECS: dict[str, AlexNetSpec] = {
    "full": AlexNetSpec(
        "full", 224, _convs((64, 11, 4, 2), (192, 5, 1, 2), (384, 3, 1, 1), (256, 3, 1, 1), (256, 3, 1, 1)), 4096
    ),
    "quick": AlexNetSpec(
        "quick", 48, _convs((16, 5, 2, 2), (32, 5, 1, 2), (48, 3, 1, 1), (48, 3, 1, 1), (32, 3, 1, 1)), 256, (0, 1)
    ),
    "smoke": AlexNetSpec(
        "smoke", 32, _convs((8, 5, 2, 2), (16, 5, 1, 2), (16, 3, 1, 1), (16, 3, 1, 1), (16, 3, 1, 1)), 64, (0, 1)
    ),
}


def get_spec(variant: str | AlexNetSpec) -> AlexNetSpec:
    """The spec of a variant name (``full``, ``quick``, ``smoke``); a spec passes through."""
    if isinstance(variant, AlexNetSpec):
        return variant
    if variant not in ALEXNET_SPECS:
        raise ConfigError(f"unknown AlexNet variant {variant!r}; accepted: {', '.join(ALEXNET_SPECS)}")
    return ALEXNET_SPECS[variant]


@contextlib.contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Run a block (module construction) under its own CPU RNG state when ``seed`` is given; global RNG untouched."""
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


class AlexNet(nn.Module):
    """C1..C5 -> adaptive avg pool to the C5 size -> FC6, FC7 (ReLU, dropout) -> FC8. Input ``[B, 3, S, S]``.

    Module names and indices are torchvision's: ``features``, ``avgpool``, ``classifier`` =
    (Dropout, FC6, ReLU, Dropout, FC7, ReLU, FC8).
    """

    def __init__(self, spec: AlexNetSpec, num_classes: int, fc_width: int, dropout: float = 0.5) -> None:
        super().__init__()
        self.spec = spec
        layers: list[nn.Module] = []
        in_channels = 3
        for i, conv in enumerate(spec.convs):
            layers += [nn.Conv2d(in_channels, conv.out_channels, conv.kernel, conv.stride, conv.padding), nn.ReLU(True)]
            if i in spec.lrn_after:
                layers.append(nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0))
            if i in spec.pool_after:
                layers.append(nn.MaxPool2d(spec.pool[0], spec.pool[1]))
            in_channels = conv.out_channels
        self.features = nn.Sequential(*layers)
        side = spec.c5_size
        self.avgpool = nn.AdaptiveAvgPool2d((side, side))
        self.classifier = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(in_channels * side * side, fc_width),
            nn.ReLU(True),
            nn.Dropout(dropout),
            nn.Linear(fc_width, fc_width),
            nn.ReLU(True),
            nn.Linear(fc_width, num_classes),
        )

    # Named views of the torchvision layout (``classifier.0`` .. ``classifier.6``): the state-dict keys stay those of
    # torchvision, so its weights and cached networks load unchanged.
    @property
    def dropout6(self) -> nn.Dropout:
        return self.classifier[0]

    @property
    def dropout7(self) -> nn.Dropout:
        return self.classifier[3]

    @property
    def fc67(self) -> nn.Sequential:
        """Dropout, FC6, ReLU, Dropout, FC7, ReLU: the classifier without FC8."""
        return self.classifier[:-1]

    @property
    def fc6(self) -> nn.Linear:
        return self.classifier[1]

    @property
    def fc7(self) -> nn.Linear:
        return self.classifier[4]

    @property
    def fc8(self) -> nn.Linear:
        return self.classifier[6]

    def forward_fc7(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 3, S, S]`` -> FC7 activations after ReLU ``[B, fc_width]`` (C1..FC7, no FC8)."""
        x = torch.flatten(self.avgpool(self.features(x)), 1)
        return self.fc67(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 3, S, S]`` -> class logits ``[B, num_classes]``."""
        return self.fc8(self.forward_fc7(x))


forward_fc7 = AlexNet.forward_fc7  # forward_fc7(net, x), as a function


def build_alexnet(
    variant: str | AlexNetSpec,
    num_classes: int,
    fc_width_mult: float = 1.0,
    dropout: float = 0.5,
    seed: int | None = None,
) -> AlexNet:
    """An AlexNet of a variant. ``fc_width_mult=1.5`` gives the PRE-1512 net (FC6/FC7 4096 -> 6144)."""
    spec = get_spec(variant)
    if spec.c5_size < 1:
        raise ConfigError(f"AlexNet spec {spec.name!r}: input_size {spec.input_size} leaves no C5 map; enlarge it")
    if num_classes < 1 or fc_width_mult <= 0 or not 0.0 <= dropout < 1.0:
        raise ConfigError(
            f"build_alexnet: num_classes={num_classes}, fc_width_mult={fc_width_mult}, dropout={dropout}: "
            "expected num_classes >= 1, fc_width_mult > 0, 0 <= dropout < 1"
        )
    with seeded(seed):
        return AlexNet(spec, num_classes, round(spec.fc_width * fc_width_mult), dropout)


def normalization(variant: str | AlexNetSpec) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """``(mean, std)`` of the input normalisation: ImageNet's for every variant.

    ``full`` needs them for torchvision's weights; ``quick`` / ``smoke`` are trained from scratch on synthetic images,
    where the exact statistics matter little, and sharing them keeps one preprocessing path for all profiles.
    """
    get_spec(variant)
    return IMAGENET_MEAN, IMAGENET_STD


def default_weights_path() -> Path:
    """Where torchvision caches its AlexNet weights: ``<torch hub dir>/checkpoints/alexnet-owt-7be5be79.pth``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / TORCHVISION_ALEXNET_FILE


def load_imagenet_weights(net: AlexNet, path: str | Path | None = None) -> AlexNet:
    """Load torchvision's AlexNet ImageNet weights into ``net`` (``full``, 1000 classes) in place; never downloads.

    ``path=None`` reads :func:`default_weights_path`. A missing or unreadable file, or any key / shape mismatch, is a
    one-line ConfigError naming the file (and the first offending key with both shapes).
    """
    path = Path(path) if path is not None else default_weights_path()
    if not path.is_file():
        raise ConfigError(
            f"AlexNet ImageNet weights not found at {path}; copy torchvision's {TORCHVISION_ALEXNET_FILE} there "
            f"(default place: {default_weights_path()}) or pass weights_path=<file>"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated / foreign file: report it in one line, not a pickle traceback
        reason = (str(exc).strip().splitlines() or [""])[0]
        raise ConfigError(f"cannot read AlexNet weights {path}: {type(exc).__name__}: {reason}") from exc
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ConfigError(f"AlexNet weights {path}: expected a state_dict (name -> tensor), got {type(state).__name__}")
    own = net.state_dict()
    for key, value in own.items():
        if key not in state:
            raise ConfigError(f"AlexNet weights {path}: key {key!r} of the network is missing from the file")
        if state[key].shape != value.shape:
            raise ConfigError(
                f"AlexNet weights {path}: shape mismatch at {key!r}: file {tuple(state[key].shape)}, network "
                f"{tuple(value.shape)}; ImageNet weights need build_alexnet('full', 1000)"
            )
    extra = sorted(set(state) - set(own))
    if extra:
        raise ConfigError(f"AlexNet weights {path}: unexpected key {extra[0]!r}; is this a torchvision AlexNet file?")
    net.load_state_dict(state)
    return net


def nhwc(batch: Tensor) -> Tensor:
    """``[B, C, H, W]`` in channels-last memory (the same values, the same shape): oneDNN's NHWC convolution and
    pooling kernels run the small AlexNets 1.5-2.5x faster on the CPU than NCHW (and CUDA prefers them too); the
    result differs from NCHW's only in the order of float sums (about 1e-8), like a change of thread count."""
    return batch.contiguous(memory_format=torch.channels_last) if batch.dim() == 4 else batch


def count_parameters(net: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in net.parameters() if p.requires_grad or not trainable_only)


def count_flops(net: nn.Module, input_size: int | tuple[int, int]) -> int:
    """FLOPs of one forward pass of one ``[1, 3, H, W]`` image: 2 x the multiply-adds of every Conv2d and Linear.

    Pools, ReLU, LRN and biases are not counted. Shapes come from one no-grad forward of a zero image in eval mode
    (training flags are restored afterwards).
    """
    height, width = (input_size, input_size) if isinstance(input_size, int) else input_size
    macs = 0

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal macs
        if isinstance(module, nn.Conv2d):
            per_output = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
            macs += output[0].numel() * per_output
        else:
            macs += output[0].numel() * module.in_features

    modes = {module: module.training for module in net.modules()}
    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        param = next(net.parameters())
        net.eval()
        with torch.no_grad():
            net(torch.zeros(1, 3, height, width, device=param.device, dtype=param.dtype))
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in modes.items():
            module.training = mode
    return 2 * macs


class BandLRN(nn.Module):
    """``nn.LocalResponseNorm`` computed as a banded 1x1 convolution over channels (same result, several x faster).

    PyTorch's LRN averages squares with a 3-D average pool over a zero-padded channel axis, which dominates the time
    of the small AlexNets on CPU. The window of channel c is ``[c - size//2, c + (size-1)//2]`` as in PyTorch.
    """

    def __init__(self, lrn: nn.LocalResponseNorm) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = lrn.size, lrn.alpha, lrn.beta, lrn.k

    def forward(self, x: Tensor) -> Tensor:
        channel = torch.arange(x.shape[1], device=x.device)
        offset = channel[None, :] - channel[:, None]  # [out, in]: in - out
        band = ((offset >= -(self.size // 2)) & (offset <= (self.size - 1) // 2)).to(x.dtype)[:, :, None, None]
        return x * (F.conv2d(x * x, band) * (self.alpha / self.size) + self.k).pow(-self.beta)


def use_band_lrn(module: nn.Module) -> nn.Module:
    """Replace every ``nn.LocalResponseNorm`` inside ``module`` by :class:`BandLRN`, in place (no parameters change)."""
    for name, child in module.named_children():
        if isinstance(child, nn.LocalResponseNorm):
            setattr(module, name, BandLRN(child))
        else:
            use_band_lrn(child)
    return module
