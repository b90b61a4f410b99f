import argparse
import json
import subprocess
import sys

import numpy as np
import pytest

from fmmi.cli import main
from fmmi.cli.args import progress as _progress
from fmmi.config import ESCALATE_FROM, ONE_COLUMN_CANDIDATES
from fmmi.distributions import CorrelatedGaussian

FAST_FLAGS = ["--steps", "300", "--hidden", "64", "--seed", "0", "--no-progress"]


@pytest.fixture
def gaussian_csv(tmp_path):
    x, y = CorrelatedGaussian.from_mi(0.5).sample(2000, random_state=0)
    path = tmp_path / "data.csv"
    np.savetxt(path, np.hstack([x, y, y + x]), delimiter=",", header="u,v,w", comments="")
    return path


def test_estimate_json(gaussian_csv, capsys):
    assert main(["estimate", str(gaussian_csv), "--x", "u", "--y", "v", "--json", *FAST_FLAGS]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["unit"] == "nats" and record["dim_x"] == 1 and record["dim_y"] == 1
    assert record["value"] == pytest.approx(0.5, abs=0.1)
    low, high = record["interval"]
    assert low <= record["value"] <= high


def test_estimate_line_in_bits(tmp_path, capsys):
    x, y = CorrelatedGaussian.from_mi(0.5).sample(1000, random_state=0)
    np.save(tmp_path / "d.npy", np.hstack([x, y]))
    assert main(["estimate", str(tmp_path / "d.npy"), "--bits", *FAST_FLAGS]) == 0
    line, choice = capsys.readouterr().out.strip().split("\n")  # the estimate, then which net was kept and why
    assert line.startswith("I(X;Y) = ") and "bits" in line
    assert choice.startswith("select: kept activation=") and "pilots of 300 steps" in choice
    assert main(["estimate", str(tmp_path / "d.npy"), "--bits", "--no-select", *FAST_FLAGS]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("I(X;Y) = ") and "\n" not in line


def test_estimate_npz_two_arrays(tmp_path, capsys):
    x, y = CorrelatedGaussian.from_mi(0.5).sample(1000, random_state=0)
    np.savez(tmp_path / "d.npz", features=x, labels=y)
    code = main(
        ["estimate", str(tmp_path / "d.npz"), "--x-key", "features", "--y-key", "labels", "--json", *FAST_FLAGS]
    )
    assert code == 0
    record = json.loads(capsys.readouterr().out)
    assert record["n_eval"] == 1000 and record["n_folds"] == 5 and record["interval_kind"] == "crossfit"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["estimate", "missing.csv"], "no such file"),
        (["estimate", "{csv}"], "has 3 columns; choose X and Y"),
        (["estimate", "{csv}", "--x", "u"], "--x and --y go together"),
        (["estimate", "{csv}", "--x", "u", "--y", "nope"], "no column 'nope'"),
        (["estimate", "{csv}", "--x", "u", "--y", "0,1"], "--x and --y both pick column 0 ('u')"),
        (["estimate", "{csv}", "--x", "0", "--y", "1", "--z", "v,w"], "--y and --z both pick column 1 ('v')"),
        (["estimate", "{csv}", "--x", "0,u", "--y", "1"], "--x '0,u' picks column 0 ('u') more than once"),
        (["entropy", "{csv}", "--x", "w,2"], "picks column 2 ('w') more than once"),
    ],
)
def test_estimate_errors(gaussian_csv, capsys, args, message):
    args = [a.replace("{csv}", str(gaussian_csv)) for a in args]
    assert main(args) == 1
    assert message in capsys.readouterr().err


def test_estimate_refuses_one_column_and_one_array_for_both(tmp_path, capsys):
    np.save(tmp_path / "one.npy", np.arange(20.0))
    assert main(["estimate", str(tmp_path / "one.npy")]) == 1
    assert "has one column; X and Y need two" in capsys.readouterr().err
    np.savez(tmp_path / "d.npz", a=np.zeros((20, 2)))
    assert main(["estimate", str(tmp_path / "d.npz"), "--x-key", "a", "--y-key", "a"]) == 1
    assert "--x and --y both pick column 0, 1" in capsys.readouterr().err


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--steps", "0"])
    assert exit_info.value.code == 2


