import numpy as np
import pytest

pytest.importorskip("matplotlib")

from PIL import Image  # noqa: E402

from fmmi import plotting  # noqa: E402


def test_loss_plot_draws_the_steps_and_their_moving_average():
    history = np.linspace(3.0, 1.0, 50)
    ax = plotting.plot_loss(history, window=10)
    raw, smooth = ax.get_lines()
    assert np.array_equal(raw.get_ydata(), history)
    assert np.array_equal(smooth.get_xdata(), np.arange(10, 51))
    assert np.allclose(smooth.get_ydata(), np.convolve(history, np.ones(10) / 10, mode="valid"))


def test_convergence_plot_ends_at_the_estimate_and_marks_the_truth():
    values = np.random.default_rng(0).normal(0.5, 1.0, 400)
    ax = plotting.plot_convergence(values, true_mi=0.5, unit="bits")
    running, truth = ax.get_lines()
    assert running.get_ydata()[-1] == pytest.approx(values.mean())
    assert set(truth.get_ydata()) == {0.5}
    assert ax.get_ylabel() == "MI estimate (bits)"


def test_save_figure_writes_the_file_whole(tmp_path):
    path = plotting.save_figure(plotting.plot_loss(np.ones(5)), tmp_path / "loss.png")
    with Image.open(path) as image:
        assert image.format == "PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]  # no temporary file left


def test_animation_has_every_frame_and_a_pause(tmp_path):
    states = np.cumsum(np.random.default_rng(1).normal(size=(6, 20, 2)), axis=0)
    path = plotting.animate_flows({"a": states, "b": -states}, tmp_path / "flow.gif", fps=4, dpi=20)
    with Image.open(path) as gif:
        assert gif.n_frames == 6  # Pillow merges the repeated last frame into one longer frame
        durations = []
        for frame in range(gif.n_frames):
            gif.seek(frame)
            durations.append(gif.info["duration"])
    assert durations == [250] * 5 + [250 * (1 + 4 // 2)]  # 4 frames per second, then half a second held
    assert [p.name for p in tmp_path.iterdir()] == ["flow.gif"]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: plotting.plot_loss([]), "history must be a 1-D array of at least 1 values"),
        (lambda: plotting.plot_loss(np.ones((3, 2))), r"history must be a 1-D array .* shape \(3, 2\)"),
        (lambda: plotting.plot_loss(np.ones(3), window=0), "window must be a positive integer"),
        (lambda: plotting.plot_convergence([0.3]), "contributions must be a 1-D array of at least 2 values"),
    ],
)
def test_bad_series_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "trajectories, name, message",
    [
        ({}, "f.gif", "trajectories is empty"),
        ({"a": np.zeros((5, 3))}, "f.gif", r"panel 'a': states must have shape .* got \(5, 3\)"),
        ({"a": np.zeros((1, 3, 2))}, "f.gif", r"n_frames >= 2"),
        ({"a": np.zeros((4, 3, 2)), "b": np.zeros((5, 3, 2))}, "f.gif", "the same number of frames"),
        ({"a": np.zeros((4, 3, 2))}, "f.png", "path must end in .gif"),
    ],
)
def test_bad_animations_are_named_and_write_nothing(tmp_path, trajectories, name, message):
    with pytest.raises(ValueError, match=message):
        plotting.animate_flows(trajectories, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_named_before_drawing(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="the folder .*nowhere does not exist"):
        plotting.animate_flows({"a": np.zeros((3, 2, 2))}, missing / "f.gif")
    ax = plotting.plot_loss(np.ones(5))
    with pytest.raises(FileNotFoundError, match="nowhere does not exist"):
        plotting.save_figure(ax, missing / "loss.png")
    assert not missing.exists()
