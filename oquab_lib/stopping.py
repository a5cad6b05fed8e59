"""When training stops: the two rules ``oquab_lib.train.fit`` steps after every epoch, each with a state dict so that a
resumed run continues where it stopped.

:class:`PlateauRule` is the CVPR'14 schedule: "lr 0.01; when the training loss plateaus divide by 10; stop after three
such drops". :class:`EarlyStopping` is the validation-metric rule of the CVPR'15 weak nets.
"""

from __future__ import annotations

import math
from typing import Any

import torch


class PlateauRule:
    """Divide the learning rate by ``1/factor`` when the training loss plateaus; stop after ``max_drops`` drops.

    Plateau (our documented reading of the paper's "when the training cross-entropy plateaus"; the logic of
    ``torch.optim.lr_scheduler.ReduceLROnPlateau`` in relative mode): for ``patience`` epochs in a row, the epoch's
    mean training loss failed to beat the best loss so far *at the current rate* by more than ``rel_tol`` (1%). After a
    drop, the loss that triggered it is the new rate's reference, so each rate must beat where the previous one stalled.
    "Stop after three drops" is read as: the third drop is made, the run trains at that last rate and stops at its
    next plateau; the other reading (stop at the third plateau, never training at lr/1000) is ``max_drops=2``.
    ``max_epochs`` is a safety cap: ``step`` returns True once that many epochs ran.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        factor: float = 0.1,
        patience: int = 1,
        rel_tol: float = 0.01,
        max_drops: int = 3,
        max_epochs: int = 100,
    ) -> None:
        if not 0 < factor < 1 or patience < 1 or rel_tol < 0 or max_drops < 0 or max_epochs < 1:
            raise ValueError(
                f"PlateauRule(factor={factor}, patience={patience}, rel_tol={rel_tol}, max_drops={max_drops}, "
                f"max_epochs={max_epochs}): need 0<factor<1, patience>=1, rel_tol>=0, max_drops>=0, max_epochs>=1"
            )
        self.optimizer = optimizer
        self.factor, self.patience, self.rel_tol = factor, patience, rel_tol
        self.max_drops, self.max_epochs = max_drops, max_epochs
        self.epochs = 0
        self.drops = 0
        self.best: float | None = None  # reference loss at the current rate
        self.bad_epochs = 0  # consecutive epochs without a significant improvement on ``best``
        self.drop_epochs: list[int] = []  # 1-based epoch counts after which a drop happened
        self.stop_reason = ""

    def step(self, loss: float) -> bool:
        """Record one epoch's mean training loss; drop the rate on a plateau. Returns True when training should stop."""
        self.epochs += 1
        if not math.isfinite(loss):
            self.stop_reason = f"non-finite training loss {loss} at epoch {self.epochs}"
            return True
        if self.best is None or loss < self.best * (1.0 - self.rel_tol):
            self.best, self.bad_epochs = loss, 0
        else:
            self.bad_epochs += 1
        if self.bad_epochs >= self.patience:
            if self.drops >= self.max_drops:
                self.stop_reason = f"plateau after {self.drops} drops (epoch {self.epochs})"
                return True
            for group in self.optimizer.param_groups:
                group["lr"] *= self.factor
            self.drops += 1
            self.drop_epochs.append(self.epochs)
            self.best, self.bad_epochs = loss, 0
        if self.epochs >= self.max_epochs:
            self.stop_reason = f"max_epochs={self.max_epochs} reached"
            return True
        return False

    def state_dict(self) -> dict[str, Any]:
        keys = ("epochs", "drops", "best", "bad_epochs", "drop_epochs", "stop_reason")
        return {key: getattr(self, key) for key in keys}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, list(value) if isinstance(value, (list, tuple)) else value)


class EarlyStopping:
    """Stop when the validation metric ``metric`` (a history-row key, higher is better) has not improved for
    ``patience`` epochs: the Mini world chapter's pre-registered training-budget rule ("every network, every row
    alike, trains until its validation metric has not improved for a fixed patience"), with ``fit``'s ``epochs`` as
    the cap. An improvement is a strictly higher value, as for keeping the best epoch's weights."""

    def __init__(self, metric: str = "val_mAP", patience: int = 6) -> None:
        if patience < 1:
            raise ValueError(f"EarlyStopping(patience={patience}): need patience >= 1")
        self.metric, self.patience = metric, patience
        self.best, self.best_epoch, self.epochs, self.stop_reason = -math.inf, -1, 0, ""

    def step(self, row: dict[str, Any]) -> bool:
        """Record one epoch's history row; True when training should stop."""
        value, self.epochs = float(row[self.metric]), self.epochs + 1
        if value > self.best:
            self.best, self.best_epoch = value, self.epochs - 1
        if self.epochs - 1 - self.best_epoch >= self.patience:
            self.stop_reason = f"{self.metric} not improved for {self.patience} epochs (best: epoch {self.best_epoch})"
            return True
        return False

    def state_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in ("best", "best_epoch", "epochs", "stop_reason")}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)
