"""Regressions from a fresh maintainer's bad-input probes: each mistake is one clear line, and
nothing silently wrong (issue 38)."""
import json
import shutil

import numpy as np
import pytest
import torch
from tiny import TinyMNIST

from mnist_mlp import ConfigError, evaluate_accuracy, show_confusion_matrix, visualize_errors
from mnist_mlp.attacks import smallest_flip
from mnist_mlp.checkpoints import CheckpointError, read_checkpoint
from mnist_mlp.cli import main
from mnist_mlp.config import Config
from mnist_mlp.data import batch_loader
from mnist_mlp.evaluation import binomial_interval, mcnemar
from mnist_mlp.presets import PRESETS
from mnist_mlp.runs import Run


@pytest.fixture(scope="module")
def small():
    data = TinyMNIST(batch_size=32)
    return Config(hidden_sizes=(8,)).model().eval(), data


def test_the_helpers_say_what_to_pass_when_given_the_wrong_object(small):
    model, data = small
    with pytest.raises(ValueError, match="got the MNIST object: pass its batches"):
        evaluate_accuracy(model, data)
    with pytest.raises(ValueError, match="got a split .* pass its batches"):
        evaluate_accuracy(model, data.train)
    with pytest.raises(ValueError, match="got None for the batches"):
        evaluate_accuracy(model, None)
    with pytest.raises(ValueError, match="expected a model first"):
        evaluate_accuracy(data.val_dataloader(), model)
    for helper in (visualize_errors, show_confusion_matrix):
        with pytest.raises(ValueError, match="expected the MNIST object"):
            helper(model, data.val_dataloader())


def test_mcnemar_takes_right_and_wrong_answers_only():
    for mistake in ([0.9, 0.1], [2, 3], np.array([1.0, np.nan])):
        with pytest.raises(ValueError, match="mcnemar takes right/wrong answers"):
            mcnemar(mistake, [True, False])
    assert mcnemar(torch.tensor([True, False]), np.array([False, True]))[:2] == (1, 1)


def test_interval_arguments_are_checked():
    with pytest.raises(ValueError, match="z must be a finite number > 0"):
        binomial_interval(0.5, 100, z=-1.96)
    with pytest.raises(ValueError, match="accuracy must be in"):
        binomial_interval("0.5", 100)


def test_smallest_flip_refuses_a_tolerance_it_would_bisect_for_ever(small):
    model, _ = small
    with pytest.raises(ValueError, match="tolerance must be a finite number > 0"):
        smallest_flip(model, torch.full((28, 28), 0.5), tolerance=0)


def test_numpy_scalars_become_python_numbers_that_go_to_json():
    config = Config(epochs=np.int64(2), lr=np.float32(0.05), hidden_sizes=[np.int64(8)])
    assert type(config.epochs) is int and type(config.lr) is float
    assert config.lr == 0.05  # float32's 0.05 by its text, not 0.05000000074505806
    assert config.hidden_sizes == (8,) and type(config.hidden_sizes[0]) is int
    run = Run("custom", config, seed=np.int64(3))
    assert json.loads(json.dumps(run.to_dict()))["seed"] == 3
    assert "--lr 0.05 " in " ".join(run.recipe_flags()) + " "
    split = torch.utils.data.TensorDataset(torch.rand(40, 1, 28, 28), torch.zeros(40).long())
    assert len(next(iter(batch_loader(split, np.int64(16))))[1]) == 16


def test_a_run_names_a_preset_and_holds_a_config():
    with pytest.raises(ConfigError, match="preset must be one of A, .* or 'custom'"):
        Run("../../etc", PRESETS["A"])
    with pytest.raises(ConfigError, match="config must be a Config"):
        Run("A", {"lr": 0.1})


