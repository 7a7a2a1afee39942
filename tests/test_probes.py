"""Regressions from a fresh maintainer's bad-input probes: each mistake is one clear line, and
nothing silently wrong (issue 38)."""
import json

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
    config = Config(epochs=np.int64(2), lr=np.float32(0.1), hidden_sizes=[np.int64(8)])
    assert type(config.epochs) is int and type(config.lr) is float
    assert config.hidden_sizes == (8,) and type(config.hidden_sizes[0]) is int
    run = Run("custom", config, seed=np.int64(3))
    assert json.loads(json.dumps(run.to_dict()))["seed"] == 3
    assert "--lr 0.1" in " ".join(run.recipe_flags())  # not 0.10000000149011612
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
    argv = [a.replace("RUN", str(run)).replace("out.json", str(tmp_path / "out.json"))
            for a in argv]
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
