"""A Gaussian base velocity: the exact flow between Gaussian fits of source and target.

Between ``N(0, Σ0)`` and ``N(0, Σ1)``, independently coupled, on a path
``z_t = α z_0 + β z_1``, the flow-matching velocity is linear, ``A_t z``, and
with ``Σ0 = L L^T`` and ``L^{-1} Σ1 L^{-T} = U diag(λ) U^T``,

    A_t = P diag(g(t)) P^{-1},   P = L U,   g_i(t) = (α α' + β β' λ_i) / (α² + β² λ_i).

Its divergence ``Σ_i g_i(t)`` integrates in closed form:
``∫_0^1 tr A_t dt = ½ Σ_i log λ_i`` (the Gaussian entropy difference
``h(N(0, Σ1)) - h(N(0, Σ0))``). When X and Y are strongly dependent, some λ_i
are tiny, and ``g_i(t)`` blows up like ``1 / (1 - t)`` just before t = 1: a
part of the velocity a tanh net cannot represent (it stalls near 4 nats per
direction), but which this base carries exactly. A net then learns only the
residual ``v - A_t z``: the non-Gaussian part.

When source and target share x (the ``"shared_x"`` coupling, `fmmi.coupling`),
only y moves, from ``N(0, Σ_yy)`` to ``N(B x, S)`` given x, with
``B = Σ_yx Σ_xx^{-1}`` and ``S = Σ_yy - B Σ_xy``. Given x, ``y_t - β B x`` is
the independently coupled path between ``N(0, Σ_yy)`` and ``N(0, S)``, so
`SharedXGaussianBase` is the base above in y's dimensions, shifted by the
moving mean; its divergence integrates to ``½ log det S - ½ log det Σ_yy``,
the same Gaussian MI.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.special import digamma, polygamma
from torch import nn

__all__ = [
    "GaussianBase",
    "ResidualVelocity",
    "SharedXGaussianBase",
    "entropy_difference_moments",
    "entropy_moments",
    "gaussian_log_det_bias",
    "gaussian_log_det_variance",
    "mi_moments",
]

# Relative floor for the eigenvalues of Σ0 and for λ, so that collinear columns stay finite.
EIGEN_FLOOR = 1e-10


class GaussianBase(nn.Module):
    """The linear velocity ``A_t z`` between ``N(0, cov_0)`` and ``N(0, cov_1)``.

    Args:
        cov_0: Source covariance, (d, d).
        cov_1: Target covariance, (d, d).
        path: The interpolation path (`fmmi.paths`).
    """

    def __init__(self, cov_0: torch.Tensor, cov_1: torch.Tensor, path):
        super().__init__()
        cov_0, cov_1 = (torch.as_tensor(c, dtype=torch.float64) for c in (cov_0, cov_1))
        values, vectors = torch.linalg.eigh(cov_0)
        values = values.clamp_min(EIGEN_FLOOR * float(values.max()))
        root = vectors * values.sqrt()  # Σ0 = root root^T
        root_inv = (vectors / values.sqrt()).T
        lam, rotation = torch.linalg.eigh(root_inv @ cov_1 @ root_inv.T)
        lam = lam.clamp_min(EIGEN_FLOOR)
        self.register_buffer("lam", lam)
        self.register_buffer("forward_map", root @ rotation)  # P
        self.register_buffer("inverse_map", rotation.T @ root_inv)  # P^{-1}
        self.path = path

    def rates(self, t: torch.Tensor) -> torch.Tensor:
        """``g(t)``, shape (n, d), float64."""
        t = t.double()[:, None]
        p = self.path
        a, b, da, db = p.alpha(t), p.beta(t), p.d_alpha(t), p.d_beta(t)
        return (a * da + b * db * self.lam) / (a * a + b * b * self.lam)

    def forward(self, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        # Always in z's dtype, also under bfloat16 autocast (mixed-precision training): near t = 1 at
        # high MI this velocity is large, and bfloat16's rounding of it would swamp the residual the net learns.
        with torch.autocast(z.device.type, enabled=False):
            w = z @ self.inverse_map.T.to(z.dtype)
            return (w * self.rates(t).to(z.dtype)) @ self.forward_map.T.to(z.dtype)

    def trace(self, t: torch.Tensor) -> torch.Tensor:
        """``tr A_t``, shape (n,), float64."""
        return self.rates(t).sum(-1)

    @property
    def integral(self) -> float:
        """``∫_0^1 tr A_t dt = ½ Σ log λ_i`` (nats)."""
        return 0.5 * float(torch.log(self.lam).sum())


class SharedXGaussianBase(nn.Module):
    """The linear velocity between Gaussian fits of the product of marginals and the joint when x stays put.

    The exact flow-matching velocity of the ``"shared_x"`` coupling on Gaussian data: source
    ``(x, y')`` with y' drawn apart from x, target ``(x, y)`` (the other way round if ``reverse``).

    Args:
        joint: Covariance of ``(x, y)``, (d, d).
        dim_x: The number of x's columns (the first ones).
        path: The interpolation path (`fmmi.paths`); x moves only where ``α + β`` is not 1.
        reverse: The flow runs from the joint (t = 0) to the product of marginals.
    """

    def __init__(self, joint: torch.Tensor, dim_x: int, path, *, reverse: bool = False):
        super().__init__()
        joint = torch.as_tensor(joint, dtype=torch.float64)
        cov_xx, cov_xy, cov_yy = joint[:dim_x, :dim_x], joint[:dim_x, dim_x:], joint[dim_x:, dim_x:]
        gain = (_inverse(cov_xx) @ cov_xy).T  # B = Σ_yx Σ_xx^{-1}, (dim_y, dim_x)
        residual = cov_yy - gain @ cov_xy  # S, the covariance of y given x
        self.inner = GaussianBase(*((residual, cov_yy) if reverse else (cov_yy, residual)), path)
        self.register_buffer("gain", gain)
        self.dim_x, self.reverse, self.path = dim_x, reverse, path

    def forward(self, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        with torch.autocast(z.device.type, enabled=False):  # in z's dtype, as `GaussianBase`
            p, s = self.path, t.double()[:, None]
            a, b, da, db = (f(s).to(z.dtype) for f in (p.alpha, p.beta, p.d_alpha, p.d_beta))
            x_t, y_t = z[:, : self.dim_x], z[:, self.dim_x :]
            x = x_t / (a + b)
            mean = x @ self.gain.T.to(z.dtype)  # E[y | x] at the joint's end
            # The joint's end moves with β (with α when reversed): its mean's share of y_t and of the velocity.
            share, d_share = (a, da) if self.reverse else (b, db)
            v_y = d_share * mean + self.inner(y_t - share * mean, t)
            return torch.cat([(da + db) * x, v_y], dim=-1)

    def trace(self, t: torch.Tensor) -> torch.Tensor:
        """The divergence, shape (n,), float64: y's part plus x's ``dim_x (α' + β') / (α + β)``."""
        s = t.double()[:, None]
        p = self.path
        stretch = (p.d_alpha(s) + p.d_beta(s)) / (p.alpha(s) + p.beta(s))
        return self.inner.trace(t) + self.dim_x * stretch[:, 0]

    @property
    def integral(self) -> float:
        """``∫_0^1 tr dt = ½ log det S - ½ log det Σ_yy`` (nats; x's part integrates to 0)."""
        return self.inner.integral


class ResidualVelocity(nn.Module):
    """``v(z, t) = A_t z + net(z, t, context)``: a net on top of a `GaussianBase`."""

    def __init__(self, net: nn.Module, base: GaussianBase):
        super().__init__()
        self.net = net
        self.base = base

    def forward(self, z: torch.Tensor, t: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        return self.base(z, t) + self.net(z, t, context)


def gaussian_log_det_bias(dim: int, n: int) -> float:
    """``E[log det S] - log det Σ`` for the sample covariance S of n Gaussian rows in ``dim`` dimensions.

    ``S`` with n - 1 degrees of freedom: ``(n - 1) S ~ Wishart(Σ, n - 1)``, so
    the bias is ``Σ_{i=1}^{dim} ψ((n - i) / 2) + dim log(2 / (n - 1))``; it
    does not depend on Σ.
    """
    if n <= dim + 1:
        raise ValueError(f"need more rows ({n}) than dimensions + 1 ({dim + 1}) for a covariance")
    return float(digamma((n - np.arange(1, dim + 1)) / 2).sum()) + dim * math.log(2 / (n - 1))


def gaussian_log_det_variance(dim: int, n: int) -> float:
    """``Var[log det S]`` for the sample covariance S of n Gaussian rows: ``Σ_{i=1}^{dim} ψ'((n - i) / 2)``."""
    if n <= dim + 1:
        raise ValueError(f"need more rows ({n}) than dimensions + 1 ({dim + 1}) for a covariance")
    return float(polygamma(1, (n - np.arange(1, dim + 1)) / 2).sum())


def entropy_moments(data: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, float, float] | None:
    """``(I, S, bias, variance)`` for an entropy flow from ``N(0, I)`` to rows with covariance S.

    The base's integral is ``½ log det S``; its Wishart bias ``½ E[log det S
    - log det Σ]`` and its sampling variance ``¼ Var[log det S]`` (exact for
    Gaussian rows) come with it. None when ``n <= dim + 1``.
    """
    n, dim = data.shape
    if n <= dim + 1:
        return None
    cov = _sample_cov(data)
    identity = torch.eye(dim, dtype=torch.float64, device=cov.device)
    return identity, cov, 0.5 * gaussian_log_det_bias(dim, n), 0.25 * gaussian_log_det_variance(dim, n)


def entropy_difference_moments(
    a: torch.Tensor, b: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, float, float] | None:
    """``(S_a, S_b, bias, variance)`` for a flow from the rows ``a`` to the rows ``b``; None if either is too short.

    The base's integral is ``½ log det S_b - ½ log det S_a``, with the two
    samples' Wishart biases and variances (independent samples).
    """
    (n_a, dim), n_b = a.shape, b.shape[0]
    if min(n_a, n_b) <= dim + 1:
        return None
    cov_a, cov_b = _sample_cov(a), _sample_cov(b)
    bias = 0.5 * (gaussian_log_det_bias(dim, n_b) - gaussian_log_det_bias(dim, n_a))
    variance = 0.25 * (gaussian_log_det_variance(dim, n_a) + gaussian_log_det_variance(dim, n_b))
    return cov_a, cov_b, bias, variance


def mi_moments(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, float, float] | None:
    """Covariances of the product of marginals and of the joint of paired rows, for a jFMMI base.

    Returns ``(product, joint, bias, variance)`` in float64: the joint sample
    covariance of ``[x, y]``; the same with the X-Y blocks set to zero; the
    Wishart bias of the Gaussian MI they imply, ``E[½ log det S_joint - ½ log
    det S_product]`` minus the same for the true covariances; and the sampling
    variance of that Gaussian MI to first order, ``Σ ρ_i² / n`` over the
    sample canonical correlations ``ρ_i`` (exact for Gaussian rows as n grows;
    from ``Var(r) ≈ (1 - ρ²)² / n`` for a correlation and the delta method).
    None when there are too few rows (``n <= dim + 1``) for a covariance.
    """
    n, dim_x, dim = x.shape[0], x.shape[1], x.shape[1] + y.shape[1]
    if n <= dim + 1:
        return None
    joint = _sample_cov(torch.cat([x, y], dim=1))
    product = joint.clone()
    product[:dim_x, dim_x:] = 0
    product[dim_x:, :dim_x] = 0
    bias = 0.5 * (
        gaussian_log_det_bias(dim, n) - gaussian_log_det_bias(dim_x, n) - gaussian_log_det_bias(dim - dim_x, n)
    )
    whitened = _inverse_sqrt(joint[:dim_x, :dim_x]) @ joint[:dim_x, dim_x:] @ _inverse_sqrt(joint[dim_x:, dim_x:])
    rho = torch.linalg.svdvals(whitened).clamp(0.0, 1.0)
    return product, joint, bias, float((rho**2).sum()) / n


def _sample_cov(rows: torch.Tensor) -> torch.Tensor:
    """Sample covariance of rows (n, d) in float64, always (d, d) (torch.cov squeezes d = 1)."""
    dim = rows.shape[1]
    return torch.cov(rows.double().T).reshape(dim, dim)


def _inverse(cov: torch.Tensor) -> torch.Tensor:
    """Inverse of a covariance, its eigenvalues floored as in `GaussianBase` (collinear columns stay finite)."""
    values, vectors = torch.linalg.eigh(cov)
    values = values.clamp_min(EIGEN_FLOOR * float(values.max()))
    return (vectors / values) @ vectors.T


def _inverse_sqrt(cov: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(cov)
    values = values.clamp_min(EIGEN_FLOOR * float(values.max()))
    return (vectors / values.sqrt()) @ vectors.T