@pytest.mark.parametrize("argv, message", [
    (["collect", "RUN", "--out", "RUN/config.json"], "is inside the run folder"),
    (["collect", "RUN", "RUN", "--out", "out.json"], "is named twice"),
    (["compare", "RUN", "RUN"], "is named twice"),
    # a copy of a run counted as a second seed; another run's folder as --out
    (["compare", "RUN", "COPY"], "hold the same run (same recipe and seed; a copy?)"),
    (["collect", "RUN", "COPY", "--out", "out.json"], "hold the same run"),
    (["collect", "COPY", "--out", "RUN/config.json"], "is inside the run folder"),
    (["clean-statistics", "COPY", "--out", "RUN/new"], "is inside the run folder"),
])
def test_collect_and_compare_refuse_what_would_harm_or_double_a_run(tmp_path, capsys, argv,
                                                                     message):
    run = tmp_path / "E-seed0"
    run.mkdir()
    values = {"preset": "E", "hidden_sizes": [256, 256], "lr": 0.001, "af": "relu",
              "optimizer": "adam", "seed": 0, "val_split": 10000, "validate": True,
              "device": "cpu"}
    (run / "config.json").write_text(json.dumps(values))
    (run / "metrics.json").write_text(json.dumps(
        {"epochs": [], "val_accuracy": 0.97, "train_seconds": 20.0}))
    before = (run / "config.json").read_bytes()
    copy = tmp_path / "copy" / "E-seed0"
    shutil.copytree(run, copy)
    argv = [a.replace("RUN", str(run)).replace("COPY", str(copy))
            .replace("out.json", str(tmp_path / "out.json")) for a in argv]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert (run / "config.json").read_bytes() == before


def test_a_checkpoint_missing_its_parts_is_one_line(tmp_path):
    path = tmp_path / "E-seed0.checkpoint.pt"
    torch.save({"settings": {}}, path)
    with pytest.raises(CheckpointError, match="not a checkpoint of this package"):
        read_checkpoint(path)


@pytest.mark.parametrize("value", ["٣", "1_000", str(2**32)])
def test_the_notebooks_seed_is_ascii_digits_whose_three_seeds_set_seed_takes(tmp_path,
                                                                              monkeypatch, value):
    from mnist_mlp.notebook import start

    for folder in ("results", "notebooks"):
        (tmp_path / folder).mkdir()
    monkeypatch.setenv("MNIST_MLP_SEED", value)
    with pytest.raises(ValueError, match="MNIST_MLP_SEED must be a whole number"):
        start(tmp_path / "notebooks")
    assert not (tmp_path / "build").exists()


@pytest.mark.parametrize("metrics, message", [
    ({"epochs": [{"train_loss": 0.5}]}, "a list of per-epoch rows, each an epoch number"),
    ({"epochs": [{"epoch": 1, "train_loss": float("nan")}]}, "each an epoch number and finite"),
    ({"val_accuracy": None}, "val_accuracy is None for a run with validate=True"),
])
def test_a_hand_edited_metrics_file_is_one_line(tmp_path, metrics, message):
    from mnist_mlp.runs import RunError, read_run

    run = tmp_path / "E-seed0"
    run.mkdir()
    (run / "config.json").write_text(json.dumps(
        {**PRESETS["E"].to_dict(), "preset": "E", "seed": 0, "val_split": 10000,
         "validate": True, "device": "cpu"}))
    (run / "metrics.json").write_text(json.dumps(
        {"epochs": [{"epoch": 1, "train_loss": 0.5}], "val_accuracy": 0.97,
         "train_seconds": 20.0, **metrics}))
    with pytest.raises(RunError, match=message):
        read_run(run)


def test_an_interval_that_does_not_hold_its_accuracy_is_refused(tmp_path):
    from mnist_mlp.runs import RunError, read_evaluation

    path = tmp_path / "evaluation.json"
    path.write_text(json.dumps({"test_accuracy": 0.8476, "test_interval": [0.99, 0.1]}))
    with pytest.raises(RunError, match=r"does not hold test_accuracy 0\.8476"):
        read_evaluation(path)


