"""CVPR'15 weakly-supervised net: a fully-convolutional AlexNet, conv adaptation layers, global pooling of score maps.

``fc_to_conv`` turns a source :class:`~oquab_lib.models.AlexNet` into convolutions (FC6 = a C5-sized conv, FC7 / FC8 =
1x1 convs, same weights). :class:`WeakNet` puts the adaptation layers of the paper on its FC7 maps: Dropmap (whole-map
dropout) -> 3x3 conv to ``hidden`` -> ReLU -> Dropmap -> 3x3 conv to K score maps -> global pooling -> ``[B, K]``,
trained with K independent logistic losses (:func:`weak_loss`).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable

import torch
from torch import nn
from torch.nn import functional as F

from oquab_lib.errors import ConfigError, DataError
from oquab_lib.models import AlexNet, AlexNetSpec, get_spec, seeded

# ---------------------------------------------------------------------------------------------------------------------
# Fully-convolutional AlexNet (CVPR'15, and dense CVPR'14 scoring): FC layers as convolutions.


class ConvAlexNet(nn.Module):
    """C1..C5 -> FC6 as a ``c5_size``-square conv -> FC7 (-> FC8) as 1x1 convs: ``[B, 3, H, W]`` -> ``[B, K, h, w]``.

    Output cell (i, j) sees the input window at ``(i * stride, j * stride)`` of side ``spec.input_size`` (see
    :func:`output_grid`). ``classifier`` keeps the FC net's indices (Dropout, FC6, ReLU, Dropout, FC7, ReLU[, FC8]).
    """

    def __init__(self, spec: AlexNetSpec, features: nn.Sequential, classifier: nn.Sequential) -> None:
        super().__init__()
        self.spec = spec
        self.features = features
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 3, H, W]`` (H, W >= about ``spec.input_size``) -> ``[B, K, h, w]``."""
        spec = self.spec
        if min(spec.c5_side(x.shape[-2]), spec.c5_side(x.shape[-1])) < spec.c5_size:
            raise DataError(
                f"input {tuple(x.shape[-2:])} is too small for the fully-convolutional {spec.name!r} AlexNet; "
                f"give at least {spec.input_size}x{spec.input_size} pixels"
            )
        return self.classifier(self.features(x))


def _linear_as_conv(linear: nn.Linear, in_channels: int, kernel: int) -> nn.Conv2d:
    # torch.flatten of [B, C, k, k] orders FC6's inputs as (c, y, x): the same order as a [out, C, k, k] conv weight.
    conv = nn.Conv2d(in_channels, linear.out_features, kernel, device=linear.weight.device, dtype=linear.weight.dtype)
    with torch.no_grad():
        conv.weight.copy_(linear.weight.reshape(linear.out_features, in_channels, kernel, kernel))
        conv.bias.copy_(linear.bias)
    return conv


def fc_to_conv(net: AlexNet, include_fc8: bool = True) -> ConvAlexNet:
    """A fully-convolutional copy of ``net`` with the same weights; the adaptive avg pool is bypassed.

    At ``spec.input_size`` the output ``[B, K, 1, 1]`` equals ``net(x)`` (the avg pool is then the identity). Larger
    inputs give a grid of scores, one per ``input_size`` window at the stride of :func:`output_grid`. Each window sees
    its neighbours' pixels where the FC net, run on the crop alone, sees zero padding, so windows match the FC net on
    crops only away from the zero-padded borders (exactly at the C5 level: FC6..FC8 of a C5 crop).
    """
    side = net.spec.c5_size
    features = copy.deepcopy(net.features)
    c5_channels = net.fc6.in_features // (side * side)
    head = [
        copy.deepcopy(net.dropout6),
        _linear_as_conv(net.fc6, c5_channels, side),
        nn.ReLU(True),
        copy.deepcopy(net.dropout7),
        _linear_as_conv(net.fc7, net.fc7.in_features, 1),
        nn.ReLU(True),
    ]
    if include_fc8:
        head.append(_linear_as_conv(net.fc8, net.fc8.in_features, 1))
    return ConvAlexNet(net.spec, features, nn.Sequential(*head)).train(net.training)


