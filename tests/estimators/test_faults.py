"""Loud failures, numerical faults and interrupted runs, through the estimators."""

import json
import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import torch

from fmmi import FMMI, estimate_mi
from fmmi.distributions import CorrelatedGaussian
from fmmi.exceptions import DiscreteDataWarning

from ..conftest import FAST

MC = dict(FAST, interval="monte_carlo", random_state=0)


@pytest.fixture(scope="module")
def xy():
    return CorrelatedGaussian.from_mi(0.5).sample(1000, random_state=3)


@pytest.mark.parametrize(
    ("x", "message"),
    [
        (np.random.default_rng(0).integers(0, 5, size=(200, 1)), r"x: columns \[0\] repeat values"),
        (np.random.default_rng(0).random((200, 2)) > 0.5, r"x: columns \[0, 1\] repeat values"),
        (np.repeat(np.random.default_rng(0).normal(size=(100, 1)), 2, axis=0), r"columns \[0\] repeat"),
    ],
    ids=["integers", "booleans", "duplicated"],
)
def test_discrete_data_warns_and_names_the_option(x, message):
    y = np.random.default_rng(1).normal(size=(len(x), 1))
    with pytest.warns(DiscreteDataWarning, match=message + ".*dequantize=True"):
        estimate_mi(x, y, **dict(MC, steps=5))


def test_repeated_rows_of_continuous_columns_warn():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    x[:10] = x[10:20]  # 10 copied rows; every column is still 97% distinct
    with pytest.warns(DiscreteDataWarning, match="10 of 300 rows are exact copies"):
        estimate_mi(x, rng.normal(size=300), **dict(MC, steps=5))


def test_continuous_data_does_not_warn(xy):
    x, y = xy
    with warnings.catch_warnings():
        warnings.simplefilter("error", DiscreteDataWarning)
        estimate_mi(x, y, **dict(MC, steps=5))


def test_dequantize_silences_the_warning_and_detects_dependence():
    # A binary symmetric channel: I = log 2 - H(0.1) = 0.368 nats. Flows fit the
    # dequantised boxes poorly (see the README), so only dependence is checked.
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, 2000)
    y = np.where(rng.random(2000) < 0.1, 1 - x, x)
    independent = rng.integers(0, 2, 2000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DiscreteDataWarning)
        # Without early stopping: at this small budget the net's gain on validation rows is not yet clear.
        dependent = estimate_mi(x, y, dequantize=True, early_stopping=False, **MC)
        unrelated = estimate_mi(x, independent, dequantize=True, early_stopping=False, **MC)
    assert 0.15 < dependent.value < 0.45
    assert abs(unrelated.value) < 0.05


@pytest.mark.parametrize("gaussianize", [True, False])
def test_extreme_magnitudes_give_the_same_estimate(xy, gaussianize):
    x, y = xy
    options = dict(MC, steps=100, gaussianize=gaussianize)
    reference = estimate_mi(x, y, **options).value
    scaled = estimate_mi(x * 1e12 + 5e12, y * 1e-12, **options).value
    assert scaled == pytest.approx(reference, abs=1e-4)


def test_tensors_that_require_grad_are_accepted(xy):
    x, y = xy
    options = dict(MC, steps=20)
    reference = estimate_mi(x, y, **options).value
    tx = torch.as_tensor(x, dtype=torch.float64).requires_grad_(True)
    assert estimate_mi(tx, torch.as_tensor(y), **options).value == reference


def test_a_corrupted_net_is_refused_not_read(xy):
    x, y = xy
    estimator = FMMI(**dict(MC, steps=20)).fit(x[:500], y[:500])
    with torch.no_grad():
        next(estimator.net_.parameters()).fill_(float("nan"))
    with pytest.raises(FloatingPointError, match="not finite"):
        estimator.estimate(x[500:], y[500:])


def test_a_diverging_run_stops_with_a_clear_error(xy):
    x, y = xy
    x = x.copy()
    from fmmi.exceptions import TrainingDivergedError

    # A learning rate of 1e30 sends the weights to infinity within a step or two.
    with pytest.raises(TrainingDivergedError, match="lower learning rate"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimate_mi(x, y, **dict(MC, steps=200, lr=1e30))


# -- checkpoints -------------------------------------------------------------

CHILD = """
import sys
import torch
torch.set_num_threads(1)
from fmmi import estimate_mi
from fmmi.distributions import CorrelatedGaussian
x, y = CorrelatedGaussian.from_mi(0.5).sample(800, random_state=1)
# Without early stopping, which would keep the Gaussian base alone on these data and train no fold.
result = estimate_mi(x, y, hidden=64, steps=1000, batch_size=128, lr=3e-3, n_time=8, n_folds=2, early_stopping=False,
                     checkpoint_dir=sys.argv[1], checkpoint_every=50, device="cpu", random_state=None)
print(repr(result.value), result.random_state)
"""


def _child(folder):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-c", CHILD, str(folder)], stdout=subprocess.PIPE, text=True, env=env)


def test_a_killed_run_resumes_to_the_same_estimate(tmp_path):
    # The default: two pilots (not checkpointed), then the kept net's folds in candidate<K>/.
    killed = tmp_path / "killed"
    child = _child(killed)
    deadline = time.monotonic() + 120
    while not list(killed.glob("candidate*/fold1-flow1.pt")):
        assert child.poll() is None, "the run ended before its first checkpoint"
        assert time.monotonic() < deadline, "no checkpoint within 2 minutes"
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    (kept,) = killed.glob("candidate*")
    assert not (kept / "fold2-flow1.pt").exists()  # killed mid-way through the first fold

    resumed = _child(killed).communicate(timeout=300)[0].split()
    # random_state=None: the resumed run reuses the seed recorded when it started.
    seed = json.loads((kept / "run.json").read_text())["seed"]
    assert int(resumed[1]) == seed

    # The uninterrupted reference: the same seed in a fresh folder.
    reference = subprocess.run(
        [sys.executable, "-c", CHILD.replace("random_state=None", f"random_state={seed}"), str(tmp_path / "ref")],
        capture_output=True,
        text=True,
        env=dict(os.environ, OMP_NUM_THREADS="1"),
        timeout=300,
        check=True,
    ).stdout.split()
    assert float(resumed[0]) == float(reference[0])


def test_a_checkpoint_folder_of_another_run_is_refused(tmp_path, xy):
    x, y = xy
    options = dict(MC, steps=20, checkpoint_dir=tmp_path, select=False)  # one net: its folder is tmp_path
    first = estimate_mi(x, y, **options)
    again = estimate_mi(x, y, **options)  # every net is read back, none retrained
    assert again.value == first.value
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fold1-flow1.pt", "run.json"]
    with pytest.raises(ValueError, match="other options or data"):
        estimate_mi(x, y, **dict(options, steps=30))
    with pytest.raises(ValueError, match="other options or data"):
        estimate_mi(x[::-1], y, **options)
