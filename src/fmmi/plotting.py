"""Figures: training loss, Monte-Carlo convergence, and the flow animation.

matplotlib is imported only when a function here is called (extra ``plot``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._checks import check_positive_int
from .integrate import running_mean_and_stderr

__all__ = ["plot_loss", "plot_convergence", "animate_flows", "save_figure"]


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'fmmi[plot]'") from None
    return plt


def _series(values, name: str, fewest: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size < fewest:
        raise ValueError(f"{name} must be a 1-D array of at least {fewest} values, got shape {values.shape}")
    return values


def _check_folder(path: Path) -> None:
    """Fail before drawing when the file could not be written (the folder must exist)."""
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist")


def plot_loss(history: np.ndarray, *, ax=None, window: int = 100):
    """Flow-matching loss per step, raw and as a moving average. Returns the axes."""
    history = _series(history, "history", 1)
    check_positive_int(window, "window")
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    steps = np.arange(1, history.size + 1)
    ax.plot(steps, history, color="0.75", lw=0.6, label="loss per step")
    window = max(1, min(window, history.size))
    smooth = np.convolve(history, np.ones(window) / window, mode="valid")
    ax.plot(steps[window - 1 :], smooth, color="C0", lw=1.5, label=f"moving average ({window} steps)")
    ax.set_xlabel("training step")
    ax.set_ylabel("flow-matching loss")
    ax.set_title("Training loss")
    ax.legend()
    return ax


def plot_convergence(contributions: np.ndarray, *, true_mi: float | None = None, ax=None, unit: str = "nats"):
    """Running MI estimate against the number of Monte-Carlo samples, with a 95% band."""
    contributions = _series(contributions, "contributions", 2)
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    mean, stderr = running_mean_and_stderr(contributions)
    count = np.arange(1, mean.size + 1)
    start = min(10, mean.size - 1)  # the first few running errors are meaningless
    ax.plot(count[start:], mean[start:], color="C0", label="running estimate")
    ax.fill_between(
        count[start:],
        mean[start:] - 1.96 * stderr[start:],
        mean[start:] + 1.96 * stderr[start:],
        color="C0",
        alpha=0.2,
        label="95% Monte-Carlo band",
    )
    if true_mi is not None:
        ax.axhline(true_mi, color="C3", ls="--", label=f"true MI = {true_mi:.4f}")
    ax.set_xscale("log")
    ax.set_xlabel("Monte-Carlo samples")
    ax.set_ylabel(f"MI estimate ({unit})")
    ax.set_title("Convergence of the jFMMI estimate")
    ax.legend()
    return ax


def animate_flows(
    trajectories: dict[str, np.ndarray],
    path: str | os.PathLike,
    *,
    background: np.ndarray | None = None,
    fps: int = 15,
    dpi: int = 80,
) -> Path:
    """Write an animated GIF of 2-D particles moving side by side, one panel a flow.

    Args:
        trajectories: Panel title -> states of shape (n_frames, n_particles, 2).
        path: Output ``.gif`` file (written whole, then renamed into place).
        background: Optional (m, 2) points drawn faintly in every panel
            (e.g. samples of the target).
        fps: Frames per second.
        dpi: Resolution of the frames.

    Raises:
        ValueError: no panel, a panel that is not (n_frames, n_particles, 2)
            with at least two frames, panels with different frame counts, or a
            path that does not end in ``.gif``.
        FileNotFoundError: the folder of ``path`` does not exist.
    """
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"the animation is written as a GIF: path must end in .gif, got {path}")
    _check_folder(path)
    check_positive_int(fps, "fps")
    check_positive_int(dpi, "dpi")
    if not trajectories:
        raise ValueError("trajectories is empty: give at least one panel")
    panels = [(title, np.asarray(traj)) for title, traj in trajectories.items()]
    for title, traj in panels:
        if traj.ndim != 3 or traj.shape[-1] != 2 or traj.shape[0] < 2:
            raise ValueError(
                f"panel {title!r}: states must have shape (n_frames >= 2, n_particles, 2), got {traj.shape}"
            )
    frame_counts = {title: traj.shape[0] for title, traj in panels}
    if len(set(frame_counts.values())) > 1:
        raise ValueError(f"every panel needs the same number of frames, got {frame_counts}")
    plt = _pyplot()
    from matplotlib.animation import FuncAnimation, PillowWriter

    n_frames = panels[0][1].shape[0]
    every = np.concatenate([traj.reshape(-1, 2) for _, traj in panels])
    low, high = np.percentile(every, [0.5, 99.5], axis=0)
    pad = 0.1 * (high - low)
    colour = panels[0][1][0, :, 0]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.4), squeeze=False)
    scatters = []
    for ax, (title, traj) in zip(axes[0], panels):
        if background is not None:
            ax.scatter(background[:, 0], background[:, 1], s=2, color="0.85", zorder=0)
        scatters.append(ax.scatter(traj[0, :, 0], traj[0, :, 1], s=6, c=colour, cmap="viridis"))
        ax.set_xlim(low[0] - pad[0], high[0] + pad[0])
        ax.set_ylim(low[1] - pad[1], high[1] + pad[1])
        ax.set_title(title)
        ax.set_xlabel("x (standardised)")
        ax.set_ylabel("y (standardised)")
        ax.set_aspect("equal")
    label = fig.suptitle("")
    fig.tight_layout(rect=(0, 0, 1, 0.93))

    def draw(frame: int):
        for scatter, (_, traj) in zip(scatters, panels):
            scatter.set_offsets(traj[frame])
        label.set_text(f"t = {frame / (n_frames - 1):.2f}   (t = 0: product of marginals, t = 1: joint)")
        return scatters

    # Hold the last frame a moment before the loop restarts.
    frames = list(range(n_frames)) + [n_frames - 1] * (fps // 2)
    animation = FuncAnimation(fig, draw, frames=frames, blit=False)
    temporary = path.with_name(f".{path.name}.tmp.gif")
    try:
        animation.save(temporary, writer=PillowWriter(fps=fps), dpi=dpi)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
        plt.close(fig)
    return path


def save_figure(ax, path: str | os.PathLike, *, dpi: int = 120) -> Path:
    """Save the figure of ``ax`` whole (temporary file, then rename) and close it.

    Raises:
        FileNotFoundError: the folder of ``path`` does not exist (the figure stays open).
    """
    plt = _pyplot()
    path = Path(path)
    _check_folder(path)
    fig = ax.figure
    fig.tight_layout()
    temporary = path.with_name(f".{path.name}.tmp{path.suffix}")
    try:
        fig.savefig(temporary, dpi=dpi)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
        plt.close(fig)
    return path