def test_demo_quick_writes_its_figures(tmp_path, capsys):
    out = tmp_path / "demo"
    args = ["demo", "--quick", "--steps", "50", "--samples", "1000", "--mc-samples", "2000"]
    assert main([*args, "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "true MI:      0.8304 nats" in printed and "estimated MI:" in printed and "time:" in printed
    assert sorted(p.name for p in out.iterdir()) == ["convergence.png", "flow.gif", "loss.png", "result.json"]
    record = json.loads((out / "result.json").read_text())
    assert record["true_mi"] == pytest.approx(0.8304)
    assert record["result"]["n_mc"] == 2000
    from PIL import Image

    with Image.open(out / "flow.gif") as gif:
        assert gif.n_frames > 10


def test_python_dash_m():
    done = subprocess.run([sys.executable, "-m", "fmmi", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("fmmi ")


def test_progress_bar_only_on_a_terminal(gaussian_csv, monkeypatch):
    # Piped to a file, tqdm's carriage-return redraws would fill the log: no bar without a terminal.
    command = [sys.executable, "-m", "fmmi", "estimate", str(gaussian_csv), "--x", "u", "--y", "v"]
    command += ["--steps", "60", "--hidden", "16", "--interval", "monte_carlo", "--seed", "0"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "I(X;Y) =" in done.stdout and "nats" in done.stdout
    assert "step/s" not in done.stderr and "training" not in done.stderr

    class Terminal:
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    assert _progress(argparse.Namespace(no_progress=False))
    assert not _progress(argparse.Namespace(no_progress=True))


def test_estimate_conditional_mi_and_variants(gaussian_csv, capsys):
    args = ["estimate", str(gaussian_csv), "--x", "u", "--y", "w", "--z", "v", "--json", *FAST_FLAGS]
    assert main([*args, "--interval", "monte_carlo"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["quantity"] == "I(X;Y|Z)" and record["dim_z"] == 1 and record["interval_kind"] == "monte_carlo"
    assert (
        main(
            [
                "estimate",
                str(gaussian_csv),
                "--x",
                "u",
                "--y",
                "v",
                "--variant",
                "conditional",
                "--reverse",
                "--folds",
                "3",
                "--json",
                *FAST_FLAGS,
            ]
        )
        == 0
    )
    record = json.loads(capsys.readouterr().out)
    assert record["method"] == "cFMMI" and record["n_folds"] == 3 and record["options"]["reverse"] is True


def test_entropy_command(gaussian_csv, capsys):
    assert main(["entropy", str(gaussian_csv), "--x", "u,v", "--interval", "monte_carlo", *FAST_FLAGS]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("h(X) = ") and "nats" in line and "dim=2" in line


def test_bench_and_report(tmp_path, capsys):
    out = tmp_path / "sweep"
    args = ["bench", "--tasks", "seed-gaussian-1v1", "--estimators", "ksg,cca", "--n", "400", "--seeds", "0,1"]
    assert main([*args, "--out", str(out), "--no-progress"]) == 0
    assert "4 new runs (0 failed)" in capsys.readouterr().out
    assert main([*args, "--out", str(out), "--no-progress"]) == 0
    assert "0 new runs" in capsys.readouterr().out
    assert main(["report", str(out)]) == 0
    summary = capsys.readouterr().out
    assert "| ksg | 400 | 1 | 2 (0) |" in summary and "## Per seed" not in summary
    assert str(out / "report.md") in summary
    assert main(["report", str(out), "--full"]) == 0
    assert "| seed-gaussian-1v1 | ksg | 400 |" in capsys.readouterr().out
    assert (out / "report.md").exists() and (out / "estimates.png").exists()
    assert main(["bench", "--out", str(out)]) == 1
    assert "choose tasks" in capsys.readouterr().err
    assert main([*args, "--out", str(out), "--device", "tpu"]) == 1
    assert "device 'tpu' is not a valid torch device" in capsys.readouterr().err


def test_report_prints_the_mi_level_table_for_highmi_tasks(tmp_path, capsys):
    out = tmp_path / "sweep"
    tasks = "highmi-gaussian-1v1-mi2,highmi-gaussian-1v1-mi4"
    args = ["bench", "--tasks", tasks, "--estimators", "cca", "--n", "400", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["report", str(out)]) == 0
    summary = capsys.readouterr().out
    assert "## Per estimator" in summary and "## MAE by true MI" in summary
    assert "## Task by task" not in summary and "## All rows" not in summary


def test_estimate_checkpoint_flag_resumes_and_refuses_other_runs(gaussian_csv, tmp_path, capsys):
    folder = tmp_path / "ckpt"
    args = ["estimate", str(gaussian_csv), "--x", "u", "--y", "v", "--json", "--folds", "2", "--no-select"]
    args += FAST_FLAGS  # one net: its checkpoints are the folder's (the default's go to candidate<K>/)
    assert main([*args, "--checkpoint", str(folder)]) == 0
    first = json.loads(capsys.readouterr().out)["value"]
    assert sorted(p.name for p in folder.iterdir()) == ["fold1-flow1.pt", "fold2-flow1.pt", "run.json"]
    assert main([*args, "--checkpoint", str(folder)]) == 0  # read back, not retrained
    assert json.loads(capsys.readouterr().out)["value"] == first
    assert main([*args, "--checkpoint", str(folder), "--hidden", "32"]) == 1
    assert "other options or data" in capsys.readouterr().err


# A 300-step net on grid-valued data misses much of it, and the sample check says so: expected here.
@pytest.mark.filterwarnings("ignore::fmmi.UnderfitWarning")
def test_discrete_columns_warn_and_dequantize_flag(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, 600)
    np.save(tmp_path / "d.npy", np.column_stack([x, x + rng.integers(0, 2, 600)]))
    with pytest.warns(UserWarning, match="dequantize"):
        assert main(["estimate", str(tmp_path / "d.npy"), "--interval", "monte_carlo", *FAST_FLAGS]) == 0
    capsys.readouterr()
    assert main(["estimate", str(tmp_path / "d.npy"), "--dequantize", "--interval", "monte_carlo", *FAST_FLAGS]) == 0
    assert "I(X;Y) =" in capsys.readouterr().out


def test_estimate_streaming_from_two_files(tmp_path, capsys):
    x, y = CorrelatedGaussian.from_mi(0.5).sample(2000, random_state=0)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    assert main(["estimate", str(tmp_path / "x.npy"), "--stream", str(tmp_path / "y.npy"), *FAST_FLAGS, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["method"] == "jFMMI (streaming)" and record["interval_kind"] == "monte_carlo"
    assert abs(record["value"] - 0.5) < 0.2
    assert main(["estimate", str(tmp_path / "x.npy"), "--stream", str(tmp_path / "y.npy"), "--x", "0"]) == 1
    assert "--stream takes whole files" in capsys.readouterr().err
    stream = ["estimate", str(tmp_path / "x.npy"), "--stream", str(tmp_path / "y.npy")]
    assert main([*stream, "--activation", "silu"]) == 1
    assert "--stream trains the default tanh net" in capsys.readouterr().err
    assert main([*stream, "--select"]) == 1
    assert "--select cannot be combined with --stream" in capsys.readouterr().err


def test_mixed_precision_flag_switches_bfloat16_training(gaussian_csv, capsys):
    values = {}
    for choice in ("on", "off"):
        flags = ["--x", "u", "--y", "v", "--json", "--interval", "monte_carlo", "--mixed-precision", choice]
        # Without early stopping: on Gaussian data it would keep the Gaussian base alone, untouched by rounding.
        assert main(["estimate", str(gaussian_csv), *flags, "--no-early-stopping", *FAST_FLAGS]) == 0
        values[choice] = json.loads(capsys.readouterr().out)["value"]
    assert values["on"] != values["off"]  # bfloat16 rounding changed the training
    assert values["on"] == pytest.approx(0.5, abs=0.1) and values["off"] == pytest.approx(0.5, abs=0.1)
    with pytest.raises(SystemExit):
        main(["estimate", str(gaussian_csv), "--mixed-precision", "half"])


def test_activation_flag_trains_that_net(gaussian_csv, capsys):
    from fmmi import FMMI

    flags = ["--x", "u", "--y", "v", "--json", "--interval", "monte_carlo", "--activation", "silu"]
    assert main(["estimate", str(gaussian_csv), *flags, *FAST_FLAGS, "--steps", "100"]) == 0  # the last --steps counts
    record = json.loads(capsys.readouterr().out)
    data = np.loadtxt(gaussian_csv, delimiter=",", skiprows=1)
    options = dict(steps=100, hidden=64, interval="monte_carlo", random_state=0)
    expected = FMMI(activation="silu", **options).fit_estimate(data[:, :1], data[:, 1:2])
    assert record["value"] == pytest.approx(expected.value, abs=1e-9)
    assert record["options"]["activation"] == "silu"
    assert main(["estimate", str(gaussian_csv), "--x", "u", "--y", "v", "--activation", "sine", *FAST_FLAGS]) == 1
    assert "activation" in capsys.readouterr().err


@pytest.mark.parametrize("pilot_steps", [None, 50])
def test_the_default_reports_what_fmmi_select_keeps(gaussian_csv, capsys, pilot_steps):
    from fmmi import select

    pilots = [] if pilot_steps is None else ["--pilot-steps", str(pilot_steps)]
    pilots += [*FAST_FLAGS, "--steps", "100"]  # the last --steps counts
    assert main(["estimate", str(gaussian_csv), "--x", "u", "--y", "v", *pilots]) == 0
    line, reason = capsys.readouterr().out.strip().split("\n")
    assert line.startswith("I(X;Y) = ") and reason.startswith("select: kept ")
    assert f"pilots of {pilot_steps or 100} steps" in reason  # by default as many steps as the full fit
    assert reason.endswith(" s in all")

    assert main(["estimate", str(gaussian_csv), "--x", "u", "--y", "v", "--json", *pilots]) == 0
    record = json.loads(capsys.readouterr().out)
    data = np.loadtxt(gaussian_csv, delimiter=",", skiprows=1)
    expected = select(
        data[:, :1],
        data[:, 1:2],
        ONE_COLUMN_CANDIDATES,
        pilot_steps=pilot_steps or 100,
        escalate_from=ESCALATE_FROM,
        random_state=0,
        steps=100,
        hidden=64,
    )
    chosen = record["selection"]["chosen"]
    assert chosen == expected.chosen
    assert record["value"] == pytest.approx(expected.result.value, abs=1e-9)
    assert record["selection"]["estimates"][chosen] == pytest.approx(record["value"], abs=1e-12)
    assert record["selection"]["loss_gaps"] == pytest.approx(list(expected.gaps), abs=1e-12)
    assert record["selection"]["pilot_steps"] == (pilot_steps or 100)
    assert record["selection"]["pilot_estimates"] == pytest.approx([r.value for r in expected.pilot_results])
    assert record["selection"]["seconds"] >= record["seconds"]  # the whole selection, not only the kept fit
    # One column on each side: the deeper net is a candidate, piloted only where a two-layer pilot learned.
    assert record["selection"]["candidates"] == [dict(c) for c in expected.candidates]
    assert expected.candidates == ONE_COLUMN_CANDIDATES[: len(expected.candidates)]
    n = len(expected.candidates)
    assert [value is not None for value in record["selection"]["estimates"]] == [i == chosen for i in range(n)]


def test_no_choice_above_the_column_limit_unless_asked(gaussian_csv, capsys, monkeypatch):
    import fmmi.cli.estimate
    import fmmi.estimators.auto

    monkeypatch.setattr(fmmi.cli.estimate, "SELECT_MAX_COLUMNS", 1)
    monkeypatch.setattr(fmmi.estimators.auto, "SELECT_MAX_COLUMNS", 1)
    args = ["estimate", str(gaussian_csv), "--x", "u", "--y", "v", "--interval", "monte_carlo", *FAST_FLAGS]
    assert main([*args, "--steps", "50"]) == 0
    assert "select:" not in capsys.readouterr().out
    assert main([*args, "--steps", "50", "--select"]) == 0
    assert "select: kept" in capsys.readouterr().out
    # With the Monte-Carlo interval the one net is fitted without a pilot: --pilot-steps has nothing to set.
    assert main([*args, "--steps", "50", "--pilot-steps", "20"]) == 1
    assert "--pilot-steps: this fit trains no pilot" in capsys.readouterr().err


def test_pilot_steps_set_the_one_nets_pilot_above_the_column_limit(gaussian_csv, capsys, monkeypatch):
    import fmmi.estimators.auto

    monkeypatch.setattr(fmmi.estimators.auto, "SELECT_MAX_COLUMNS", 1)
    args = ["estimate", str(gaussian_csv), "--x", "u", "--y", "v", "--folds", "2", "--json", *FAST_FLAGS]
    assert main([*args, "--steps", "40", "--pilot-steps", "20"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["selection"]["pilot_steps"] == 20
    assert record["selection"]["candidates"] == [{"activation": "tanh"}]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--no-select", "--pilot-steps", "100"], "--pilot-steps goes with the default's pilots, which --no-select"),
        (["--activation", "silu", "--pilot-steps", "100", "--interval", "monte_carlo"], "trains no pilot"),
        (["--variant", "doe", "--pilot-steps", "100"], "which --variant turns off"),
        (["--select", "--activation", "silu"], "--select cannot be combined with --activation"),
        (["--select", "--z", "w"], "--select cannot be combined with --z"),
        (["--select", "--pilot-steps", "0"], None),
        (["--select", "--no-select"], None),
    ],
)
def test_select_flag_errors(gaussian_csv, capsys, flags, message):
    if message is None:  # argparse refuses it: a usage error
        with pytest.raises(SystemExit):
            main(["estimate", str(gaussian_csv), "--x", "u", "--y", "v", *flags])
        return
    assert main(["estimate", str(gaussian_csv), "--x", "u", "--y", "v", *flags]) == 1
    assert message in capsys.readouterr().err


def test_an_estimate_that_fails_the_fit_check_warns_and_says_so_in_json(tmp_path, capsys):
    # 400 rows of a 10 x 10 Student-t (true MI 0.711): the net learns its 200 training rows.
    from fmmi import OverfitWarning, UnderfitWarning
    from fmmi.distributions import SplitStudentT

    x, y = SplitStudentT(np.eye(20), 10, 2).sample(400, random_state=0)
    np.savez(tmp_path / "t.npz", x=x, y=y)
    flags = ["--x-key", "x", "--y-key", "y", "--interval", "monte_carlo", "--no-select", "--json"]
    flags += ["--steps", "1500", "--hidden", "128", "--seed", "0"]
    with pytest.warns(OverfitWarning, match="not to be trusted"):
        code = main(["estimate", str(tmp_path / "t.npz"), *flags, "--no-early-stopping"])
    assert code == 0
    record = json.loads(capsys.readouterr().out)
    assert record["value"] > 1.0 and len(record["warnings"]) == 1
    # With early stopping (the default) the net never beats its start on the validation rows: it keeps the
    # Gaussian base alone, which reads low (the base sees no linear dependence here) but does not overshoot.
    # The base check sees the shared scale that the base does not carry: a warning, and an unbounded interval.
    with pytest.warns(UnderfitWarning, match="the base check"):
        assert main(["estimate", str(tmp_path / "t.npz"), *flags]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["value"] < 0.711 and record["kept_steps"] == [0] and record["interval"][1] == float("inf")
    assert len(record["warnings"]) == 1 and "the base check" in record["warnings"][0]
