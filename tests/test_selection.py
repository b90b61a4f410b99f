import warnings

import numpy as np
import pytest
import torch

from fmmi import FMMI
from fmmi.config import CANDIDATES, ESCALATE_FROM, ONE_COLUMN_CANDIDATES
from fmmi.estimators.selection import select

from .conftest import FAST

# Three folds of a short training: a net trained 200 steps against one trained 2 steps without the
# Gaussian base (which alone would already be the exact velocity for Gaussian data).
SHARED = dict(FAST, steps=200, n_folds=3, gaussian_base=False)
BARELY = {"steps": 2}
# For pilots, which all take the same steps: a learning rate too small to move the net.
STUCK = {"lr": 1e-9}


def test_a_clearly_better_fit_replaces_the_first_candidate(gaussian_1d):
    dist, x, y = gaussian_1d
    x, y = x[:2000], y[:2000]
    selection = select(x, y, [BARELY, {}], random_state=0, **SHARED)
    assert selection.chosen == 1
    assert selection.result is selection.results[1]
    assert selection.gaps[0] == 0 and selection.gaps[1] < -2 * selection.gap_stderrs[1]
    assert selection.losses[1] < selection.losses[0]
    assert selection.result.value == pytest.approx(dist.mutual_information, abs=0.1)
    # Each candidate is the plain estimator with the shared seed: the same number as fitting it alone.
    alone = FMMI(random_state=0, **SHARED).fit_estimate(x, y)
    assert selection.results[1].value == alone.value


def test_the_first_candidate_stays_unless_beaten(gaussian_1d):
    _, x, y = gaussian_1d
    x, y = x[:2000], y[:2000]
    selection = select(x, y, [{}, BARELY], random_state=0, **SHARED)
    assert selection.chosen == 0 and selection.gaps[1] > 0
    assert selection.candidates == ({}, BARELY)
    assert selection.results[0].random_state == selection.results[1].random_state == 0
    assert selection.pilot_steps is None and selection.pilot_results is None


def test_each_candidate_checkpoints_into_its_own_folder(gaussian_1d, tmp_path):
    _, x, y = gaussian_1d
    options = dict(SHARED, steps=20, checkpoint_every=10)
    first = select(x[:600], y[:600], [{}, BARELY], random_state=0, checkpoint_dir=tmp_path, **options)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["candidate0", "candidate1"]
    again = select(x[:600], y[:600], [{}, BARELY], random_state=0, checkpoint_dir=tmp_path, **options)
    assert again.gaps == first.gaps and again.result.value == first.result.value


def test_pilots_choose_and_only_the_kept_candidate_is_fitted_in_full(gaussian_1d):
    dist, x, y = gaussian_1d
    x, y = x[:2000], y[:2000]
    selection = select(x, y, [STUCK, {}], pilot_steps=100, random_state=0, **SHARED)
    assert selection.pilot_steps == 100
    assert selection.chosen == 1 and selection.results[0] is None
    assert selection.gaps[1] < -2 * selection.gap_stderrs[1]
    # The kept candidate's full fit is the plain estimator with the shared seed and its own steps.
    alone = FMMI(random_state=0, **SHARED).fit_estimate(x, y)
    assert selection.result is selection.results[1]
    assert selection.result.value == alone.value and selection.result.interval_kind == "crossfit"
    assert selection.result.value == pytest.approx(dist.mutual_information, abs=0.1)
    # Each pilot's own estimate: one training of the candidate with the pilots' steps and the shared seed.
    # (its early stopping reads the held-out half, which chooses the net anyway).
    pilot = {"steps": 100, "interval": "monte_carlo", "validation": "held_out"}
    pilot = FMMI(random_state=0, **{**SHARED, **pilot}).fit_estimate(x, y)
    assert len(selection.pilot_results) == 2
    assert selection.pilot_results[1].value == pilot.value and pilot.interval_kind == "monte_carlo"
    # The first candidate stays when the other does not beat it.
    kept = select(x, y, [{}, STUCK], pilot_steps=100, random_state=0, **SHARED)
    assert kept.chosen == 0 and kept.results[1] is None and kept.result.value == alone.value


def test_pilots_are_not_checkpointed_but_the_full_fit_is(gaussian_1d, tmp_path):
    _, x, y = gaussian_1d
    options = dict(SHARED, steps=20, checkpoint_every=10)
    first = select(x[:600], y[:600], [STUCK, {}], pilot_steps=20, random_state=0, checkpoint_dir=tmp_path, **options)
    assert first.chosen == 1
    assert [p.name for p in tmp_path.iterdir()] == ["candidate1"]
    again = select(x[:600], y[:600], [STUCK, {}], pilot_steps=20, random_state=0, checkpoint_dir=tmp_path, **options)
    assert again.gaps == first.gaps and again.result.value == first.result.value


def test_a_later_candidate_is_piloted_only_where_an_earlier_pilot_learned(gaussian_1d):
    options = dict(FAST, steps=200, n_folds=2)
    deeper = {"depth": 3}
    # A Gaussian: the Gaussian base is the exact velocity, so the first pilot stays at its base.
    _, x, y = gaussian_1d
    base = select(x[:1000], y[:1000], [{}, deeper], pilot_steps=200, escalate_from=1, random_state=0, **options)
    assert base.candidates == ({},) and len(base.pilot_results) == len(base.gaps) == 1
    assert base.chosen == 0 and base.result.options["steps"] == 0  # the folds read the base alone
    # X and Y dependent through a random sign, which no Gaussian copula carries: the first pilot learns.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 1))
    y = x * rng.choice([-1, 1], size=(1000, 1)) + 0.3 * rng.normal(size=(1000, 1))
    learned = select(x, y, [{}, deeper], pilot_steps=200, escalate_from=1, random_state=0, **options)
    assert learned.candidates == ({}, deeper) and len(learned.pilot_results) == 2
    assert learned.result.options["steps"] == 200


