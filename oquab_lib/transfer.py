"""The CVPR'14 transfer model: C1..FC7 of a source network, FC8 removed, adaptation layers FCa (+ ReLU + dropout) and
FCb on top (:class:`TransferHead` alone on cached FC7 features, :class:`TransferNet` on patches)."""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from oquab_lib.errors import ConfigError
from oquab_lib.models import AlexNet, seeded


class TransferHead(nn.Sequential):
    """``[B, in_features]`` -> ``[B, num_outputs]``: (FCa -> ReLU -> dropout) per entry of ``hidden``, then FCb.

    ``hidden=(2048,)`` is the paper's head; ``()`` is the "FCb alone" ablation; ``(2048, 2048)`` the three-layer one.
    """

    def __init__(self, in_features: int, num_outputs: int, hidden: Sequence[int] = (2048,), dropout: float = 0.5):
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        width = in_features
        for i, out in enumerate(hidden, start=1):
            layers[f"fca{i}"] = nn.Linear(width, out)
            layers[f"relu{i}"] = nn.ReLU(True)
            layers[f"drop{i}"] = nn.Dropout(dropout)
            width = out
        layers["fcb"] = nn.Linear(width, num_outputs)
        super().__init__(layers)


TRANSFER_FREEZE = ("source", "none")


class TransferNet(nn.Module):
    """The CVPR'14 transfer model: ``[B, 3, S, S]`` patches -> ``[B, num_outputs]`` logits (softmax over classes + bg).

    ``freeze="source"`` (the paper): C1..FC7 are frozen; with ``unfreeze_fc67=True`` FC6/FC7 train too (PRE-1512U).
    ``freeze="none"``: every layer trains (NO PRETRAIN when ``source`` is a randomly initialised net).

    Frozen layers have ``requires_grad=False`` and are kept in eval mode by :meth:`train`, so the dropout of a frozen
    FC6/FC7 is off: their output is a deterministic feature (cacheable per patch, see :meth:`forward_features`) and the
    regularising dropout sits in the head, which is what trains. When FC6/FC7 train, their dropout is on.
    The source is deep-copied: training this net never changes ``source``.
    """

    def __init__(
        self,
        source: AlexNet,
        num_outputs: int,
        hidden: Sequence[int] = (2048,),
        unfreeze_fc67: bool = False,
        freeze: str = "source",
        dropout: float = 0.5,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        if freeze not in TRANSFER_FREEZE:
            raise ConfigError(f"TransferNet freeze={freeze!r}; accepted: {', '.join(TRANSFER_FREEZE)}")
        source = copy.deepcopy(source)
        self.spec = source.spec
        self.features = source.features
        self.avgpool = source.avgpool
        self.fc67 = source.fc67  # Dropout, FC6, ReLU, Dropout, FC7, ReLU (FC8 dropped)
        with seeded(seed):
            self.head = TransferHead(source.fc7.out_features, num_outputs, tuple(hidden), dropout)
        self.frozen_names: tuple[str, ...] = ()
        if freeze == "source":
            self.frozen_names = ("features",) if unfreeze_fc67 else ("features", "fc67")
        for name in self.frozen_names:
            getattr(self, name).requires_grad_(False)
        self.train()

    def train(self, mode: bool = True) -> TransferNet:
        super().train(mode)
        for name in self.frozen_names:
            getattr(self, name).eval()
        return self

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 3, S, S]`` -> FC7 activations ``[B, fc_width]`` (after ReLU)."""
        return self.fc67(torch.flatten(self.avgpool(self.features(x)), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 3, S, S]`` -> logits ``[B, num_outputs]``."""
        return self.head(self.forward_features(x))
