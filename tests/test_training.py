import warnings

import numpy as np
import pytest
import torch
from torch import nn

from fmmi.coupling import joint_endpoints
from fmmi.curves import EarlyStopping, LossCurve
from fmmi.distributions import CorrelatedGaussian
from fmmi.exceptions import TrainingDivergedError, TrainingRecoveredWarning
from fmmi.nn import VelocityMLP
from fmmi.paths import get_path
from fmmi.training import (
    adamw,
    load_checkpoint,
    train_flow_matching,
)


class Faulty(nn.Module):
    """A velocity net whose output is NaN on chosen forward calls (from call ``always_from`` on, always)."""

    def __init__(self, net, bad_calls=(), always_from=None, interrupt_at=None):
        super().__init__()
        self.net = net
        self.calls = 0
        self.bad_calls = set(bad_calls)
        self.always_from = always_from
        self.interrupt_at = interrupt_at

    def forward(self, z, t, context=None):
        self.calls += 1
        if self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        out = self.net(z, t, context)
        if self.calls in self.bad_calls or (self.always_from is not None and self.calls >= self.always_from):
            out = out * float("nan")
        return out


def _setup(seed=0, **fault):
    x, y = CorrelatedGaussian.from_mi(0.5).sample(400, random_state=1)
    x, y = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    generator = torch.Generator().manual_seed(seed)
    net = Faulty(VelocityMLP(2, hidden=32, generator=generator), **fault)
    return net, joint_endpoints(x, y), generator


def _train(net, endpoints, generator, **kwargs):
    options = dict(path=get_path("trigonometric"), generator=generator, steps=300, batch_size=64, lr=3e-3)
    return train_flow_matching(net, endpoints, 400, **{**options, **kwargs})


def test_a_nan_loss_restarts_from_the_last_snapshot_with_half_the_learning_rate():
    net, endpoints, generator = _setup(bad_calls={120})
    with pytest.warns(TrainingRecoveredWarning, match="at step 120; restarted from step 100 with half the learning"):
        losses = _train(net, endpoints, generator)
    assert losses.shape == (300,) and np.all(np.isfinite(losses))
    # Call 120 is in the window of steps 101..150, read at its end: those 50 steps ran twice.
    assert net.calls == 300 + 50
    # The halved rate shows at the end of the cosine schedule too: the loss still went down.
    assert losses[-50:].mean() < losses[:50].mean()


def test_a_loss_that_stays_nan_raises_after_the_allowed_restarts():
    net, endpoints, generator = _setup(always_from=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrainingRecoveredWarning)
        with pytest.raises(TrainingDivergedError, match=r"at step \d+ of 300 after 2 restarts"):
            _train(net, endpoints, generator, max_restarts=2)


def test_a_nan_at_the_first_step_restarts_from_the_initial_state():
    net, endpoints, generator = _setup(bad_calls={1})
    with pytest.warns(TrainingRecoveredWarning, match="at step 1; restarted from step 0"):
        losses = _train(net, endpoints, generator)
    assert np.all(np.isfinite(losses))


def test_the_loss_is_read_once_per_window_not_every_step(monkeypatch):
    reads = []
    original = torch.Tensor.cpu

    def counting(self, *args, **kwargs):
        reads.append(self.shape)
        return original(self, *args, **kwargs)

    net, endpoints, generator = _setup()
    monkeypatch.setattr(torch.Tensor, "cpu", counting)
    _train(net, endpoints, generator, steps=120)
    assert reads == [(50,), (50,), (20,)]


