import numpy as np
import pytest
import torch
from torch import nn

from fmmi.curves import EarlyStopping, paired_mean


class Scripted:
    """Per-row losses scripted record by record (row noise shared across records, as paired draws give)."""

    def __init__(self, means, rows=400, spread=1.0, seed=0):
        self.means = list(means)
        self.noise = np.random.default_rng(seed).normal(scale=spread, size=rows)
        self.calls = 0

    def __call__(self):
        mean = self.means[self.calls]
        self.calls += 1
        return mean + self.noise + np.random.default_rng(self.calls).normal(scale=0.05, size=self.noise.size)


def run(means, **options):
    """Feed the records to an `EarlyStopping` as a training would, the net's weight marking the step."""
    net = nn.Linear(1, 1)
    stopping = EarlyStopping(Scripted(means), net, every=500, **options)
    for i in range(len(means)):
        with torch.no_grad():
            net.weight.fill_(float(i))
        stopping.record(500 * i)
        if i and stopping.should_stop():
            break
    stopping.restore()
    return stopping, net.weight.item()


def test_the_net_keeps_its_lowest_record_and_stops_patience_steps_after_it():
    # A jump above the lowest (1.7 -> 2.5) does not stop it; 1,000 steps without a lower record do.
    stopping, weight = run([2.0, 1.8, 1.7, 2.5, 1.6, 1.9, 1.65, 1.61, 3.0], patience=1000)
    assert stopping.stopped_step == 3000 and stopping.kept_step == 2000 and weight == 4.0


def test_a_net_no_clearly_better_than_its_start_goes_back_to_the_start():
    stopping, weight = run([2.0, 1.999, 2.0, 2.0, 2.0, 2.0, 2.0], patience=1500)
    assert stopping.kept_step == 0 and weight == 0.0
    assert stopping.stopped_step < 3000  # at most 1,500 steps past the lowest record


def test_a_lower_record_that_is_not_clearly_lower_is_still_held():
    # The record at 500 is the lowest, but a margin of 1,000 standard errors sends the net back to its start.
    stopping, weight = run([2.0, 1.9, 2.0, 2.0, 2.0, 2.0], patience=1500, margin=1000.0)
    assert stopping.kept_step == 0 and weight == 0.0
    assert stopping.lowest_step == 500 and stopping.weights[500]["weight"].item() == 1.0


def test_a_loss_that_keeps_falling_trains_to_the_end():
    means = [2.0 - 0.01 * i for i in range(21)]
    stopping, weight = run(means, patience=2000)
    assert stopping.stopped_step == 10000 and stopping.kept_step == 10000 and weight == 20.0


def test_a_restart_drops_the_records_and_weights_past_it():
    net = nn.Linear(1, 1)
    stopping = EarlyStopping(Scripted([2.0, 1.0, 0.5, 1.2, 1.1]), net, every=500)
    for step in (0, 500, 1000):
        with torch.no_grad():
            net.weight.fill_(step)
        stopping.record(step)
    stopping.record(700)  # went back to step 700: the record at 1,000 (the lowest) is gone
    assert stopping.steps == [0, 500, 700] and set(stopping.weights) <= {0, 500, 700}
    state = stopping.state_dict()
    again = EarlyStopping(lambda: None, nn.Linear(1, 1), every=500)
    again.load_state_dict(state)
    assert again.steps == stopping.steps and set(again.weights) == set(stopping.weights)


def test_patience_must_cover_a_record():
    with pytest.raises(ValueError, match="patience must be an integer of at least every=500"):
        EarlyStopping(lambda: None, nn.Linear(1, 1), every=500, patience=100)


def test_paired_mean_of_one_row_has_no_spread():
    assert paired_mean(np.array([0.5])) == (0.5, 0.0)
