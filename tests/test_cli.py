"""`python -m mnist_mlp`: train -> evaluate -> compare round trip, and its errors."""
import json
import os
import subprocess
import sys
from dataclasses import fields

import numpy as np
import pytest
import torch
from tiny import TinyMNIST

from mnist_mlp import MNIST, ConfigError, commands, evaluate_accuracy
from mnist_mlp import runs as run_folders
from mnist_mlp.checkpoints import read_checkpoint
from mnist_mlp.cli import main
from mnist_mlp.config import Config
from mnist_mlp.evaluation import binomial_interval
from mnist_mlp.experiment import set_seed
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


def test_presets_lists_a_to_i(capsys):
    assert main(["presets"]) == 0
    table = capsys.readouterr().out
    for name in "ABCDEFGHIJ":
        assert f"| {name} |" in table
    header = table.splitlines()[0]
    assert all(f" {f.name} |" in header for f in fields(Config))
    assert "| A | [128] | 0.1 | sigmoid | sgd | 64 | 10 | False |" in table


@pytest.mark.slow
@pytest.mark.needs_mnist
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
    assert metrics["val_accuracy"] > 0.9 and "test_accuracy" not in metrics  # validation only
    assert not list(runs.glob(".*part")) and not list(runs.glob(".*lock"))
    # the saved weights reproduce the recorded accuracy on the 5,000 held-out images
    _, _, model = load_run(run)
    held_out = MNIST(batch_size=256, val_split=5000).val_dataloader()
    assert evaluate_accuracy(model, held_out) == metrics["val_accuracy"]
    assert evaluate_accuracy(model, data.test_dataloader()) != metrics["val_accuracy"]


@pytest.mark.slow
@pytest.mark.needs_mnist
def test_seeds_give_different_runs(runs):
    first, second = (json.loads((runs / f"C-seed{s}" / "metrics.json").read_text())
                     for s in (0, 1))
    assert first["epochs"][0]["train_loss"] != second["epochs"][0]["train_loss"]


