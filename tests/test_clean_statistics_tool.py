"""tools/clean_statistics.py: an older run gets what `train` now ends with, and nothing else."""
import importlib.util
import json
from pathlib import Path

import torch
from tiny import TinyMNIST

from mnist_mlp import cli
from mnist_mlp.runs import load_run

spec = importlib.util.spec_from_file_location(
    "clean_statistics", Path(__file__).parents[1] / "tools" / "clean_statistics.py")
clean_statistics = importlib.util.module_from_spec(spec)
spec.loader.exec_module(clean_statistics)

TINY_F = ["train", "F", "--hidden", "16", "8", "--epochs", "2", "--batch-size", "64"]


def test_an_older_run_becomes_the_run_train_writes_now(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "MNIST", TinyMNIST)
    monkeypatch.setattr(clean_statistics, "MNIST", TinyMNIST)
    assert cli.main([*TINY_F, "--no-clean-statistics", "--out", str(tmp_path / "old")]) == 0
    assert cli.main([*TINY_F, "--out", str(tmp_path / "new")]) == 0
    old = tmp_path / "old" / "F-seed0"
    before = (old / "metrics.json").read_text(), (old / "model.pt").read_bytes()
    assert clean_statistics.main([str(old), "--out", str(tmp_path / "clean")]) == 0
    assert "clean/F-seed0: validation" in capsys.readouterr().out

    config, metrics, model = load_run(tmp_path / "clean" / "F-seed0")
    new_config, new_metrics, new_model = load_run(tmp_path / "new" / "F-seed0")
    assert config == new_config and config["clean_statistics"] is True
    for key in ("epochs", "val_accuracy", "test_accuracy"):
        assert metrics[key] == new_metrics[key], key
    for key, value in model.state_dict().items():
        assert torch.equal(value, new_model.state_dict()[key]), key
    assert ((old / "metrics.json").read_text(), (old / "model.pt").read_bytes()) == before
    assert (tmp_path / "clean" / "F-seed0" / "curves.png").stat().st_size > 0


def test_a_run_that_has_them_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "MNIST", TinyMNIST)
    assert cli.main([*TINY_F, "--out", str(tmp_path)]) == 0
    run = tmp_path / "F-seed0"
    assert clean_statistics.main([str(run), "--out", str(tmp_path / "clean")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already has clean statistics" in err
    assert json.loads((run / "config.json").read_text())["clean_statistics"] is True
