"""One contract for every estimator: the same checks, tiny settings (the numbers are not the point)."""

import inspect
import math

import numpy as np
import pytest

import fmmi
from fmmi.estimators import FMMI, KSG, MINDE, MINE, NWJ, FlowEntropy, FlowEntropyDifference, GaussianMI, InfoNCE

TINY = dict(hidden=16, steps=30, batch_size=64, n_time=4, n_folds=3)

ESTIMATORS = {
    "jFMMI": (FMMI, {}, 2),
    "jFMMI reverse shared_x": (FMMI, dict(reverse=True, coupling="shared_x"), 2),
    "cFMMI": (FMMI, dict(variant="conditional"), 2),
    "cFMMI swap": (FMMI, dict(variant="conditional", swap=True), 2),
    "FMDoE": (FMMI, dict(variant="doe"), 2),
    "entropy": (FlowEntropy, {}, 1),
    "entropy difference": (FlowEntropyDifference, {}, 2),
}


def data(n_arrays, n=120):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2))
    y = x[:, :1] + rng.normal(size=(n, 1))
    return (x, y)[:n_arrays] if n_arrays == 2 else (x,)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
@pytest.mark.parametrize("interval", ["crossfit", "monte_carlo"])
def test_contract(name, interval):
    cls, options, n_arrays = ESTIMATORS[name]
    arrays = data(n_arrays)
    if cls is FlowEntropyDifference:
        arrays = (arrays[0][:, :1], arrays[1])
    est = cls(random_state=0, interval=interval, **TINY, **options)
    result = est.fit_estimate(*arrays)
    assert isinstance(result, fmmi.MIResult)
    assert math.isfinite(result.value) and result.stderr > 0
    assert result.interval[0] < result.value < result.interval[1]
    assert result.unit == "nats" and result.interval_kind == interval and result.method
    assert result.n_folds == (3 if interval == "crossfit" else 1) == len(result.fold_values)
    assert result.random_state == 0
    assert np.all(np.isfinite(est.history_)) and est.history_.shape == (TINY["steps"],)
    # Same parameters, same seed: the same number.
    again = cls(**est.get_params()).fit_estimate(*arrays)
    assert again.value == result.value
    # A fitted estimator estimates on new rows.
    if hasattr(est, "estimate"):
        assert math.isfinite(est.estimate(*arrays).value)


NEURAL = dict(steps=20, batch_size=32, random_state=0)


@pytest.mark.parametrize(
    "estimator",
    [KSG(), GaussianMI(random_state=0), InfoNCE(**NEURAL), NWJ(**NEURAL), MINE(**NEURAL), MINDE(hidden=16, **NEURAL)],
    ids=["KSG", "CCA", "InfoNCE", "NWJ", "MINE", "MINDE"],
)
def test_baseline_contract(estimator):
    x, y = data(2)
    result = estimator.fit_estimate(x, y)
    assert isinstance(result, fmmi.MIResult) and result.unit == "nats" and result.method
    assert math.isfinite(result.value) and result.stderr > 0
    assert result.interval[0] <= result.value <= result.interval[1]
    assert estimator.fit_estimate(x, y).value == result.value


@pytest.mark.parametrize(
    "estimate",
    [
        lambda x, y: FMMI(**TINY).fit_estimate(x, y),
        lambda x, y: KSG().fit_estimate(x, y),
        lambda x, y: fmmi.conditional_mi(x[:, :1], y, x, **TINY),
    ],
    ids=["FMMI", "KSG", "conditional_mi"],
)
def test_a_shared_continuous_column_is_refused_before_any_training(estimate):
    x, _ = data(2)
    with pytest.raises(ValueError, match="shares infinite information with itself"):
        estimate(x, x[:, 1:])


EVERY = [fmmi.AutoFMMI, FMMI, FlowEntropy, FlowEntropyDifference, KSG, GaussianMI, InfoNCE, NWJ, MINE, MINDE]


@pytest.mark.parametrize("cls", EVERY, ids=lambda c: c.__name__)
def test_options_are_explicit_keyword_arguments_listed_back(cls):
    signature = inspect.signature(cls.__init__)
    names = [p.name for p in signature.parameters.values() if p.name != "self"]
    assert names and all(signature.parameters[n].kind is inspect.Parameter.KEYWORD_ONLY for n in names)
    est = cls()
    assert list(est.get_params()) == names
    assert est.get_params() == {n: signature.parameters[n].default for n in names}  # stored as given
    with pytest.raises(TypeError):
        cls(no_such_option=1)
    first = names[0]
    assert est.set_params(**{first: "changed"}) is est and est.get_params()[first] == "changed"
    with pytest.raises(ValueError, match="has no option"):
        est.set_params(no_such_option=1)


@pytest.mark.parametrize("cls", EVERY, ids=lambda c: c.__name__)
def test_scikit_learn_clones_every_estimator(cls):
    base = pytest.importorskip("sklearn.base")
    changed = {"random_state": 3} if "random_state" in cls().get_params() else {"k": 7}
    est = cls(**changed)
    copy = base.clone(est)
    assert copy is not est and type(copy) is cls and copy.get_params() == est.get_params()
    assert repr(copy) == repr(est) == f"{cls.__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"


def test_a_clone_gives_the_same_estimate():
    base = pytest.importorskip("sklearn.base")
    x, y = data(2)
    est = FMMI(random_state=0, interval="monte_carlo", **{k: v for k, v in TINY.items() if k != "n_folds"})
    assert base.clone(est).fit_estimate(x, y).value == est.fit_estimate(x, y).value
