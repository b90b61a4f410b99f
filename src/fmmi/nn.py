"""Velocity networks ``v(z, t)``."""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "TIME_FEATURES", "VelocityMLP"]

TIME_FEATURES = ("linear", "log")

# 1 - t is clamped at T_MIN_GAP in the log time feature.
T_MIN_GAP = 1e-6

ACTIVATIONS = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "silu": nn.SiLU,
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "softplus": nn.Softplus,
}


def _normal_pdf(a: torch.Tensor) -> torch.Tensor:
    return torch.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)


# Derivatives of the activations, used by the closed-form Jacobian trace.
_DERIVATIVES = {
    "tanh": lambda a: 1 - torch.tanh(a) ** 2,
    "relu": lambda a: (a > 0).to(a.dtype),
    "silu": lambda a: torch.sigmoid(a) * (1 + a * (1 - torch.sigmoid(a))),
    "gelu": lambda a: 0.5 * (1 + torch.erf(a / math.sqrt(2))) + a * _normal_pdf(a),
    "elu": lambda a: torch.where(a > 0, torch.ones_like(a), torch.exp(a)),
    "softplus": torch.sigmoid,
}


class VelocityMLP(nn.Module):
    """Multi-layer perceptron on the concatenation ``(z, context, t)``.

    Args:
        features: Dimension d of the state z.
        context: Dimension of an optional conditioning input (0 for none);
            cFMMI conditions the flow in y on x this way.
        hidden: Width of each hidden layer.
        depth: Number of hidden layers.
        activation: One of ``ACTIVATIONS`` (smooth ones keep the divergence
            continuous; ``"relu"`` makes it piecewise constant).
        generator: Draws the initial weights, so that a seed fixes the net.
        time_features: ``"linear"``: the net sees t; ``"log"``: it sees t and
            ``-log(1 - t) / 4`` (1 - t clamped at 1e-6), which spreads the last
            stretch before t = 1, where a highly dependent target's velocity
            changes on a scale of ``1 - t``, over an input range of order one.
        fourier: Number m of random Fourier features of z: the net also sees
            ``sin(2 pi B z)`` and ``cos(2 pi B z)`` for a fixed (untrained)
            m × d matrix B of normal entries with standard deviation
            ``fourier_scale``, drawn from ``generator``; they let the net
            resolve sharp structure in z sooner. 0 (default): none. With
            features the closed-form trace does not apply.
        fourier_scale: Standard deviation of B's entries (frequencies in
            cycles per unit of z).

    Shapes: ``z`` is (..., d), ``t`` is (...) and ``context`` (..., c); the
    output is (..., d).

    Example:
        >>> net = VelocityMLP(2, hidden=16, depth=2, generator=torch.Generator().manual_seed(0))
        >>> net(torch.zeros(5, 2), torch.zeros(5)).shape
        torch.Size([5, 2])
    """

    def __init__(
        self,
        features: int,
        *,
        context: int = 0,
        hidden: int = 512,
        depth: int = 2,
        activation: str = "tanh",
        generator: torch.Generator | None = None,
        time_features: str = "linear",
        fourier: int = 0,
        fourier_scale: float = 1.0,
    ):
        super().__init__()
        if time_features not in TIME_FEATURES:
            raise ValueError(f"time_features must be one of {list(TIME_FEATURES)}, got {time_features!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        if hidden < 1:
            raise ValueError(f"hidden must be at least 1, got {hidden}")
        if fourier < 0:
            raise ValueError(f"fourier must be a non-negative integer, got {fourier}")
        if not fourier_scale > 0:
            raise ValueError(f"fourier_scale must be positive, got {fourier_scale}")
        # Fixed random frequencies: the net also sees sin and cos of 2 pi B z (Fourier features of z).
        frequencies = torch.zeros((0, features))
        if fourier:
            normal = torch.randn((fourier, features), generator=generator, dtype=torch.float64)
            frequencies = (normal * fourier_scale).float()
        self.register_buffer("frequencies", frequencies)
        layers: list[nn.Module] = []
        width = features + 2 * fourier + context + (1 if time_features == "linear" else 2)
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), ACTIVATIONS[activation]()]
            width = hidden
        layers.append(nn.Linear(width, features))
        self.net = nn.Sequential(*layers)
        self.features = features
        self.context = context
        self.depth = depth
        self.activation = activation
        self.time_features = time_features
        self.reset_parameters(generator)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """PyTorch's default uniform initialisation, drawn from ``generator``."""
        for module in self.net:
            if isinstance(module, nn.Linear):
                bound = 1.0 / math.sqrt(module.in_features)
                for param in (module.weight, module.bias):
                    values = torch.rand(param.shape, generator=generator, dtype=torch.float64)
                    param.copy_((2 * values - 1) * bound)

    @torch.no_grad()
    def zero_output(self) -> VelocityMLP:
        """Set the output layer to zero, so the net starts as the zero field (a residual on a base starts there)."""
        last = self.net[-1]
        last.weight.zero_()
        last.bias.zero_()
        return self

    def _inputs(self, z: torch.Tensor, t: torch.Tensor, context: torch.Tensor | None) -> torch.Tensor:
        if (context is None) != (self.context == 0):
            raise ValueError(
                f"this net takes a context of dimension {self.context}; got {context is not None and context.shape[-1]}"
            )
        parts = [z]
        if len(self.frequencies):
            angles = 2 * math.pi * z @ self.frequencies.to(z.dtype).T
            parts += [torch.sin(angles), torch.cos(angles)]
        if context is not None:
            parts.append(context.to(z.dtype))
        times = [t[..., None]]
        if self.time_features == "log":
            # Computed in t's own precision: in float32, 1 - t near 1 keeps few digits.
            times.append(-torch.log(torch.clamp(1 - t[..., None], min=T_MIN_GAP)) / 4)
        return torch.cat([*parts, *(f.to(z.dtype) for f in times)], dim=-1)

    def forward(self, z: torch.Tensor, t: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(self._inputs(z, t, context))

    @property
    def has_closed_form_trace(self) -> bool:
        """Whether `trace_jacobian` applies (one or two hidden layers, no Fourier features)."""
        return self.depth <= 2 and not len(self.frequencies)

    def trace_jacobian(self, z: torch.Tensor, t: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """Exact ``tr(dv/dz)`` per row in one forward pass, shape (n,).

        With ``D_k`` the activation derivatives of hidden layer k and
        ``W_1z`` the first layer's columns acting on z, the Jacobian is
        ``W_out D_L W_L ... D_1 W_1z``. For depth 2 its trace is the bilinear
        form ``d_2^T (W_2 ∘ M^T) d_1`` with the constant ``M = W_1z W_out``, so
        the cost is that of one hidden layer, whatever the dimension.
        """
        if not self.has_closed_form_trace:
            raise ValueError(
                f"the closed-form trace needs depth <= 2 and no Fourier features; this net has depth {self.depth} "
                f"and {len(self.frequencies)} features"
            )
        linears = [m for m in self.net if isinstance(m, nn.Linear)]
        act = ACTIVATIONS[self.activation]()
        derivative = _DERIVATIVES[self.activation]
        first, last = linears[0], linears[-1]
        w_1z = first.weight[:, : self.features]
        pre_1 = first(self._inputs(z, t, context))
        d_1 = derivative(pre_1)
        if self.depth == 1:
            return d_1 @ (w_1z * last.weight.T).sum(-1)
        middle = linears[1]
        pre_2 = middle(act(pre_1))
        d_2 = derivative(pre_2)
        kernel = middle.weight * (w_1z @ last.weight).T
        return ((d_1 @ kernel.T) * d_2).sum(-1)