def geometry_of(layers: Iterable[tuple[int, int, int]]) -> tuple[int, float]:
    """``(stride, offset)`` of a stack of ``(kernel, stride, padding)`` layers.

    Output cell ``i`` is centred on input pixel ``offset + i * stride`` (0-based pixel indices, pixel p centred at p).
    """
    stride, offset = 1, 0.0
    for kernel, layer_stride, padding in layers:
        offset += ((kernel - 1) / 2 - padding) * stride
        stride *= layer_stride
    return stride, offset


def module_geometry(net: nn.Module) -> tuple[int, float]:
    """``(stride, offset)`` of the Conv2d / pool layers of ``net`` in registration order (= forward order here)."""
    layers = []
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            kernel, stride, padding = (_first(getattr(module, a)) for a in ("kernel_size", "stride", "padding"))
            layers.append((kernel, stride, padding))
    return geometry_of(layers)


def _first(value: int | tuple[int, ...]) -> int:
    return value if isinstance(value, int) else value[0]  # square kernels / strides / paddings only


def output_grid(variant: str | AlexNetSpec) -> tuple[int, float]:
    """``(stride, offset)`` of the fully-convolutional net's output grid in input pixels (see :func:`geometry_of`).

    ``full``: (32, 111.0); ``quick``: (16, 22.0); ``smoke``: (16, 14.0). The offset is the centre of the receptive
    field of cell 0, which is not quite the centre of its ``input_size`` window (zero padding and floor-mode pools).
    """
    spec = get_spec(variant)
    return geometry_of([*spec.layer_geometry(), (spec.c5_size, 1, 0)])


# ---------------------------------------------------------------------------------------------------------------------
# The weakly-supervised net.

POOLINGS = ("max", "avg", "lse")


def global_pool(maps: torch.Tensor, pooling: str = "max", lse_r: float = 5.0) -> torch.Tensor:
    """``[B, K, h, w]`` score maps -> ``[B, K]`` scores.

    ``max`` (the paper), ``avg``, or ``lse`` = (1/r) log mean exp(r s): a smooth max that tends to ``max`` as r grows
    and to ``avg`` as r -> 0 (r = ``lse_r``, default 5 on logit-scale scores; our choice, not the paper's).
    """
    flat = maps.flatten(2)
    if pooling == "max":
        return flat.amax(dim=2)
    if pooling == "avg":
        return flat.mean(dim=2)
    if pooling == "lse":
        return (torch.logsumexp(lse_r * flat, dim=2) - math.log(flat.shape[2])) / lse_r
    raise ConfigError(f"pooling={pooling!r}; accepted: {', '.join(POOLINGS)}")


