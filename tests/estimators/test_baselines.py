import numpy as np
import pytest

from fmmi.distributions import CorrelatedGaussian
from fmmi.estimators import MINDE, MINE, NWJ, InfoNCE
from fmmi.estimators.baselines import KSG, GaussianMI


@pytest.fixture
def gaussian():
    dist = CorrelatedGaussian.from_mi(0.8)
    return dist, *dist.sample(4000, random_state=0)


def test_ksg_on_a_gaussian(gaussian):
    dist, x, y = gaussian
    result = KSG().fit_estimate(x, y)
    assert result.method == "KSG" and result.unit == "nats" and result.interval_kind == "per_point"
    assert result.value == pytest.approx(dist.mutual_information, abs=0.05)


def test_ksg_on_independent_data():
    rng = np.random.default_rng(1)
    assert abs(KSG(k=3).fit_estimate(rng.normal(size=(3000, 2)), rng.normal(size=3000)).value) < 0.03


@pytest.mark.parametrize("metric", ["euclidean", "chebyshev"])
def test_ksg_matches_a_brute_force_count(metric):
    from scipy.special import digamma

    rng = np.random.default_rng(2)
    n, k = 300, 3
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 3)) + 0.5 * rng.normal(size=(n, 1))
    xs, ys = (x - x.mean(0)) / x.std(0), (y - y.mean(0)) / y.std(0)
    norm = {"euclidean": lambda d: np.sqrt((d**2).sum(-1)), "chebyshev": lambda d: np.abs(d).max(-1)}[metric]
    dx, dy = norm(xs[:, None] - xs[None]), norm(ys[:, None] - ys[None])
    dz = np.maximum(dx, dy)
    np.fill_diagonal(dz, np.inf)
    eps = np.sort(dz, axis=1)[:, k - 1]
    n_x = (dx < eps[:, None]).sum(1) - 1
    n_y = (dy < eps[:, None]).sum(1) - 1
    expected = digamma(k) + digamma(n) - np.mean(digamma(n_x + 1) + digamma(n_y + 1))
    # Small blocks, so that the chunked search crosses block boundaries.
    result = KSG(k=k, metric=metric, chunk_size=7).fit_estimate(x, y)
    assert result.value == pytest.approx(expected, abs=1e-12)
    assert result.options == {"k": k, "metric": metric}


def test_ksg_metrics_agree_in_one_dimension():
    from fmmi.estimators import baselines

    rng = np.random.default_rng(3)
    x = rng.normal(size=500)
    y = x + rng.normal(size=500)
    value = KSG(metric="chebyshev").fit_estimate(x, y).value
    assert KSG(metric="euclidean").fit_estimate(x, y).value == value
    # The exact search, which the k-d trees stand in for here, gives the same.
    xs, ys = baselines._standardized(x[:, None]), baselines._standardized(y[:, None])
    epsilon = baselines._kth_joint_distance(xs, ys, 5, 64)
    trees = baselines.cKDTree(np.hstack([xs, ys])).query(np.hstack([xs, ys]), k=6, p=np.inf)[0][:, 5]
    np.testing.assert_array_equal(epsilon, trees)


def test_gaussian_plug_in(gaussian):
    dist, x, y = gaussian
    result = GaussianMI(random_state=0).fit_estimate(x, y)
    assert result.method == "CCA" and result.interval_kind == "bootstrap"
    assert result.value == pytest.approx(dist.mutual_information, abs=0.03)
    assert result.interval[0] < dist.mutual_information < result.interval[1]
    assert GaussianMI(random_state=0).fit_estimate(x, y).stderr == result.stderr


def test_baseline_errors():
    with pytest.raises(ValueError, match="k must be"):
        KSG(k=0).fit_estimate(np.zeros((10, 1)) + np.arange(10)[:, None], np.arange(10.0) ** 2)
    with pytest.raises(ValueError, match="metric must be"):
        KSG(metric="manhattan").fit_estimate(np.arange(10.0), np.arange(10.0) ** 2)
    with pytest.raises(ValueError, match="chunk_size must be"):
        KSG(chunk_size=0).fit_estimate(np.arange(10.0), np.arange(10.0) ** 2)
    with pytest.raises(ValueError, match="more rows than dimensions"):
        GaussianMI().fit_estimate(np.eye(3), np.eye(3))


@pytest.mark.parametrize(
    "cls, options",
    [
        (InfoNCE, dict(steps=300, batch_size=128, lr=1e-2)),
        (NWJ, dict(steps=300, batch_size=128, lr=1e-2)),
        (MINE, dict(steps=300, batch_size=128, lr=1e-2)),
        (MINDE, dict(steps=800, hidden=64, batch_size=256, lr=3e-3)),
    ],
    ids=["InfoNCE", "NWJ", "MINE", "MINDE"],
)
def test_neural_baselines_on_a_gaussian_and_on_independent_data(cls, options):
    dist = CorrelatedGaussian.from_mi(0.5)
    x, y = dist.sample(3000, random_state=0)
    dependent = cls(random_state=0, **options).fit_estimate(x, y)
    # MINDE's score-difference integrand amplifies the denoiser's error near t = 0
    # (README: +0.25 nats here after 3000 steps), hence its wider band.
    assert dependent.value == pytest.approx(0.5, abs=0.15 if cls is not MINDE else 0.5)
    assert dependent.interval_kind == "monte_carlo" and dependent.method == cls.method
    unrelated = cls(random_state=0, **options).fit_estimate(x, np.random.default_rng(1).normal(size=3000))
    assert abs(unrelated.value) < (0.08 if cls is not MINDE else 0.3)


def test_infonce_is_capped_at_log_batch_size():
    x, y = CorrelatedGaussian.from_mi(6.0).sample(2000, random_state=0)
    result = InfoNCE(steps=300, batch_size=16, lr=1e-2, random_state=0).fit_estimate(x, y)
    assert result.value <= np.log(16) + 1e-9


def test_neural_baselines_check_their_options():
    x, y = CorrelatedGaussian.from_mi(0.5).sample(100, random_state=0)
    with pytest.raises(ValueError, match="hidden"):
        InfoNCE(hidden=()).fit_estimate(x, y)
    with pytest.raises(ValueError, match="steps"):
        MINDE(steps=0).fit_estimate(x, y)
    with pytest.raises(ValueError, match="too few"):
        NWJ(steps=1).fit_estimate(x[:3], y[:3])
