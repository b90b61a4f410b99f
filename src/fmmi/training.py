"""Flow-matching training of a velocity net, with fault recovery and checkpoints."""

from __future__ import annotations

import io
import math
import os
import warnings
from pathlib import Path as FilePath

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm.auto import tqdm

from . import distributed
from .coupling import Endpoints
from .curves import EarlyStopping, LossCurve
from .exceptions import TrainingDivergedError, TrainingRecoveredWarning
from .integrate import LOG_GRID_GAP
from .io import atomic_write_bytes
from .paths import Path

__all__ = [
    "TIME_DENSITIES",
    "adamw",
    "load_checkpoint",
    "sample_times",
    "train_flow_matching",
]

TIME_DENSITIES = ("uniform", "log")

# Steps between loss checks; each clean check refreshes the in-memory snapshot used for recovery.
CHECK_EVERY = 50


def train_flow_matching(
    net: nn.Module,
    endpoints: Endpoints,
    n_rows: int,
    *,
    path: Path,
    generator: torch.Generator,
    steps: int = 5000,
    batch_size: int = 512,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    time_density: str = "uniform",
    ema: float | None = None,
    max_restarts: int = 3,
    mixed_precision: bool = False,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 500,
    fingerprint: str = "",
    progress: bool = False,
    desc: str = "training",
    curve: LossCurve | None = None,
    stopping: EarlyStopping | None = None,
) -> np.ndarray:
    """Regress ``net(z_t, t)`` on the path's conditional velocity.

    Each step draws ``batch_size`` training rows (with replacement), turns
    them into source and target points with ``endpoints`` (for MI: Y re-paired
    within the batch for the source), draws ``t ~ U[0, 1]`` per row and takes
    one AdamW step on the mean squared error; the learning rate follows a
    cosine annealing from ``lr`` to 0 over ``steps``. With ``ema``, the net
    ends with an exponential moving average of its weights over the steps
    (``w_ema <- ema * w_ema + (1 - ema) * w`` after each step, started from
    the first step's weights) instead of the last step's weights.

    Fault rule: the losses are read every 50 steps (one host synchronisation
    per window, not per step). If any loss of the window is NaN or infinite,
    the net and optimiser go back to the snapshot taken at the end of the
    last clean window (or at the start), the learning rate is halved for the
    rest of the run, and training continues from there with fresh batches; a
    `TrainingRecoveredWarning` says so. After ``max_restarts`` such restarts,
    `TrainingDivergedError` is raised. A non-finite value is never returned.

    Checkpoints: with ``checkpoint`` (a file path), the full training state
    (net, optimiser, schedule, random generator, losses, step) is written
    atomically every ``checkpoint_every`` steps and at the end. If the file
    exists when training starts, training resumes from it, so a killed run
    loses at most ``checkpoint_every`` steps, and, on the same machine, the
    resumed run takes exactly the same steps as an uninterrupted one (the
    generator's state is restored). A checkpoint made with other options or
    data (``fingerprint`` differs) is refused. Files are read with
    ``torch.load(weights_only=True)``: no pickled code is ever run.

    Args:
        net: Velocity ``net(z, t, context)``; trained in place.
        endpoints: Maps row indices to ``(z_0, z_1, context)``; see `fmmi.coupling`.
        n_rows: Number of training rows the indices range over.
        time_density: How training times are drawn; see `sample_times`.
        ema: Decay of the weight average (in (0, 1)), or None for the last weights.
        max_restarts: Restarts allowed by the fault rule.
        mixed_precision: Run the net's forward and backward passes under
            bfloat16 autocast (weights, optimiser and loss stay float32, and
            so does a `fmmi.gaussian_base.GaussianBase` under the net).
        checkpoint: File to write (and resume from).
        checkpoint_every: Steps between checkpoints.
        fingerprint: A string identifying the run's options and data.
        progress: Show a progress bar (tqdm), labelled ``desc``.
        curve: Records the net's losses on other rows as training goes (`fmmi.curves.LossCurve`);
            its own random draws leave the training's untouched.
        stopping: Records the net's losses on validation rows the same way, may stop the
            training before ``steps`` and, at the end, gives the net the weights its rule keeps
            (`fmmi.curves.EarlyStopping`); not with ``ema``. ``steps`` is then the most it trains,
            and the learning rate still follows the cosine schedule of ``steps``.

    Returns:
        The loss at every step taken, shape (steps taken,).

    Raises:
        TrainingDivergedError: when the loss stays non-finite.
        ValueError: for a checkpoint of another run.
    """
    if ema is not None and not (isinstance(ema, float) and 0.0 < ema < 1.0):
        raise ValueError(f"ema must be a float in (0, 1) or None, got {ema!r}")
    if ema is not None and stopping is not None:
        raise ValueError("early stopping keeps weights of a recorded step, not a weight average: pass one of them")
    batch_size = min(batch_size, n_rows)
    model, batches = net, generator
    if distributed.is_distributed():
        # Data-parallel (see fmmi.distributed): own rows per rank, averaged gradients.
        batch_size = max(1, batch_size // distributed.world_size())
        batches = distributed.local_generator(generator)
        model = nn.parallel.DistributedDataParallel(net, **distributed.no_buffer_sync())
        if checkpoint is not None:
            checkpoint = f"{os.fspath(checkpoint)}.rank{distributed.rank()}"
    optimizer = adamw(net.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    average = None
    if ema is not None:
        average = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(ema), use_buffers=False)
    losses = np.empty(steps)
    step, restarts, stopped = 0, 0, False
    if checkpoint is not None and FilePath(checkpoint).exists():
        state = load_checkpoint(checkpoint, fingerprint=fingerprint, steps=steps)
        net.load_state_dict(state["net"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["scheduler"])
        if average is not None:
            if "average" not in state:
                raise ValueError(f"{checkpoint} holds no weight average, but this run has ema={ema}")
            average.load_state_dict(state["average"])
        batches.set_state(state["generator"])
        step, restarts = int(state["step"]), int(state["restarts"])
        losses[:step] = state["losses"].numpy()
        if curve is not None and "curve" in state:
            curve.load_state_dict(state["curve"])
        if stopping is not None and "stopping" in state:
            stopping.load_state_dict(state["stopping"])
            # A run that the rule had stopped ends where it stopped.
            stopped = bool(stopping.steps) and stopping.steps[-1] == step and stopping.should_stop()

    def save() -> None:
        buffer = io.BytesIO()
        torch.save(
            {
                "fingerprint": fingerprint,
                "steps": steps,
                "step": step,
                "restarts": restarts,
                "net": net.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": schedule.state_dict(),
                **({"average": average.state_dict()} if average is not None else {}),
                "generator": batches.get_state(),
                "losses": torch.from_numpy(losses[:step].copy()),
                **({"curve": curve.state_dict()} if curve is not None else {}),
                **({"stopping": stopping.state_dict()} if stopping is not None else {}),
            },
            buffer,
        )
        atomic_write_bytes(checkpoint, buffer.getvalue())

    bar = None
    if progress and step < steps:
        bar = tqdm(total=steps, initial=step, desc=desc, unit="step", leave=False)

    def take_snapshot() -> dict:
        return {
            "step": step,
            "net": {k: v.detach().clone() for k, v in net.state_dict().items()},
            "optimizer": _clone(optimizer.state_dict()),
            "scheduler": _clone(schedule.state_dict()),
            "average": None if average is None else _clone(average.state_dict()),
        }

    records = [c for c in (curve, stopping) if c is not None]

    def record_curves() -> bool:
        """Record the curves due at this step; whether the stopping rule ends the training here."""
        due = [c for c in records if c.due(step, steps)]
        if not due:
            return False
        net.eval()
        for c in due:
            c.record(step)
        net.train()
        return stopping in due and stopping.should_stop()

    # The starting state is finite (a fresh net, or a checkpoint that was).
    snapshot = take_snapshot()
    if step == 0:
        record_curves()
    window: list[torch.Tensor] = []  # this window's losses, left on the device
    net.train()
    try:
        while step < steps and not stopped:
            index = torch.randint(n_rows, (batch_size,), generator=batches)
            z_0, z_1, context = endpoints(index, batches)
            t = sample_times(batch_size, time_density, batches).to(z_1.device)
            z_t, goal = path.sample(z_0, z_1, t)
            with torch.autocast(z_t.device.type, dtype=torch.bfloat16, enabled=mixed_precision):
                prediction = model(z_t, t, context)
            loss = (prediction.to(goal.dtype) - goal).square().mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if average is not None:
                average.update_parameters(net)
            window.append(loss.detach())
            step += 1
            if bar is not None:
                bar.update()
            at_checkpoint = checkpoint is not None and (step % checkpoint_every == 0 or step == steps)
            if not (step % CHECK_EVERY == 0 or step == steps or at_checkpoint):
                continue
            # One host read per window (and, under DDP, one all-reduce): every rank
            # sees the mean loss, so all take the same recovery decision.
            values = torch.stack(window).double().cpu().numpy()
            if model is not net:
                values = distributed.all_reduce_sum(values) / distributed.world_size()
            first = step - len(window)
            window = []
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                value, where = values[bad[0]], first + int(bad[0]) + 1
                if restarts >= max_restarts:
                    raise TrainingDivergedError(
                        f"flow-matching loss became {value} at step {where} of {steps}"
                        + (f" after {restarts} restarts with a halved learning rate" if restarts else "")
                        + f"; try a lower learning rate (lr={lr}) or check the data's scale"
                    )
                restarts += 1
                step = snapshot["step"]
                net.load_state_dict(snapshot["net"])
                optimizer.load_state_dict(snapshot["optimizer"])
                schedule.load_state_dict(snapshot["scheduler"])
                if average is not None:
                    average.load_state_dict(snapshot["average"])
                for group in optimizer.param_groups:
                    group["lr"] *= 0.5
                schedule.base_lrs = [base * 0.5 for base in schedule.base_lrs]
                warnings.warn(
                    f"{desc}: loss became {value} at step {where}; restarted from step {step} with half the "
                    f"learning rate (restart {restarts} of at most {max_restarts})",
                    TrainingRecoveredWarning,
                    stacklevel=2,
                )
                if bar is not None:
                    bar.n = step
                continue
            losses[first:step] = values
            snapshot = take_snapshot()  # these parameters gave finite losses: a safe point to come back to
            stopped = record_curves()
            if at_checkpoint or (stopped and checkpoint is not None):
                save()
            if bar is not None:
                bar.set_postfix(loss=f"{values[-1]:.4f}")
    finally:
        if bar is not None:
            bar.close()
    if average is not None:
        with torch.no_grad():
            for mine, averaged in zip(net.parameters(), average.module.parameters()):
                mine.copy_(averaged)
    if stopping is not None:
        stopping.restore()
    net.eval()
    return losses[:step]


def adamw(params, *, lr: float, weight_decay: float = 0.0, fused: bool = True) -> torch.optim.AdamW:
    """`torch.optim.AdamW`, with its fused kernel where this PyTorch has one for the parameters' device.

    The fused kernel takes the same step as the loop over tensors, in one
    call per step instead of a dozen per tensor (its measured gain is in the
    benchmark study of ``benchmarks/archive/fused_adamw.py``). Where the PyTorch
    build has no fused kernel for the parameters' device, and with
    ``fused=False``, PyTorch's default implementation (on CPUs the loop).
    """
    params = list(params)
    if fused:
        try:
            return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=True)
        except (RuntimeError, ValueError):  # no fused kernel for these parameters here
            pass
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


def sample_times(n: int, density: str, generator: torch.Generator) -> torch.Tensor:
    """Training times in [0, 1), float64.

    ``"uniform"``: ``t ~ U[0, 1)``. ``"log"``: half the batch uniform, half
    ``t = 1 - exp(-u)`` with ``u ~ U[0, log 1e6]``, so that the stretch just
    before t = 1, where a highly dependent target's velocity varies on the
    scale of ``1 - t``, is seen as often as the rest.
    """
    if density not in TIME_DENSITIES:
        raise ValueError(f"time_density must be one of {list(TIME_DENSITIES)}, got {density!r}")
    t = torch.rand(n, generator=generator, dtype=torch.float64)
    if density == "log":
        tail = torch.rand(n // 2, generator=generator, dtype=torch.float64) * -math.log(LOG_GRID_GAP)
        t[: n // 2] = -torch.expm1(-tail)
    return t


def load_checkpoint(path: str | os.PathLike, *, fingerprint: str | None = None, steps: int | None = None) -> dict:
    """Read a training checkpoint safely (``weights_only=True``) and check it belongs to this run.

    Raises:
        ValueError: if the file is not a readable checkpoint, or was written
            by a run with other options or data.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for corrupt or unsafe files
        raise ValueError(f"{path}: not a readable fmmi checkpoint ({type(error).__name__}: {error})") from None
    if not isinstance(state, dict) or not {"fingerprint", "step", "net", "generator"} <= state.keys():
        raise ValueError(f"{path}: not an fmmi checkpoint")
    if fingerprint is not None and state["fingerprint"] != fingerprint:
        raise ValueError(
            f"{path} was written by a run with other options or data; "
            "use an empty checkpoint folder for a new run, or the same options and data to resume"
        )
    if steps is not None and state.get("steps") != steps:
        raise ValueError(f"{path} is a checkpoint of a {state.get('steps')}-step run, not of {steps} steps")
    return state


def _clone(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone(v) for v in value]
    return value