def test_force_onto_a_folder_where_the_checkpoint_goes(tmp_path, capsys, monkeypatch):
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", lambda **kwargs: pytest.fail("MNIST was read"))
    (tmp_path / "C-seed0.checkpoint.pt").mkdir()
    assert main(["train", "C", "--force", "--out", str(tmp_path)]) == 2
    assert "C-seed0.checkpoint.pt is a folder where the checkpoint goes" in capsys.readouterr().err


def test_a_data_folder_with_a_tilde_is_the_home_folder(monkeypatch, tmp_path):
    from mnist_mlp.download import raw_folder

    monkeypatch.setenv("HOME", str(tmp_path))
    assert raw_folder("~/x") == tmp_path / "x" / "MNIST" / "raw"
    with pytest.raises(ValueError, match="root must be a folder's path, got 123"):
        raw_folder(123)


def test_notebook_2s_weights_that_are_garbage_are_one_line(tmp_path):
    from mnist_mlp.notebook import NotebookRun
    from mnist_mlp.runs import RunError

    (tmp_path / "modelos").mkdir()
    (tmp_path / "modelos" / "E-seed0.pt").write_bytes(b"not weights")
    run = NotebookRun(seed=0, epochs=1, short=True, out=tmp_path, results=tmp_path)
    with pytest.raises(RunError, match=r"E-seed0.pt is corrupt \(UnpicklingError: not a file"):
        run.notebook2_model("E")


def test_a_number_with_underscores_is_refused_as_integers_are():
    from mnist_mlp.checks import POSITIVE

    with pytest.raises(ValueError, match="must be a finite number > 0, got '1_0'"):
        POSITIVE.parse("1_0")


def test_resume_does_not_keep_a_run_that_lost_its_weights(tmp_path, capsys, monkeypatch):
    # Regression: --resume printed "finished: kept" for a run folder without model.pt.
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    argv = ["train", "--hidden-sizes", "8", "--epochs", "1", "--out", str(tmp_path)]
    assert main(argv) == 0
    (tmp_path / "custom-seed0" / "model.pt").unlink()
    capsys.readouterr()
    assert main([*argv, "--resume"]) == 2
    assert "is not a finished run" in capsys.readouterr().err


def test_fit_with_a_checkpoint_needs_the_runs_settings(tmp_path):
    from tiny import TinyData

    from mnist_mlp.experiment import fit

    with pytest.raises(ValueError, match=r"fit\(checkpoint=...\) needs settings"):
        fit(Config(hidden_sizes=(8,)).model(), TinyData(), 1, checkpoint=tmp_path / "c.pt")


def test_train_out_inside_a_run_folder_is_refused(tmp_path, capsys):
    run = tmp_path / "custom-seed0"
    run.mkdir()
    (run / "config.json").write_text("{}")
    assert main(["train", "--hidden-sizes", "8", "--out", str(run / "more")]) == 2
    assert f"is inside the run folder {run}" in capsys.readouterr().err
    assert not (run / "more").exists()


def test_pairing_refuses_a_shuffled_loader():
    split = torch.utils.data.TensorDataset(torch.rand(8, 1, 28, 28), torch.zeros(8).long())
    model = Config(hidden_sizes=(8,)).model().eval()
    from mnist_mlp.evaluation import correct, ensemble_correct

    for read in (lambda b: correct(model, b), lambda b: ensemble_correct([model], b)):
        with pytest.raises(ValueError, match="this loader shuffles"):
            read(batch_loader(split, 4, shuffle=True))
        assert len(read(batch_loader(split, 4))) == 8


@pytest.mark.parametrize("call, message", [
    (lambda: Config(batch_size=10**20), "batch_size must be a whole number from 1 to 60000"),
    (lambda: __import__("mnist_mlp.download").download.raw_folder(""),
     "root must be a folder's path, got ''"),
])
def test_sizes_and_folders_that_cannot_be(call, message):
    with pytest.raises((ConfigError, ValueError), match=message):
        call()