def test_the_default_candidates_are_the_default_net_and_silu():
    assert CANDIDATES == ({}, {"activation": "silu"})
    assert ONE_COLUMN_CANDIDATES == (*CANDIDATES, {"depth": 4})  # where one column moves
    assert ESCALATE_FROM == len(CANDIDATES)  # the deeper net only where a two-layer pilot learned


@pytest.mark.parametrize(
    "candidates, options, error, message",
    [
        ([], {}, ValueError, "empty"),
        ([{}, {"path": "linear"}], {}, ValueError, "path"),
        ([{}, {"n_folds": 3}], {}, ValueError, "n_folds"),
        ([{}, "silu"], {}, TypeError, "candidate 1"),
        ([{}], {"margin": -1.0}, ValueError, "margin"),
        ([{}], {"random_state": torch.Generator()}, TypeError, "random_state"),
        ([{}], {"pilot_steps": 0}, ValueError, "pilot_steps"),
        ([{}], {"pilot_steps": 2.5}, ValueError, "pilot_steps"),
        ([{}, {}], {"escalate_from": 1}, ValueError, "needs pilot_steps"),
        ([{}, {}], {"escalate_from": 0, "pilot_steps": 10}, ValueError, "from 1 to 2"),
        ([{}, {}], {"escalate_from": 3, "pilot_steps": 10}, ValueError, "from 1 to 2"),
    ],
)
def test_bad_selections_are_named(candidates, options, error, message):
    x = np.random.default_rng(0).normal(size=(100, 2))
    with pytest.raises(error, match=message):
        select(x[:, :1], x[:, 1:], candidates, **options)


def test_a_monte_carlo_pilot_of_the_full_steps_is_the_estimate(gaussian_1d, monkeypatch):
    _, x, y = gaussian_1d
    x, y = x[:2000], y[:2000]
    # A full fit that stops on its held-out rows, as the pilots do, is the kept pilot's training.
    options = dict(SHARED, interval="monte_carlo", validation="held_out")
    fits = []
    original = FMMI._fit_estimate  # every training path goes through it
    monkeypatch.setattr(FMMI, "_fit_estimate", lambda self, data: fits.append(self) or original(self, data))
    selection = select(x, y, [STUCK, {}], pilot_steps=SHARED["steps"], random_state=0, **options)
    assert len(fits) == 2  # the two pilots, no third training
    assert selection.chosen == 1 and selection.result is selection.pilot_results[1]
    assert selection.result.value == FMMI(random_state=0, **options).fit_estimate(x, y).value
    # Other steps, other validation rows, or a checkpoint folder to resume from: the kept candidate is
    # trained in full.
    for other in (dict(options, validation="train"), options):
        fits.clear()
        select(x, y, [STUCK, {}], pilot_steps=50 if other is options else SHARED["steps"], random_state=0, **other)
        assert len(fits) == 3


def test_a_rerun_without_a_seed_resumes_from_the_checkpoint_folder(gaussian_1d, tmp_path):
    _, x, y = gaussian_1d
    options = dict(SHARED, steps=20, checkpoint_every=10, checkpoint_dir=tmp_path)
    first = select(x[:600], y[:600], [STUCK, {}], pilot_steps=20, **options)
    again = select(x[:600], y[:600], [STUCK, {}], pilot_steps=20, **options)
    assert again.result.random_state == first.result.random_state
    assert again.chosen == first.chosen and again.result.value == first.result.value


def test_a_fit_s_check_warnings_are_held_and_the_others_pass():
    from fmmi import OverfitWarning, UnderfitWarning
    from fmmi.estimators.selection import _holding_fit_checks

    def fit():
        warnings.warn("too good on its own rows", OverfitWarning)
        warnings.warn("samples told apart", UnderfitWarning)
        warnings.warn("something else", RuntimeWarning)
        return 7

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value, held = _holding_fit_checks(fit)
    assert value == 7 and [w.category for w in held] == [OverfitWarning, UnderfitWarning]
    assert [(w.category, str(w.message)) for w in caught] == [(RuntimeWarning, "something else")]


def test_only_the_kept_fit_reports_an_overfit_warning():
    # Both candidates learn their 200 training rows here (see tests/estimators/test_fmmi.py): the
    # two pilots' checks are silenced, the kept fit's is reported once.
    import fmmi

    x, y = fmmi.distributions.SplitStudentT(np.eye(20), 10, 2).sample(400, random_state=0)
    options = dict(steps=1500, hidden=128, lr=3e-3, interval="monte_carlo", early_stopping=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chosen = select(x, y, pilot_steps=1500, random_state=0, **options)
    overfit = [w for w in caught if issubclass(w.category, fmmi.OverfitWarning)]
    assert len(overfit) == 1 == len(chosen.result.warnings)
    assert str(overfit[0].message) == chosen.result.warnings[0]