def test_an_interrupted_run_resumes_from_its_checkpoint_exactly(tmp_path):
    reference_net, endpoints, generator = _setup()
    reference = _train(reference_net, endpoints, generator)

    file = tmp_path / "run.pt"
    net, endpoints, generator = _setup(interrupt_at=250)
    with pytest.raises(KeyboardInterrupt):
        _train(net, endpoints, generator, checkpoint=file, checkpoint_every=100)
    assert load_checkpoint(file)["step"] == 200

    # A fresh process would rebuild the net from the seed and rerun the same call.
    net, endpoints, generator = _setup()
    resumed = _train(net, endpoints, generator, checkpoint=file, checkpoint_every=100)
    assert net.calls == 100  # only the steps after the checkpoint were run
    np.testing.assert_array_equal(resumed, reference)
    for a, b in zip(net.state_dict().values(), reference_net.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert load_checkpoint(file)["step"] == 300


def test_a_finished_checkpoint_skips_training(tmp_path):
    file = tmp_path / "run.pt"
    net, endpoints, generator = _setup()
    first = _train(net, endpoints, generator, checkpoint=file)
    net, endpoints, generator = _setup()
    again = _train(net, endpoints, generator, checkpoint=file)
    assert net.calls == 0
    np.testing.assert_array_equal(first, again)


def test_checkpoints_of_another_run_are_refused(tmp_path):
    file = tmp_path / "run.pt"
    net, endpoints, generator = _setup()
    _train(net, endpoints, generator, checkpoint=file, fingerprint="run-a")
    net, endpoints, generator = _setup()
    with pytest.raises(ValueError, match="other options or data"):
        _train(net, endpoints, generator, checkpoint=file, fingerprint="run-b")
    with pytest.raises(ValueError, match="300-step run, not of 500"):
        _train(net, endpoints, generator, checkpoint=file, fingerprint="run-a", steps=500)


def test_checkpoints_are_read_without_unpickling(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("this must never run",))

    file = tmp_path / "evil.pt"
    torch.save({"fingerprint": "", "step": 0, "net": Payload(), "generator": None}, file)
    with pytest.raises(ValueError, match="not a readable fmmi checkpoint"):
        load_checkpoint(file)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="not a readable fmmi checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")


def test_bfloat16_mixed_precision_trains_like_float32():
    net, endpoints, generator = _setup()
    half = _train(net, endpoints, generator, mixed_precision=True)
    assert next(net.parameters()).dtype == torch.float32
    net, endpoints, generator = _setup()
    full = _train(net, endpoints, generator)
    assert np.all(np.isfinite(half)) and not np.array_equal(half, full)  # autocast was on
    assert half[-100:].mean() == pytest.approx(full[-100:].mean(), rel=0.05)


def test_log_time_density_puts_half_the_times_near_one():
    from fmmi.training import sample_times

    t = sample_times(10000, "log", torch.Generator().manual_seed(0))
    assert t.dtype == torch.float64 and float(t.min()) >= 0 and float(t.max()) < 1
    # Half uniform (1% of it past 0.99), half uniform in -log(1 - t) over [0, log 1e6] (2/3 of it past 0.99).
    assert 0.31 < float((t > 0.99).double().mean()) < 0.37
    with pytest.raises(ValueError, match="time_density"):
        sample_times(4, "beta", torch.Generator())


