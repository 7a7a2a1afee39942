"""tools/collect_runs.py: run folders into one results JSON, with the command that retrains them."""
import importlib.util
import json
from pathlib import Path

from tiny import TinyMNIST

from mnist_mlp import cli

spec = importlib.util.spec_from_file_location(
    "collect_runs", Path(__file__).parents[1] / "tools" / "collect_runs.py")
collect_runs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(collect_runs)


def fake_run(folder, seed, **config):
    """A finished run folder as `mnist_mlp train` writes it (no weights: not read here)."""
    folder.mkdir(parents=True)
    values = {"preset": "E", "hidden_sizes": [256, 256], "lr": 0.001, "af": "relu",
              "optimizer": "adam", "seed": seed, "val_split": 10000, "validate": True,
              "device": "cpu", **config}
    (folder / "config.json").write_text(json.dumps(values))
    history = [{"epoch": 1, "train_loss": 0.3, "val_loss": 0.1, "val_acc": 0.96}]
    (folder / "metrics.json").write_text(json.dumps(
        {"epochs": history, "val_accuracy": 0.97 + seed / 1000, "test_accuracy": 0.98,
         "train_seconds": 20.0}))
    return folder


def test_runs_sorted_by_seed_with_their_command(tmp_path, capsys):
    dirs = [fake_run(tmp_path / f"E-seed{s}", s) for s in (2, 0)]
    out = tmp_path / "results" / "e.json"
    assert collect_runs.main([*map(str, dirs), "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert [r["seed"] for r in data["runs"]] == [0, 2]
    assert data["runs"][1]["val_accuracy"] == 0.972
    assert data["runs"][0]["config"]["label_smoothing"] == 0.0  # older run: default filled
    assert data["command"] == "python -m mnist_mlp train E --seeds 0 2 --val-split 10000"
    assert data["runs"][1]["command"] == "python -m mnist_mlp train E --seeds 2 --val-split 10000"
    assert data["environment"]["cpu_capability"]
    assert "wrote" in capsys.readouterr().out


def test_runs_that_differ_beyond_the_seed_have_no_command(tmp_path):
    dirs = [fake_run(tmp_path / "a", 0), fake_run(tmp_path / "b", 1, lr=0.01)]
    out = tmp_path / "x.json"
    assert collect_runs.main([*map(str, dirs), "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["command"] is None
    assert data["runs"][1]["command"] == ("python -m mnist_mlp train E --lr 0.01 --seeds 1 "
                                          "--val-split 10000")


def test_a_folder_that_is_not_a_run_is_one_line_and_writes_nothing(tmp_path, capsys):
    good = fake_run(tmp_path / "E-seed0", 0)
    (tmp_path / "empty").mkdir()
    out = tmp_path / "x.json"
    assert collect_runs.main([str(good), str(tmp_path / "empty"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and ("config.json" in err or "metrics.json" in err)
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_ensemble_of_one_run_is_its_test_accuracy_and_of_two_is_recorded(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "MNIST", TinyMNIST)
    monkeypatch.setattr(collect_runs, "MNIST", TinyMNIST)
    assert cli.main(["train", "C", "--hidden", "32", "--epochs", "2", "--seeds", "0", "1",
                     "--out", str(tmp_path)]) == 0
    one = tmp_path / "one.json"
    assert collect_runs.main([str(tmp_path / "C-seed0"), "--ensemble", "--out", str(one)]) == 0
    data = json.loads(one.read_text())
    assert data["ensemble"]["test_accuracy"] == data["runs"][0]["test_accuracy"]
    both = tmp_path / "both.json"
    runs = [str(tmp_path / f"C-seed{s}") for s in (1, 0)]
    assert collect_runs.main([*runs, "--ensemble", "--out", str(both)]) == 0
    ensemble = json.loads(both.read_text())["ensemble"]
    assert ensemble["runs"] == ["C-seed0", "C-seed1"] and 0 <= ensemble["test_accuracy"] <= 1
