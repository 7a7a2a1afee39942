"""`python -m mnist_mlp`: train -> evaluate -> compare round trip, and its errors."""
import json
import subprocess
import sys
from dataclasses import fields

import numpy as np
import pytest
import torch
from sklearn.metrics import precision_recall_fscore_support
from tiny import TinyMNIST

from mnist_mlp import cli, evaluate_accuracy
from mnist_mlp.cli import main
from mnist_mlp.config import Config
from mnist_mlp.evaluation import most_confused, per_class_scores
from mnist_mlp.presets import PRESETS
from mnist_mlp.regularized import RegularizedMLP
from mnist_mlp.runs import load_run

FAST = ["--hidden", "32", "--epochs", "2"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two seeds of a small model C variant, trained once for the module."""
    out = tmp_path_factory.mktemp("runs")
    assert main(["train", "C", *FAST, "--seeds", "0", "1", "--val-split", "5000",
                 "--out", str(out)]) == 0
    return out


def test_presets_lists_a_to_f(capsys):
    assert main(["presets"]) == 0
    table = capsys.readouterr().out
    for name in "ABCDEFGH":
        assert f"| {name} |" in table
    header = table.splitlines()[0]
    assert all(f" {f.name} |" in header for f in fields(Config))
    assert "| A | [128] | 0.1 | sigmoid | sgd | 64 | 10 | False |" in table


@pytest.mark.slow
def test_train_writes_a_complete_run_directory(runs, data):
    run = runs / "C-seed0"
    assert sorted(p.name for p in run.iterdir()) == [
        "config.json", "curves.png", "metrics.json", "model.pt"]
    config = json.loads((run / "config.json").read_text())
    assert Config.from_dict(config) == PRESETS["C"].replace(hidden_sizes=(32,), epochs=2)
    assert config["hidden_sizes"] == [32] and config["af"] == "relu" and config["seed"] == 0
    assert config["optimizer"] == "adam" and config["val_split"] == 5000
    metrics = json.loads((run / "metrics.json").read_text())
    assert [e["epoch"] for e in metrics["epochs"]] == [1, 2]
    assert set(metrics["epochs"][0]) == {"epoch", "train_loss", "val_loss", "val_acc"}
    assert metrics["epochs"][1]["train_loss"] < metrics["epochs"][0]["train_loss"]
    assert metrics["val_accuracy"] > 0.9 and metrics["test_accuracy"] > 0.9
    assert metrics["val_accuracy"] != metrics["test_accuracy"]  # held-out split, not the test set
    assert not list(runs.glob(".*part"))
    # the saved weights reproduce the recorded test accuracy
    _, _, model = load_run(run)
    assert evaluate_accuracy(model, data.test_dataloader()) == metrics["test_accuracy"]


@pytest.mark.slow
def test_seeds_give_different_runs(runs):
    first, second = (json.loads((runs / f"C-seed{s}" / "metrics.json").read_text())
                     for s in (0, 1))
    assert first["epochs"][0]["train_loss"] != second["epochs"][0]["train_loss"]


@pytest.mark.slow
def test_evaluate_reports_and_draws(runs, capsys):
    run = runs / "C-seed0"
    assert main(["evaluate", str(run), "--errors", "20"]) == 0
    out = capsys.readouterr().out
    summary = json.loads((run / "evaluation.json").read_text())
    recorded = json.loads((run / "metrics.json").read_text())["test_accuracy"]
    assert summary["test_accuracy"] == pytest.approx(recorded)
    assert f"test accuracy {recorded:.4f}" in out
    assert "| 9 |" in out and "most confused" in out
    for png in ("confusion_matrix.png", "confusion_errors.png", "errors.png"):
        assert (run / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_compare_groups_seeds_as_mean_and_std(runs, capsys):
    assert main(["compare", str(runs / "C-seed0"), str(runs / "C-seed1")]) == 0
    out = capsys.readouterr().out
    accs = [json.loads((runs / f"C-seed{s}" / "metrics.json").read_text())["test_accuracy"]
            for s in (0, 1)]
    assert f"{np.mean(accs):.4f} ± {np.std(accs, ddof=1):.4f}" in out
    assert "| C | 784-32-10 relu | adam, 0.001 | 2 |" in out


def test_unknown_preset_lists_the_valid_ones(capsys, tmp_path):
    assert main(["train", "Z", "--out", str(tmp_path)]) == 2
    assert "unknown preset 'Z'; valid presets: " + ", ".join(PRESETS) in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["train", "A", "--af", "tanh"], ["train", "A", "--hidden", "x"],
                                  ["train", "A", "--epochs", "2.5"]])
def test_unparsable_flags_exit_2_with_argparse_usage(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "error: argument" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["train", "A", "--lr", "-1"], "error: lr must be a finite number > 0, got -1.0"),
    (["train", "A", "--epochs", "0"], "error: epochs must be a positive integer, got 0"),
])
def test_bad_values_exit_2_with_one_line_before_loading_data(argv, message, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == message


def test_bad_dropout_is_reported_before_loading_data(capsys, tmp_path):
    assert main(["train", "F", "--dropout", "1.5", "--out", str(tmp_path)]) == 2
    assert "dropout must be in [0, 1)" in capsys.readouterr().err


def test_flags_override_batch_norm_and_noise(capsys, tmp_path):
    from mnist_mlp.cli import parser, train_config
    preset, config = train_config(parser().parse_args(["train", "F", "--no-batch-norm",
                                                       "--noise", "0", "--hidden", "64"]))
    assert preset == "F" and config == PRESETS["F"].replace(batch_norm=False, noise=0.0,
                                                            hidden_sizes=(64,))
    assert train_config(parser().parse_args(["train", "F"]))[1] == PRESETS["F"]
    assert train_config(parser().parse_args(["train", "--hidden-sizes", "8"]))[1] == Config(
        hidden_sizes=(8,))
    assert main(["train", "F", "--noise", "-1", "--out", str(tmp_path)]) == 2
    assert "noise must be a finite number >= 0" in capsys.readouterr().err


def test_every_hyperparameter_has_its_flag():
    """A hand-written command line with every flag; a new Config field must join it."""
    from mnist_mlp.cli import parser, train_config
    argv = ["train", "--hidden-sizes", "64", "32", "--lr", "0.01", "--af", "relu",
            "--optimizer", "adamw", "--batch-size", "128", "--epochs", "3", "--batch-norm",
            "--noise", "0.2", "--dropout", "0.1", "--weight-decay", "0.05",
            "--schedule", "onecycle", "--label-smoothing", "0.15", "--clean-statistics"]
    expected = Config(hidden_sizes=(64, 32), lr=0.01, af="relu", optimizer="adamw",
                      batch_size=128, epochs=3, batch_norm=True, noise=0.2, dropout=0.1,
                      weight_decay=0.05, schedule="onecycle", label_smoothing=0.15,
                      clean_statistics=True)
    assert train_config(parser().parse_args(argv)) == ("custom", expected)
    unchanged = [f.name for f in fields(Config) if getattr(expected, f.name) == getattr(
        Config(), f.name)]
    assert unchanged == [], f"add a flag for {unchanged} to this command line"


def no_data(**kwargs):
    raise AssertionError("the data was loaded: the command should have stopped before")


def test_an_existing_run_is_refused_before_any_training(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "MNIST", no_data)
    (tmp_path / "C-seed1").mkdir()
    (tmp_path / "C-seed1" / "mine.txt").write_text("a user's file")
    assert main(["train", "C", "--seeds", "0", "1", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"error: {tmp_path / 'C-seed1'} already exists: pass --force to replace it, "
                   "--resume to keep finished runs and continue interrupted ones, or choose "
                   "another --out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["C-seed1"]  # seed 0 not trained
    assert (tmp_path / "C-seed1" / "mine.txt").read_text() == "a user's file"


def test_force_replaces_an_existing_run_and_leaves_nothing_beside_it(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "MNIST", TinyMNIST)
    (tmp_path / "C-seed0").mkdir()
    (tmp_path / "C-seed0" / "old.txt").write_text("an earlier run")
    assert main(["train", "C", *FAST, "--force", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in (tmp_path / "C-seed0").iterdir()) == [
        "config.json", "curves.png", "metrics.json", "model.pt"]
    assert [p.name for p in tmp_path.iterdir()] == ["C-seed0"]


def test_resume_keeps_finished_seeds_and_trains_the_others(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "MNIST", TinyMNIST)
    assert main(["train", "C", *FAST, "--seeds", "1", "--out", str(tmp_path)]) == 0
    finished = (tmp_path / "C-seed1" / "model.pt").read_bytes()
    capsys.readouterr()
    assert main(["train", "C", *FAST, "--seeds", "0", "1", "--resume", "--out",
                 str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{tmp_path / 'C-seed1'} is finished: kept (--resume)" in out
    assert "training C (seed 0)" in out and "training C (seed 1)" not in out
    assert (tmp_path / "C-seed1" / "model.pt").read_bytes() == finished
    assert sorted(p.name for p in tmp_path.iterdir()) == ["C-seed0", "C-seed1"]
    monkeypatch.setattr(cli, "MNIST", no_data)  # all finished: nothing is loaded or trained
    assert main(["train", "C", *FAST, "--seeds", "0", "1", "--resume", "--out",
                 str(tmp_path)]) == 0
    assert capsys.readouterr().out.endswith("every seed is finished: nothing to train\n")


def test_resume_refuses_a_run_of_other_settings(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "MNIST", TinyMNIST)
    assert main(["train", "C", *FAST, "--out", str(tmp_path)]) == 0
    monkeypatch.setattr(cli, "MNIST", no_data)
    assert main(["train", "C", *FAST, "--lr", "0.01", "--resume", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --resume: {tmp_path / 'C-seed0'} holds a run with other settings (lr); choose "
        "another --out or pass --force to replace it")
    (tmp_path / "C-seed0" / "metrics.json").unlink()  # not a finished run
    assert main(["train", "C", *FAST, "--resume", "--out", str(tmp_path)]) == 2
    assert "is not a finished run" in capsys.readouterr().err


def interrupt_at_epoch(epoch):
    """A stand-in for cli.progress that raises KeyboardInterrupt (Ctrl-C) after `epoch`."""
    def make(total):
        def stop(row):
            if row["epoch"] == epoch:
                raise KeyboardInterrupt
        return stop
    return make


def test_resume_continues_an_interrupted_run_as_if_never_stopped(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "MNIST", TinyMNIST)
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    argv = ["train", "C", "--hidden", "32", "--epochs", "3", "--out"]
    assert main([*argv, str(straight)]) == 0
    assert [p.name for p in straight.iterdir()] == ["C-seed0"]  # the checkpoint is gone
    monkeypatch.setattr(cli, "progress", interrupt_at_epoch(2))
    assert main([*argv, str(stopped)]) == 130
    assert [p.name for p in stopped.iterdir()] == ["C-seed0.checkpoint.pt"]  # epoch 1 kept
    monkeypatch.undo()
    monkeypatch.setattr(cli, "MNIST", TinyMNIST)
    capsys.readouterr()
    assert main([*argv, str(stopped)]) == 2  # not without --resume (or --force)
    assert "C-seed0.checkpoint.pt already exists: pass --force" in capsys.readouterr().err
    assert main([*argv, str(stopped), "--resume"]) == 0
    assert f"continuing from {stopped / 'C-seed0.checkpoint.pt'}" in capsys.readouterr().out
    assert [p.name for p in stopped.iterdir()] == ["C-seed0"]
    _, metrics_a, model_a = load_run(straight / "C-seed0")
    _, metrics_b, model_b = load_run(stopped / "C-seed0")
    assert metrics_b["epochs"] == metrics_a["epochs"]  # every epoch's loss, to the last bit
    assert metrics_b["test_accuracy"] == metrics_a["test_accuracy"]
    for a, b in zip(model_a.state_dict().values(), model_b.state_dict().values()):
        assert torch.equal(a, b)


def test_resume_refuses_a_checkpoint_of_other_settings_or_a_corrupt_one(tmp_path, capsys,
                                                                        monkeypatch):
    monkeypatch.setattr(cli, "MNIST", TinyMNIST)
    monkeypatch.setattr(cli, "progress", interrupt_at_epoch(2))
    argv = ["train", "C", "--hidden", "32", "--epochs", "3", "--out", str(tmp_path)]
    assert main(argv) == 130
    monkeypatch.setattr(cli, "MNIST", no_data)
    checkpoint = tmp_path / "C-seed0.checkpoint.pt"
    capsys.readouterr()
    assert main([*argv, "--lr", "0.01", "--resume"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --resume: {checkpoint} is an interrupted run with other settings (lr); choose "
        "another --out or pass --force to start it over")
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])  # cut short, as by a full disk
    assert main([*argv, "--resume"]) == 2
    assert capsys.readouterr().err.strip().startswith(
        f"error: --resume: {checkpoint} is not a readable checkpoint")
    monkeypatch.setattr(cli, "MNIST", TinyMNIST)
    monkeypatch.setattr(cli, "progress", lambda total: None)  # no interrupt, no lines
    assert main([*argv, "--force"]) == 0  # starts over
    assert [p.name for p in tmp_path.iterdir()] == ["C-seed0"]


@pytest.mark.parametrize("argv, message", [
    (["--seeds", "0", "1", "0"], "--seeds lists a seed twice: 0 1 0"),
    (["--val-split", "60000"], "--val-split must be below 60000, got 60000"),
])
def test_other_mistakes_stop_before_the_data_is_loaded(argv, message, tmp_path, capsys,
                                                       monkeypatch):
    monkeypatch.setattr(cli, "MNIST", no_data)
    assert main(["train", "C", *argv, "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {message}"


def test_a_value_error_inside_training_is_a_bug_not_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "MNIST", TinyMNIST)

    def broken_loss(self, Y_hat, Y, averaged=True):
        raise ValueError("raised deep inside torch")

    monkeypatch.setattr(RegularizedMLP, "loss", broken_loss)
    with pytest.raises(ValueError, match="raised deep inside torch"):  # a traceback, not exit 2
        main(["train", "C", *FAST, "--out", str(tmp_path)])
    assert list(tmp_path.iterdir()) == []


def test_unwritable_out(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["train", "A", "--out", str(blocker / "runs")]) == 2
    assert "cannot write into" in capsys.readouterr().err


@pytest.mark.slow
def test_missing_or_corrupt_runs_are_clear_errors(runs, tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope")]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path)]) == 2
    assert "config.json is missing" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "metrics.json"):
        (broken / name).write_bytes((runs / "C-seed0" / name).read_bytes())
    blob = (runs / "C-seed0" / "model.pt").read_bytes()
    (broken / "model.pt").write_bytes(blob[: len(blob) // 2])
    assert main(["evaluate", str(broken)]) == 2
    assert "model.pt is corrupt" in capsys.readouterr().err
    assert not (broken / "confusion_matrix.png").exists()
    (broken / "config.json").write_text("{not json")
    assert main(["compare", str(broken)]) == 2
    assert "config.json is not readable JSON" in capsys.readouterr().err


def test_per_class_scores_match_sklearn():
    rng = np.random.default_rng(0)
    true, pred = rng.integers(0, 10, 500), rng.integers(0, 10, 500)
    pred[:300] = true[:300]
    cm = np.zeros((10, 10), int)
    np.add.at(cm, (true, pred), 1)
    ours = per_class_scores(cm)
    theirs = precision_recall_fscore_support(true, pred, labels=range(10), zero_division=0)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b)
    count, t, p = most_confused(cm, 1)[0]
    assert count == max(cm[i, j] for i in range(10) for j in range(10) if i != j) == cm[t, p]


@pytest.mark.slow
def test_module_entry_point_help():
    for command in ([], ["train"], ["evaluate"], ["compare"], ["presets"]):
        result = subprocess.run([sys.executable, "-m", "mnist_mlp", *command, "--help"],
                                capture_output=True, text=True)
        assert result.returncode == 0 and "usage: python -m mnist_mlp" in result.stdout


@pytest.mark.slow
def test_ctrl_c_prints_one_line_exits_130_and_writes_nothing(tmp_path):
    import signal
    out = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "mnist_mlp", "train", "C", "--hidden", "32",
                             "--epochs", "50", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # a shell's background job inherits SIGINT ignored: Ctrl-C's default
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in proc.stdout:  # interrupt once training is under way
        if "epoch   1/50" in line:
            proc.send_signal(signal.SIGINT)
            break
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert stderr.strip().splitlines() == [
        "interrupted: finished runs are kept, and the run in progress up to its last finished "
        "epoch (train again with --resume to continue)"]
    # no run directory, no half-written file: at most the checkpoint of the finished epochs
    assert {p.name for p in out.iterdir()} <= {"C-seed0.checkpoint.pt"}


@pytest.mark.slow
def test_no_validation_trains_on_everything_and_reports_test_only(tmp_path, capsys):
    assert main(["train", "C", *FAST, "--no-validation", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "no validation; test accuracy" in out and "val_acc" not in out
    metrics = json.loads((tmp_path / "C-seed0" / "metrics.json").read_text())
    assert metrics["val_accuracy"] is None and metrics["test_accuracy"] > 0.8
    assert main(["compare", str(tmp_path / "C-seed0")]) == 0
    assert main(["train", "C", "--no-validation", "--val-split", "100"]) == 2


def strict_json(path):
    """The file's JSON, refusing NaN and infinity as strict parsers (JavaScript's) do."""
    def refuse(constant):
        raise ValueError(f"{path.name} holds {constant}: not strict JSON")
    return json.loads(path.read_text(), parse_constant=refuse)


@pytest.mark.slow
def test_a_diverging_run_exits_nonzero_with_one_line_and_writes_nothing(tmp_path, capsys):
    argv = ["train", "--hidden", "64", "--af", "relu", "--optimizer", "sgd", "--lr", "1e6",
            "--epochs", "1", "--out", str(tmp_path)]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "epoch 1 with lr=1e+06" in err[0]
    assert "try a lower learning rate" in err[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_every_json_file_of_a_run_is_strict(runs):
    assert main(["evaluate", str(runs / "C-seed1"), "--errors", "5"]) == 0
    written = sorted((runs / "C-seed1").glob("*.json"))
    assert [p.name for p in written] == ["config.json", "evaluation.json", "metrics.json"]
    for path in written:
        strict_json(path)