class WeakNet(nn.Module):
    """CVPR'15: ``[B, 3, H, W]`` images of any size >= the source input size -> ``[B, K]`` scores (+ score maps).

    ``backbone``: C1..FC7 of ``source`` as convolutions (FC8 dropped), ``[B, fc_width, h, w]``. ``adaptation``:
    Dropout2d -> 3x3 conv (pad 1) to ``hidden`` -> ReLU -> Dropout2d -> 3x3 conv (pad 1) to K score maps. Then global
    pooling. With ``freeze_backbone=True`` (default) only the adaptation layers train; the backbone then has
    ``requires_grad=False`` and stays in eval mode (FC6/FC7 dropout off), as in :class:`~oquab_lib.transfer.TransferNet`.
    ``freeze_backbone=False`` fine-tunes every layer (backbone dropout on in training). ``source`` is copied.
    """

    def __init__(
        self,
        source: AlexNet,
        num_classes: int,
        hidden: int,
        pooling: str = "max",
        dropout: float = 0.5,
        freeze_backbone: bool = True,
        lse_r: float = 5.0,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ConfigError(f"WeakNet pooling={pooling!r}; accepted: {', '.join(POOLINGS)}")
        if lse_r <= 0 or num_classes < 1 or hidden < 1:
            raise ConfigError(f"WeakNet: num_classes={num_classes}, hidden={hidden}, lse_r={lse_r}: all must be > 0")
        self.pooling, self.lse_r, self.freeze_backbone = pooling, float(lse_r), freeze_backbone
        self.backbone = fc_to_conv(source, include_fc8=False)
        with seeded(seed):
            self.adaptation = nn.Sequential(
                nn.Dropout2d(dropout),
                nn.Conv2d(source.fc7.out_features, hidden, 3, padding=1),
                nn.ReLU(True),
                nn.Dropout2d(dropout),
                nn.Conv2d(hidden, num_classes, 3, padding=1),
            )
        if freeze_backbone:
            self.backbone.requires_grad_(False)
        self.train()

    @property
    def spec(self) -> AlexNetSpec:
        return self.backbone.spec

    # The two convolutions of ``adaptation`` by name; the state-dict keys stay ``adaptation.1`` / ``adaptation.4``, so
    # cached weights load unchanged.
    @property
    def hidden_conv(self) -> nn.Conv2d:
        """The first adaptation layer: 3x3 conv ``fc_width -> hidden``."""
        return self.adaptation[1]

    @property
    def score_conv(self) -> nn.Conv2d:
        """The second adaptation layer: 3x3 conv ``hidden -> K`` score maps."""
        return self.adaptation[4]

    def train(self, mode: bool = True) -> WeakNet:
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()
        return self

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def score_maps(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 3, H, W]`` -> score maps ``[B, K, h, w]`` (cell geometry: :func:`score_geometry`)."""
        return self.adaptation(self.backbone(x))

    def forward(
        self, x: torch.Tensor, return_maps: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """``[B, 3, H, W]`` -> scores ``[B, K]``, or ``(scores, maps [B, K, h, w])`` with ``return_maps=True``."""
        maps = self.score_maps(x)
        scores = global_pool(maps, self.pooling, self.lse_r)
        return (scores, maps) if return_maps else scores


class FromC5(nn.Module):
    """A frozen-trunk :class:`WeakNet` fed its C5 maps: ``[B, C, h5, w5]`` -> scores ``[B, K]`` (FC6, FC7, the
    adaptation layers, pooling): training on cached maps (:mod:`oquab_lib.cvpr15.trunk`). ``net`` is shared, not
    copied; in train mode its backbone stays in eval mode (:meth:`WeakNet.train`)."""

    def __init__(self, net: WeakNet) -> None:
        super().__init__()
        if not net.freeze_backbone:
            raise ConfigError("FromC5: the backbone is fine-tuned; its C5 maps change at every step")
        self.net = net

    def forward(self, c5: torch.Tensor) -> torch.Tensor:
        maps = self.net.adaptation(self.net.backbone.classifier(c5))
        return global_pool(maps, self.net.pooling, self.net.lse_r)


def score_geometry(net: WeakNet) -> tuple[int, float]:
    """``(stride, offset)`` of ``net``'s score maps in input pixels: cell (i, j) is centred on pixel
    ``(offset + i * stride, offset + j * stride)`` (0-based, (row, col)). The 3x3 pad-1 convs keep the backbone's grid.
    """
    return module_geometry(net)


def weak_loss(scores: torch.Tensor, labels: torch.Tensor, mask_zero: bool = True) -> torch.Tensor:
    """Sum over classes of log(1 + exp(-y_k f_k)), averaged over the batch. ``scores``, ``labels``: ``[B, K]``.

    ``labels`` in {1, -1, 0} (VOC: 0 = only difficult objects). With ``mask_zero`` the 0 entries are left out; without
    it they enter the formula as written (log 2 each, no gradient). Dividing by B (not by the number of kept entries)
    keeps each image's weight independent of how many of its labels are 0. With y = 2t - 1 this equals
    ``BCEWithLogits(reduction="sum") / B`` on 0/1 targets t.
    """
    if scores.dim() != 2 or scores.shape != labels.shape:
        raise DataError(f"weak_loss: scores {tuple(scores.shape)} and labels {tuple(labels.shape)} must both be [B, K]")
    labels = labels.to(scores.dtype)
    if not ((labels == 1) | (labels == -1) | (labels == 0)).all():
        raise DataError("weak_loss: labels must be 1 (present), -1 (absent) or 0 (difficult only)")
    per_entry = F.softplus(-labels * scores)  # log(1 + exp(-y f)) without overflow
    if mask_zero:
        per_entry = torch.where(labels != 0, per_entry, torch.zeros_like(per_entry))
    return per_entry.sum() / scores.shape[0]