def test_ema_ends_with_the_average_of_the_weights():
    first_net, endpoints, generator = _setup()
    _train(first_net, endpoints, generator, steps=1)
    # A decay this close to 1 keeps the average at the first step's weights, whatever follows.
    net, endpoints, generator = _setup()
    _train(net, endpoints, generator, steps=20, ema=1 - 1e-9)
    for a, b in zip(net.parameters(), first_net.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    last_net, endpoints, generator = _setup()
    _train(last_net, endpoints, generator, steps=20)
    assert not all(torch.allclose(a, b) for a, b in zip(net.parameters(), last_net.parameters()))
    for bad in (0.0, 1.0, 1, "0.9"):
        with pytest.raises(ValueError, match="ema must be"):
            _train(net, endpoints, generator, ema=bad)


def test_ema_survives_restarts_and_resumes_from_checkpoints_exactly(tmp_path):
    reference_net, endpoints, generator = _setup()
    _train(reference_net, endpoints, generator, ema=0.99)

    file = tmp_path / "run.pt"
    net, endpoints, generator = _setup(interrupt_at=250)
    with pytest.raises(KeyboardInterrupt):
        _train(net, endpoints, generator, checkpoint=file, checkpoint_every=100, ema=0.99)
    net, endpoints, generator = _setup()
    _train(net, endpoints, generator, checkpoint=file, checkpoint_every=100, ema=0.99)
    for a, b in zip(net.state_dict().values(), reference_net.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    # A checkpoint without an average cannot resume a run with one.
    plain = tmp_path / "plain.pt"
    net, endpoints, generator = _setup(interrupt_at=150)
    with pytest.raises(KeyboardInterrupt):
        _train(net, endpoints, generator, checkpoint=plain, checkpoint_every=100)
    net, endpoints, generator = _setup()
    with pytest.raises(ValueError, match="no weight average"):
        _train(net, endpoints, generator, checkpoint=plain, ema=0.99)

    net, endpoints, generator = _setup(bad_calls={120})
    with pytest.warns(TrainingRecoveredWarning):
        losses = _train(net, endpoints, generator, ema=0.99)
    assert np.all(np.isfinite(losses)) and all(torch.isfinite(p).all() for p in net.parameters())


def _curve(net, every=100):
    """A loss curve of the net under ``Faulty`` (its calls are not counted) on fixed rows and draws."""
    x, y = CorrelatedGaussian.from_mi(0.5).sample(200, random_state=2)
    z_0 = torch.as_tensor(np.hstack([x, np.roll(y, 1, axis=0)]), dtype=torch.float32)
    z_1 = torch.as_tensor(np.hstack([x, y]), dtype=torch.float32)
    t = torch.rand(200, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    z_t, goal = get_path("trigonometric").sample(z_0, z_1, t)

    def losses():
        with torch.no_grad():
            return (net.net(z_t, t.float()) - goal).square().mean(-1).double().numpy()

    return LossCurve(losses, every=every)


def test_a_loss_curve_records_every_few_steps_and_leaves_training_untouched():
    reference_net, endpoints, generator = _setup()
    reference = _train(reference_net, endpoints, generator)
    net, endpoints, generator = _setup()
    curve = _curve(net)
    traced = _train(net, endpoints, generator, curve=curve)
    np.testing.assert_array_equal(traced, reference)
    for a, b in zip(net.state_dict().values(), reference_net.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert curve.steps == [0, 100, 200, 300]
    assert all(v.shape == (200,) for v in curve.values)
    means = curve.means()
    assert means[-1] < means[0]  # the net learned from its random start
    best, rise, stderr = curve.rise()
    assert best == curve.steps[int(np.argmin(means))]
    assert rise == pytest.approx(means[-1] - means.min()) and stderr >= 0
    drop, drop_stderr = curve.drop()
    assert drop == pytest.approx(means[0] - means[-1]) and drop_stderr > 0


def test_a_loss_curve_survives_restarts_and_resumes_from_checkpoints(tmp_path):
    reference_net, endpoints, generator = _setup()
    reference = _curve(reference_net, every=50)
    _train(reference_net, endpoints, generator, curve=reference)

    # A restart goes back to step 100: the records past it are made again, once.
    net, endpoints, generator = _setup(bad_calls={120})
    curve = _curve(net, every=50)
    with pytest.warns(TrainingRecoveredWarning):
        _train(net, endpoints, generator, curve=curve)
    assert curve.steps == [0, 50, 100, 150, 200, 250, 300]

    file = tmp_path / "run.pt"
    net, endpoints, generator = _setup(interrupt_at=250)
    with pytest.raises(KeyboardInterrupt):
        _train(net, endpoints, generator, checkpoint=file, checkpoint_every=100, curve=_curve(net, every=50))
    net, endpoints, generator = _setup()
    resumed = _curve(net, every=50)
    _train(net, endpoints, generator, checkpoint=file, checkpoint_every=100, curve=resumed)
    assert resumed.steps == reference.steps
    for a, b in zip(resumed.values, reference.values):
        np.testing.assert_array_equal(a, b)


def test_a_loss_curve_needs_a_positive_spacing():
    with pytest.raises(ValueError, match="every must be a positive integer"):
        LossCurve(lambda: np.zeros(2), every=0)


@pytest.mark.skipif(
    tuple(int(part) for part in torch.__version__.split(".")[:2]) < (2, 13),
    reason="a fused AdamW kernel on CPUs is checked on the pinned build (2.13); older builds may lack it",
)
def test_adamw_is_fused_here_and_takes_the_loops_step():
    torch.manual_seed(0)
    nets = [nn.Linear(6, 4), nn.Linear(6, 4)]
    nets[1].load_state_dict(nets[0].state_dict())
    fused = adamw(nets[0].parameters(), lr=1e-2, weight_decay=0.01)
    loop = torch.optim.AdamW(nets[1].parameters(), lr=1e-2, weight_decay=0.01)
    assert fused.defaults["fused"] and not loop.defaults["fused"]
    for _ in range(5):
        x = torch.randn(32, 6)
        for net, optimizer in zip(nets, (fused, loop)):
            optimizer.zero_grad()
            net(x).square().mean().backward()
            optimizer.step()
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_adamw_gives_the_loop_where_there_is_no_fused_kernel_or_when_asked(monkeypatch):
    real = torch.optim.AdamW

    def no_fused(params, fused=None, **kwargs):
        if fused:
            raise RuntimeError("`fused=True` requires all the params to be floating point Tensors of supported devices")
        return real(params, **kwargs)

    monkeypatch.setattr(torch.optim, "AdamW", no_fused)
    optimizer = adamw(nn.Linear(3, 3).parameters(), lr=1e-3)
    assert isinstance(optimizer, real) and not optimizer.defaults["fused"]
    assert optimizer.param_groups[0]["lr"] == 1e-3 and len(optimizer.param_groups[0]["params"]) == 2
    monkeypatch.undo()
    assert not adamw(nn.Linear(3, 3).parameters(), lr=1e-3, fused=False).defaults["fused"]  # asked for the loop


def _stopping(net, means, every=50):
    """An `EarlyStopping` fed scripted losses; it keeps a copy of the net's weights at each record."""
    noise = np.random.default_rng(0).normal(size=300)
    seen = {}

    def losses():
        seen[len(seen)] = {k: v.clone() for k, v in net.net.state_dict().items()}
        return means[len(seen) - 1] + noise

    stopping = EarlyStopping(losses, net.net, every=every, patience=100)
    return stopping, seen


def test_early_stopping_ends_the_training_and_leaves_the_kept_weights(tmp_path):
    net, endpoints, generator = _setup()
    stopping, seen = _stopping(net, [2.0, 1.5, 1.5, 3.0, 3.0, 3.0, 3.0])
    losses = _train(net, endpoints, generator, stopping=stopping, checkpoint=tmp_path / "run.pt")
    assert stopping.steps == [0, 50, 100, 150] and stopping.stopped_step == 150 and stopping.kept_step == 50
    assert losses.shape == (150,) and net.calls == 150
    for name, value in net.net.state_dict().items():
        torch.testing.assert_close(value, seen[1][name], rtol=0, atol=0)

    # The same call again resumes from the checkpoint written at the stop: no step is taken again.
    again, endpoints, generator = _setup()
    resumed, _ = _stopping(again, [2.0, 1.5, 1.5, 3.0, 3.0, 3.0, 3.0])
    _train(again, endpoints, generator, stopping=resumed, checkpoint=tmp_path / "run.pt")
    assert again.calls == 0 and resumed.kept_step == 50
    for name, value in again.net.state_dict().items():
        torch.testing.assert_close(value, seen[1][name], rtol=0, atol=0)


def test_early_stopping_and_a_weight_average_do_not_mix():
    net, endpoints, generator = _setup()
    stopping, _ = _stopping(net, [2.0] * 10)
    with pytest.raises(ValueError, match="early stopping keeps weights of a recorded step"):
        _train(net, endpoints, generator, stopping=stopping, ema=0.99)
