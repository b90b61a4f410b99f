"""The result object returned by every estimate."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

__all__ = ["MIResult", "UNITS"]

UNITS = {"nats": 1.0, "bits": 1.0 / math.log(2.0)}
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class MIResult:
    """An estimate with its uncertainty.

    Attributes:
        value: The estimate, in ``unit``. Not clipped at zero: independent data
            can give small negative values, and clipping would bias averages.
        stderr: Its standard error, in ``unit``.
        interval: 95% interval ``(low, high)``, in ``unit``.
        interval_kind: What the interval covers. ``"crossfit"``: the
            delete-a-group jackknife over K fold estimates, each from nets
            trained without its rows (data, training and Monte-Carlo
            variability; Student's t with K - 1 degrees of freedom). ``"monte_carlo"``: the Monte-Carlo error of
            the final average for one trained net only, not the variability
            from the data and the training.
        n_train: Rows used to train each velocity net.
        n_eval: Held-out rows the estimate was computed on (all folds).
        n_mc: Monte-Carlo units averaged (all folds).
        n_folds: Splits behind the estimate (1 for ``"monte_carlo"``).
        fold_values: The estimate of each split, in ``unit``.
        unit: ``"nats"`` or ``"bits"``.
        method: Which estimator produced it, e.g. ``"jFMMI"``.
        seconds: Wall time of fit and estimate.
        random_state: The integer seed that reproduces the run, if known.
        warnings: What the fit found wrong with itself, in words (also issued as
            Python warnings, e.g. `fmmi.OverfitWarning`); empty when nothing was found.
        kept_steps: For each split and each of its nets in turn, the training step whose weights
            the net kept (with early stopping, its lowest validation loss; 0: the net stayed at
            zero, its Gaussian base alone); empty for splits of other processes and for
            estimators without nets.
    """

    value: float
    stderr: float
    interval: tuple[float, float]
    n_train: int
    n_eval: int
    n_mc: int
    unit: str = "nats"
    interval_kind: str = "monte_carlo"
    n_folds: int = 1
    fold_values: tuple[float, ...] = ()
    method: str = "jFMMI"
    seconds: float = float("nan")
    random_state: int | None = None
    warnings: tuple[str, ...] = ()
    kept_steps: tuple[int, ...] = ()
    options: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_mean(cls, value: float, stderr: float, **kwargs) -> MIResult:
        """Build a result with the normal 95% interval ``value ± 1.96 stderr``."""
        half = _Z95 * stderr
        return cls(value=value, stderr=stderr, interval=(value - half, value + half), **kwargs)

    def __float__(self) -> float:
        return float(self.value)

    def to(self, unit: str) -> MIResult:
        """The same result in ``"nats"`` or ``"bits"``."""
        if unit not in UNITS:
            raise ValueError(f"unit must be one of {sorted(UNITS)}, got {unit!r}")
        factor = UNITS[unit] / UNITS[self.unit]
        return dataclasses.replace(
            self,
            value=self.value * factor,
            stderr=self.stderr * factor,
            interval=(self.interval[0] * factor, self.interval[1] * factor),
            fold_values=tuple(v * factor for v in self.fold_values),
            unit=unit,
        )

    def as_dict(self) -> dict:
        """A JSON-ready dictionary."""
        out = dataclasses.asdict(self)
        out["interval"] = list(self.interval)
        out["fold_values"] = list(self.fold_values)
        out["warnings"] = list(self.warnings)
        out["kept_steps"] = list(self.kept_steps)
        return out

    def __str__(self) -> str:
        low, high = self.interval
        return (
            f"{self.method}: {self.value:.4f} ± {self.stderr:.4f} {self.unit} "
            f"(95% {self.interval_kind} interval [{low:.4f}, {high:.4f}]; "
            f"n_train={self.n_train}, n_eval={self.n_eval}, n_folds={self.n_folds})"
        )
