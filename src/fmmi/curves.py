"""A training net's loss on rows it does not train on, recorded as it trains, and the stopping rule that reads it.

`LossCurve` records per-row flow-matching losses on fixed rows and draws every
few hundred steps; the fit check reads one on each split's held-out rows
(`fmmi.fit_check`). `EarlyStopping` is a curve on validation rows (kept back
from the training rows) that also decides when the training stops and which
recorded weights the net keeps (`fmmi.training.train_flow_matching`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

__all__ = ["EarlyStopping", "LossCurve", "paired_mean"]


def paired_mean(difference: np.ndarray) -> tuple[float, float]:
    """Mean of row-paired differences and its standard error (0 for a single row)."""
    stderr = float(difference.std(ddof=1) / math.sqrt(difference.size)) if difference.size > 1 else 0.0
    return float(difference.mean()), stderr


class LossCurve:
    """Per-row losses of a net on fixed rows and draws: at step 0, about every ``every`` steps, at the end.

    ``losses`` is a callable returning the current net's per-row losses (the same rows and the same
    random draws at every call, so that two steps' losses pair row by row). Given to
    `fmmi.training.train_flow_matching` as ``curve``, it is called at the first clean loss check
    (every 50 steps) past each multiple of ``every``, on the current weights (not an ``ema``
    average); its record is kept in the training checkpoints, so a resumed run ends with the whole
    curve (a checkpoint written without one resumes with the records from its step on).
    """

    def __init__(self, losses: Callable[[], np.ndarray], every: int = 500):
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        self.losses = losses
        self.every = every
        self.steps: list[int] = []
        self.values: list[np.ndarray] = []

    def due(self, step: int, steps: int) -> bool:
        """Whether a clean check at ``step`` of a ``steps``-step run should record (a multiple passed, or the end)."""
        return step == steps or not self.steps or step // self.every > self.steps[-1] // self.every

    def record(self, step: int) -> None:
        # A restart may go back to an earlier step: drop what lies past it.
        while self.steps and self.steps[-1] >= step:
            self.steps.pop()
            self.values.pop()
        self.steps.append(step)
        self.values.append(np.asarray(self.losses(), dtype=np.float64))

    def means(self) -> np.ndarray:
        """Mean loss at each recorded step, shape (n_records,)."""
        return np.array([v.mean() for v in self.values])

    def rise(self) -> tuple[int, float, float]:
        """The step of the lowest mean loss, and how much higher the last one is (paired mean, standard error)."""
        best = int(np.argmin(self.means()))
        return (self.steps[best], *paired_mean(self.values[-1] - self.values[best]))

    def drop(self) -> tuple[float, float]:
        """How much lower the last record is than the first (paired mean over the rows, standard error)."""
        return paired_mean(self.values[0] - self.values[-1])

    def state_dict(self) -> dict:
        return {
            "steps": torch.tensor(self.steps, dtype=torch.int64),
            "values": torch.from_numpy(np.stack(self.values)) if self.values else torch.zeros(0),
        }

    def load_state_dict(self, state: dict) -> None:
        self.steps = [int(s) for s in state["steps"].tolist()]
        self.values = [v.numpy().copy() for v in state["values"]] if self.steps else []


class EarlyStopping(LossCurve):
    """A loss curve on validation rows that stops the training and picks the weights the net keeps.

    At each record the net's weights are kept if its mean validation loss is the lowest so far
    (the weights of step 0 are always kept). The training stops once ``patience`` steps have
    passed since the lowest record, and otherwise at its last step. The net then takes the
    weights of the lowest record, unless that record is not lower than step 0's by more than
    ``margin`` paired standard errors: then it takes step 0's (for a net started at zero on a
    Gaussian base, the base alone). ``kept_step`` and ``stopped_step`` say what happened.

    A rise of the loss is not a reason to stop by itself: early in training, at the highest
    learning rates, the loss jumps up for a record or two before it falls again
    (``benchmarks/budget/README.md``).
    """

    def __init__(
        self,
        losses: Callable[[], np.ndarray],
        net: nn.Module,
        *,
        every: int = 500,
        patience: int = 2000,
        margin: float = 2.0,
    ):
        super().__init__(losses, every=every)
        if not isinstance(patience, int) or patience < every:
            raise ValueError(f"patience must be an integer of at least every={every} steps, got {patience!r}")
        self.net = net
        self.patience, self.margin = patience, margin
        self.weights: dict[int, dict[str, torch.Tensor]] = {}  # step -> weights, for step 0 and the lowest
        self.kept_step: int | None = None
        self.stopped_step: int | None = None

    def _lowest(self) -> int:
        """Index of the lowest record whose weights are held."""
        held = [i for i, step in enumerate(self.steps) if step in self.weights]
        return min(held, key=lambda i: self.values[i].mean())

    @property
    def lowest_step(self) -> int:
        """The step of the lowest validation record whose weights are held (0 before any record)."""
        return self.steps[self._lowest()] if self.weights else 0

    def record(self, step: int) -> None:
        super().record(step)
        for old in [s for s in self.weights if s >= step]:  # a restart went back past them
            del self.weights[old]
        if step == 0 or not self.weights or self.values[-1].mean() < self.values[self._lowest()].mean():
            self.weights[step] = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
            for old in [s for s in self.weights if s not in (0, step)]:
                del self.weights[old]

    def should_stop(self) -> bool:
        """Whether the training should stop at the last record: ``patience`` steps past the lowest."""
        return self.steps[-1] - self.steps[self._lowest()] >= self.patience

    def restore(self) -> None:
        """Give the net the weights chosen by the rule; called once, when the training ends."""
        self.stopped_step = self.steps[-1]
        lowest = self._lowest()
        drop, stderr = paired_mean(self.values[0] - self.values[lowest]) if lowest else (0.0, 0.0)
        keep = self.steps[lowest] if drop > self.margin * stderr else 0
        if 0 not in self.weights:  # resumed from a checkpoint written without step 0: keep the lowest
            keep = self.steps[lowest]
        self.kept_step = keep
        self.net.load_state_dict(self.weights[keep])

    def state_dict(self) -> dict:
        return {**super().state_dict(), "weights": {str(step): w for step, w in self.weights.items()}}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.weights = {int(step): w for step, w in state.get("weights", {}).items()}