@pytest.mark.slow
@pytest.mark.needs_mnist
def test_evaluate_reports_and_draws(runs, data, capsys):
    run = runs / "C-seed0"
    assert main(["evaluate", str(run), "--errors", "20"]) == 0
    out = capsys.readouterr().out
    summary = json.loads((run / "evaluation.json").read_text())
    _, _, model = load_run(run)
    accuracy = evaluate_accuracy(model, data.test_dataloader())
    low, high = binomial_interval(accuracy, 10_000)
    assert summary["test_accuracy"] == pytest.approx(accuracy)
    assert summary["test_images"] == 10_000
    assert summary["test_interval"] == pytest.approx([low, high])
    assert f"test accuracy {accuracy:.4f} (95 % interval {low:.4f}-{high:.4f}; " in out
    assert "| 9 |" in out and "most confused" in out
    for png in ("confusion_matrix.png", "confusion_errors.png", "errors.png"):
        assert (run / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
@pytest.mark.needs_mnist
def test_compare_groups_seeds_as_mean_and_std(runs, capsys):
    assert main(["compare", str(runs / "C-seed0"), str(runs / "C-seed1")]) == 0
    out = capsys.readouterr().out
    accs = [json.loads((runs / f"C-seed{s}" / "metrics.json").read_text())["val_accuracy"]
            for s in (0, 1)]
    assert f"| {np.mean(accs):.4f} ± {np.std(accs, ddof=1):.4f} |" in out
    assert "| C (hidden_sizes 32, epochs 2) | 784-32-10 relu | adam, 0.001 | 2 |" in out


def test_compare_shows_test_accuracy_for_evaluated_runs_only(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert main(["train", "C", *FAST, "--seeds", "0", "1", "--out", str(tmp_path)]) == 0
    dirs = [str(tmp_path / f"C-seed{s}") for s in (0, 1)]
    capsys.readouterr()
    assert main(["compare", *dirs]) == 0
    assert capsys.readouterr().out.splitlines()[2].split(" | ")[5] == "-"
    assert main(["evaluate", dirs[1], "--errors", "2"]) == 0
    tested = [json.loads((tmp_path / "C-seed1" / "evaluation.json").read_text())["test_accuracy"]]
    capsys.readouterr()
    assert main(["compare", *dirs]) == 0
    assert (f"| {tested[0]:.4f} (1 of 2 evaluated) |") in capsys.readouterr().out
    assert main(["evaluate", dirs[0], "--errors", "2"]) == 0
    tested.insert(0, json.loads((tmp_path / "C-seed0" / "evaluation.json").read_text())[
        "test_accuracy"])
    capsys.readouterr()
    assert main(["compare", *dirs]) == 0
    assert f"| {np.mean(tested):.4f} ± {np.std(tested, ddof=1):.4f} |" in capsys.readouterr().out


def test_evaluate_takes_several_runs_and_records_accuracy_and_interval(tmp_path, capsys,
                                                                      monkeypatch):
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert main(["train", "C", *FAST, "--seeds", "0", "1", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    dirs = [tmp_path / f"C-seed{s}" for s in (0, 1)]
    assert main(["evaluate", *map(str, dirs), "--errors", "2"]) == 0
    out = capsys.readouterr().out
    for run in dirs:
        _, _, model = load_run(run)
        accuracy = evaluate_accuracy(model, TinyMNIST().test_dataloader())
        summary = json.loads((run / "evaluation.json").read_text())
        assert summary["test_accuracy"] == pytest.approx(accuracy)
        assert summary["test_interval"] == pytest.approx(list(binomial_interval(accuracy, 256)))
        assert f"{run}: test accuracy {accuracy:.4f} (95 % interval " in out
        assert (run / "errors.png").exists()


class NoTestSet(TinyMNIST):
    """TinyMNIST whose test set must not be read."""

    def test_dataloader(self):
        raise AssertionError("train read the test set")


@pytest.mark.parametrize("validation", [[], ["--val-split", "100"], ["--no-validation"]])
def test_train_never_reads_the_test_set(validation, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(commands, "MNIST", NoTestSet)
    assert main(["train", "C", *FAST, *validation, "--out", str(tmp_path)]) == 0
    metrics = json.loads((tmp_path / "C-seed0" / "metrics.json").read_text())
    assert "test_accuracy" not in metrics
    assert (metrics["val_accuracy"] is None) == (validation == ["--no-validation"])
    assert "test accuracy" not in capsys.readouterr().out


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
    # Before: argparse named the private function ("invalid _positive_int value: 'abc'").
    (["train", "A", "--hidden", "abc"],
     "train: error: argument --hidden-sizes/--hidden: must be a positive integer, got 'abc'"),
    (["train", "A", "--hidden", "64", "0"],
     "train: error: argument --hidden-sizes/--hidden: must be a positive integer, got '0'"),
    # Before: a traceback from NumPy's seeding once MNIST had loaded, and an empty --out.
    (["train", "A", "--seed", "-1"],
     "train: error: argument --seed: must be a whole number from 0 to 4294967295, got '-1'"),
    (["train", "A", "--seeds", "0", "4294967296"],
     "train: error: argument --seeds: must be a whole number from 0 to 4294967295, got "
     "'4294967296'"),
    (["train", "A", "--val-split", "-5"],
     "train: error: argument --val-split: must be a whole number >= 0, got '-5'"),
    (["train", "A", "--val-split", "100", "--no-validation"],
     "train: error: argument --no-validation: not allowed with argument --val-split"),
    (["evaluate", "runs/A-seed0", "--errors", "0"],
     "evaluate: error: argument --errors: must be a positive integer, got '0'"),
    # Before: Config's rule named the field ("error: dropout must be ..."), not the flag.
    (["train", "A", "--lr", "-1"],
     "train: error: argument --lr: must be a finite number > 0, got '-1'"),
    (["train", "A", "--epochs", "0"],
     "train: error: argument --epochs: must be a positive integer, got '0'"),
    (["train", "F", "--dropout", "1.5"],
     "train: error: argument --dropout: must be in [0, 1), got '1.5'"),
    (["train", "F", "--label-smoothing", "1"],
     "train: error: argument --label-smoothing: must be in [0, 1), got '1'"),
    (["train", "F", "--noise", "-1"],
     "train: error: argument --noise: must be a finite number >= 0, got '-1'"),
])
def test_bad_numbers_are_one_argparse_line_before_anything(argv, message, tmp_path, capsys,
                                                            monkeypatch):
    monkeypatch.setattr(commands, "MNIST", no_data)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, *(["--out", str(out)] if argv[0] == "train" else [])])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == f"python -m mnist_mlp {message}\n"
    assert not out.exists()


def test_set_seed_refuses_what_a_generator_would_refuse():
    for seed in (-1, 2**32, 1.5, True):
        with pytest.raises(ConfigError, match="seed must be a whole number from 0 to 4294967295"):
            set_seed(seed)


def test_flags_override_batch_norm_and_noise(capsys, tmp_path):
    from mnist_mlp.cli import parser, train_config
    preset, config = train_config(parser().parse_args(["train", "F", "--no-batch-norm",
                                                       "--noise", "0", "--hidden", "64"]))
    # F's clean statistics, idle without batch norm, are recorded as not done
    assert preset == "F" and config == PRESETS["F"].replace(batch_norm=False, noise=0.0,
                                                            hidden_sizes=(64,),
                                                            clean_statistics=False)
    assert train_config(parser().parse_args(["train", "F"]))[1] == PRESETS["F"]
    assert train_config(parser().parse_args(["train", "--hidden-sizes", "8"]))[1] == Config(
        hidden_sizes=(8,))


@pytest.mark.parametrize("argv, message", [
    (["train", "F", "--vat-xi", "0.001"], "--vat-xi does nothing without --vat: add --vat"),
    (["train", "H", "--vat-iterations", "2"], "--vat-iterations does nothing without --vat"),
    (["train", "C", "--clean-statistics"],
     "--clean-statistics does nothing without --batch-norm: add --batch-norm"),
])
def test_a_flag_that_would_change_nothing_is_refused(argv, message, tmp_path, capsys):
    # Before: accepted, and the run recorded a setting that played no part in it.
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {message}")
    assert not (tmp_path / "out").exists()


def test_flags_that_do_something_or_ask_for_nothing_are_taken():
    from mnist_mlp.cli import parser, train_config
    for argv, expected in [(["C", "--no-clean-statistics"], PRESETS["C"]),
                           (["F", "--vat", "1", "--vat-xi", "0.01"],
                            PRESETS["F"].replace(vat=1.0, vat_xi=0.01)),
                           (["C", "--batch-norm", "--clean-statistics"],
                            PRESETS["C"].replace(batch_norm=True, clean_statistics=True))]:
        assert train_config(parser().parse_args(["train", *argv]))[1] == expected


def test_every_hyperparameter_has_its_flag():
    """A hand-written command line with every flag; a new Config field must join it."""
    from mnist_mlp.cli import parser, train_config
    argv = ["train", "--hidden-sizes", "64", "32", "--lr", "0.01", "--af", "relu",
            "--optimizer", "adamw", "--batch-size", "128", "--epochs", "3", "--batch-norm",
            "--noise", "0.2", "--dropout", "0.1", "--weight-decay", "0.05",
            "--schedule", "onecycle", "--label-smoothing", "0.15", "--clean-statistics",
            "--adversarial", "0.1", "--vat", "2.5", "--vat-xi", "0.01", "--vat-iterations", "2"]
    expected = Config(hidden_sizes=(64, 32), lr=0.01, af="relu", optimizer="adamw",
                      batch_size=128, epochs=3, batch_norm=True, noise=0.2, dropout=0.1,
                      weight_decay=0.05, schedule="onecycle", label_smoothing=0.15,
                      clean_statistics=True, adversarial=0.1, vat=2.5, vat_xi=0.01,
                      vat_iterations=2)
    assert train_config(parser().parse_args(argv)) == ("custom", expected)
    unchanged = [f.name for f in fields(Config) if getattr(expected, f.name) == getattr(
        Config(), f.name)]
    assert unchanged == [], f"add a flag for {unchanged} to this command line"


def no_data(**kwargs):
    raise AssertionError("the data was loaded: the command should have stopped before")


def test_an_existing_run_is_refused_before_any_training(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(commands, "MNIST", no_data)
    (tmp_path / "C-seed1").mkdir()
    (tmp_path / "C-seed1" / "mine.txt").write_text("a user's file")
    assert main(["train", "C", "--seeds", "0", "1", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"error: {tmp_path / 'C-seed1'} holds files that train did not write "
                   "(mine.txt): move them out, or choose another --out (a run there is replaced "
                   "whole)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["C-seed1"]  # seed 0 not trained
    assert (tmp_path / "C-seed1" / "mine.txt").read_text() == "a user's file"


def test_force_does_not_delete_a_file_standing_where_a_run_goes(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(commands, "MNIST", no_data)
    (tmp_path / "C-seed0").write_text("a user's notes")
    assert main(["train", "C", "--force", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {tmp_path / 'C-seed0'} is a file, not a "
                                               "run folder: move it away or choose another --out")
    assert (tmp_path / "C-seed0").read_text() == "a user's notes"


def test_evaluate_refuses_a_folder_where_it_writes_a_file_before_reading_mnist(tmp_path, capsys,
                                                                               monkeypatch):
    # Regression: the PNGs were written, then writing evaluation.json ended in a traceback.
    run = tmp_path / "C-seed0"
    run.mkdir()
    (run / "config.json").write_text(json.dumps(
        {**PRESETS["C"].to_dict(), "preset": "C", "seed": 0, "val_split": 0, "validate": True,
         "device": "cpu"}))
    (run / "metrics.json").write_text(json.dumps(
        {"epochs": [{"epoch": n, "train_loss": 0.3} for n in range(1, 11)],
         "val_accuracy": 0.97, "train_seconds": 5.0}))
    (run / "evaluation.json").mkdir()
    monkeypatch.setattr(commands, "MNIST", no_data)
    assert main(["evaluate", str(run)]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {run / 'evaluation.json'} is a folder "
                                               "where evaluate writes a file: move it away, "
                                               "then run evaluate again")
    assert list(run.glob("*.png")) == []


def test_force_replaces_an_existing_run_and_leaves_nothing_beside_it(tmp_path, monkeypatch):
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    (tmp_path / "C-seed0").mkdir()
    for name in ("metrics.json", "evaluation.json", "errors.png"):  # an earlier run's
        (tmp_path / "C-seed0" / name).write_text("an earlier run")
    assert main(["train", "C", *FAST, "--force", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in (tmp_path / "C-seed0").iterdir()) == [
        "config.json", "curves.png", "metrics.json", "model.pt"]
    assert [p.name for p in tmp_path.iterdir()] == ["C-seed0"]


def test_resume_keeps_finished_seeds_and_trains_the_others(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
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
    monkeypatch.setattr(commands, "MNIST", no_data)  # all finished: nothing is loaded or trained
    assert main(["train", "C", *FAST, "--seeds", "0", "1", "--resume", "--out",
                 str(tmp_path)]) == 0
    assert capsys.readouterr().out.endswith("every seed is finished: nothing to train\n")


def test_resume_refuses_a_run_of_other_settings(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert main(["train", "C", *FAST, "--out", str(tmp_path)]) == 0
    monkeypatch.setattr(commands, "MNIST", no_data)
    assert main(["train", "C", *FAST, "--lr", "0.01", "--resume", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --resume: {tmp_path / 'C-seed0'} holds a run with other settings (lr 0.001 there, "
        "0.01 here); choose "
        "another --out, or delete it and --resume again (--force would retrain every seed named)")
    (tmp_path / "C-seed0" / "metrics.json").unlink()  # not a finished run
    assert main(["train", "C", *FAST, "--resume", "--out", str(tmp_path)]) == 2
    assert "is not a finished run" in capsys.readouterr().err


def interrupt_at_epoch(epoch):
    """A stand-in for commands.progress that raises KeyboardInterrupt (Ctrl-C) after `epoch`."""
    def make(total):
        def stop(row):
            if row["epoch"] == epoch:
                raise KeyboardInterrupt
        return stop
    return make


def test_resume_continues_an_interrupted_run_as_if_never_stopped(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    argv = ["train", "C", "--hidden", "32", "--epochs", "3", "--out"]
    assert main([*argv, str(straight)]) == 0
    assert [p.name for p in straight.iterdir()] == ["C-seed0"]  # the checkpoint is gone
    monkeypatch.setattr(commands, "progress", interrupt_at_epoch(2))
    assert main([*argv, str(stopped)]) == 130
    assert [p.name for p in stopped.iterdir()] == ["C-seed0.checkpoint.pt"]  # epoch 1 kept
    monkeypatch.undo()
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    capsys.readouterr()
    assert main([*argv, str(stopped)]) == 2  # not without --resume (or --force)
    assert "C-seed0.checkpoint.pt already exists: pass --force" in capsys.readouterr().err
    assert main([*argv, str(stopped), "--resume"]) == 0
    assert f"continuing from {stopped / 'C-seed0.checkpoint.pt'}" in capsys.readouterr().out
    assert [p.name for p in stopped.iterdir()] == ["C-seed0"]
    _, metrics_a, model_a = load_run(straight / "C-seed0")
    _, metrics_b, model_b = load_run(stopped / "C-seed0")
    assert metrics_b["epochs"] == metrics_a["epochs"]  # every epoch's loss, to the last bit
    assert metrics_b["val_accuracy"] == metrics_a["val_accuracy"]
    for a, b in zip(model_a.state_dict().values(), model_b.state_dict().values()):
        assert torch.equal(a, b)


def test_resume_refuses_a_checkpoint_of_other_settings_or_a_corrupt_one(tmp_path, capsys,
                                                                        monkeypatch):
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    monkeypatch.setattr(commands, "progress", interrupt_at_epoch(2))
    argv = ["train", "C", "--hidden", "32", "--epochs", "3", "--out", str(tmp_path)]
    assert main(argv) == 130
    monkeypatch.setattr(commands, "MNIST", no_data)
    checkpoint = tmp_path / "C-seed0.checkpoint.pt"
    capsys.readouterr()
    assert main([*argv, "--lr", "0.01", "--resume"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --resume: {checkpoint} is an interrupted run with other settings (lr 0.001 "
        "there, 0.01 here): train with its settings to continue it, choose another --out, or "
        "delete it, then --resume trains "
        "seed 0 from its first epoch")
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])  # cut short, as by a full disk
    assert main([*argv, "--resume"]) == 2
    assert capsys.readouterr().err.strip().startswith(
        f"error: --resume: {checkpoint} is not a readable checkpoint")
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    monkeypatch.setattr(commands, "progress", lambda total: None)  # no interrupt, no lines
    assert main([*argv, "--force"]) == 0  # starts over
    assert [p.name for p in tmp_path.iterdir()] == ["C-seed0"]


@pytest.mark.parametrize("argv, message", [
    (["--seeds", "0", "1", "0"], "--seeds lists a seed twice: 0 1 0"),
    (["--val-split", "60000"], "val_split must be a whole number from 0 to 59998, got 60000"),
])
def test_other_mistakes_stop_before_the_data_is_loaded(argv, message, tmp_path, capsys,
                                                       monkeypatch):
    monkeypatch.setattr(commands, "MNIST", no_data)
    assert main(["train", "C", *argv, "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {message}"
    assert not (tmp_path / "out").exists()


def test_a_value_error_inside_training_is_a_bug_not_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)

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


def test_a_resumed_checkpoint_from_a_gpu_machine_trains_on_the_cpu(tmp_path, monkeypatch):
    """Before: set_random_state put CUDA's generators back unconditionally."""
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    monkeypatch.setattr(commands, "progress", interrupt_at_epoch(2))
    argv = ["train", "C", "--hidden", "32", "--epochs", "3", "--out", str(tmp_path)]
    assert main(argv) == 130
    checkpoint = tmp_path / "C-seed0.checkpoint.pt"
    state = read_checkpoint(checkpoint)
    state["rng"]["cuda"] = [torch.zeros(16, dtype=torch.uint8)]  # saved where CUDA was
    torch.save(state, checkpoint)

    def no_cuda(*args, **kwargs):
        raise RuntimeError("CUDA's generator touched on a machine without CUDA")

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "set_rng_state", no_cuda)
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", no_cuda)
    monkeypatch.setattr(commands, "progress", lambda total: None)
    assert main([*argv, "--resume"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["C-seed0"]


@pytest.mark.parametrize("damage, message", [
    (lambda run: (run / "metrics.json").write_text("[]"),
     "metrics.json must hold a JSON object, as `train` writes it, got list; restore it from a "
     "copy, or train the run again"),
    (lambda run: edit(run / "metrics.json", lambda m: m.pop("train_seconds")),
     "C-seed0 lacks train_seconds in config.json/metrics.json: is it a finished run of "
     "`python -m mnist_mlp train`?"),
    (lambda run: edit(run / "config.json", lambda c: c.pop("preset")),
     "C-seed0 lacks preset in config.json/metrics.json: is it a finished run of "
     "`python -m mnist_mlp train`?"),
])
def test_compare_answers_a_damaged_run_in_one_line(damage, message, tmp_path, capsys,
                                                   monkeypatch):
    """Before: TypeError (metrics.json `[]`) and KeyError (no train_seconds, no preset)."""
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert main(["train", "C", *FAST, "--seeds", "0", "1", "--out", str(tmp_path)]) == 0
    damage(tmp_path / "C-seed0")
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "C-seed1"), str(tmp_path / "C-seed0")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no half table
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1
    assert captured.err.strip().endswith(message)


def edit(path, change):
    value = json.loads(path.read_text())
    change(value)
    path.write_text(json.dumps(value))


def test_evaluate_a_run_it_cannot_write_is_one_line_before_loading_data(tmp_path, capsys,
                                                                        monkeypatch):
    """Before: an OSError traceback once the test set had been read."""
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert main(["train", "C", *FAST, "--out", str(tmp_path)]) == 0
    monkeypatch.setattr(commands, "MNIST", no_data)

    def read_only(*args, **kwargs):  # what a read-only folder answers (root ignores chmod)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(run_folders.tempfile, "TemporaryFile", read_only)
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "C-seed0")]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot write into {tmp_path / 'C-seed0'} (Permission denied); evaluate writes "
        "evaluation.json and its figures into the run's folder\n")
    assert sorted(p.name for p in (tmp_path / "C-seed0").iterdir()) == [
        "config.json", "curves.png", "metrics.json", "model.pt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_evaluate_a_read_only_run_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert main(["train", "C", *FAST, "--out", str(tmp_path)]) == 0
    monkeypatch.setattr(commands, "MNIST", no_data)
    (tmp_path / "C-seed0").chmod(0o555)
    try:
        assert main(["evaluate", str(tmp_path / "C-seed0")]) == 2
    finally:
        (tmp_path / "C-seed0").chmod(0o755)
    assert "cannot write into" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.needs_mnist
def test_missing_or_corrupt_runs_are_clear_errors(runs, tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope")]) == 2
    assert "nope does not exist" in capsys.readouterr().err
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


@pytest.mark.slow
def test_module_entry_point_help():
    for command in ([], ["train"], ["evaluate"], ["compare"], ["presets"], ["collect"],
                    ["clean-statistics"]):
        result = subprocess.run([sys.executable, "-m", "mnist_mlp", *command, "--help"],
                                capture_output=True, text=True)
        assert result.returncode == 0 and "usage: python -m mnist_mlp" in result.stdout


@pytest.mark.slow
def test_a_reader_that_leaves_the_pipe_early_gets_no_traceback():
    # Regression: `python -m mnist_mlp presets | head -1` ended in a BrokenPipeError traceback.
    proc = subprocess.Popen([sys.executable, "-m", "mnist_mlp", "presets"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader leaves before the table is written, as head can
    assert proc.wait() in (0, 1) and b"Traceback" not in proc.stderr.read()


@pytest.mark.slow
@pytest.mark.needs_mnist
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
    # no run directory, no half-written file, no lock: at most the checkpoint of the finished
    # epochs (and no --out at all when there is none: train created it)
    assert not out.exists() or {p.name for p in out.iterdir()} == {"C-seed0.checkpoint.pt"}


@pytest.mark.slow
@pytest.mark.needs_mnist
def test_no_validation_trains_on_everything_and_reports_test_only(tmp_path, capsys):
    assert main(["train", "C", *FAST, "--no-validation", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "no validation (the test set: python -m mnist_mlp evaluate " in out
    assert "val_acc" not in out
    metrics = json.loads((tmp_path / "C-seed0" / "metrics.json").read_text())
    assert metrics["val_accuracy"] is None and "test_accuracy" not in metrics
    assert main(["evaluate", str(tmp_path / "C-seed0"), "--errors", "2"]) == 0
    tested = json.loads((tmp_path / "C-seed0" / "evaluation.json").read_text())["test_accuracy"]
    assert tested > 0.8
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "C-seed0")]) == 0
    assert f"| - | {tested:.4f} |" in capsys.readouterr().out


def strict_json(path):
    """The file's JSON, refusing NaN and infinity as strict parsers (JavaScript's) do."""
    def refuse(constant):
        raise ValueError(f"{path.name} holds {constant}: not strict JSON")
    return json.loads(path.read_text(), parse_constant=refuse)


@pytest.mark.slow
@pytest.mark.needs_mnist
def test_a_diverging_run_exits_nonzero_with_one_line_and_writes_nothing(tmp_path, capsys):
    argv = ["train", "--hidden", "64", "--af", "relu", "--optimizer", "sgd", "--lr", "1e6",
            "--epochs", "1", "--out", str(tmp_path)]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "epoch 1 with lr=1e+06" in err[0]
    assert "try a lower learning rate" in err[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.needs_mnist
def test_every_json_file_of_a_run_is_strict(runs):
    assert main(["evaluate", str(runs / "C-seed1"), "--errors", "5"]) == 0
    written = sorted((runs / "C-seed1").glob("*.json"))
    assert [p.name for p in written] == ["config.json", "evaluation.json", "metrics.json"]
    for path in written:
        strict_json(path)


def test_the_command_line_in_process_leaves_the_callers_matplotlib_backend(monkeypatch, capsys):
    # Regression: cli.main switched the caller's backend to Agg (a notebook lost its figures).
    import matplotlib

    switched = []
    monkeypatch.setattr(matplotlib, "use", lambda *a, **k: switched.append(a))
    assert main(["presets"]) == 0
    assert switched == []
