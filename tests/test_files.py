"""Files and run folders are written whole or not at all, and nothing a user made is lost."""
import json
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import torch

from mnist_mlp import runs
from mnist_mlp.config import Config
from mnist_mlp.files import replacing
from mnist_mlp.runs import RunError, load_run, write_run


def test_success_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "new" / "results.json"  # the folder is created
    with replacing(target) as tmp:
        assert tmp.parent == target.parent and tmp != target
        tmp.write_text("complete")
    assert target.read_text() == "complete"
    assert [p.name for p in target.parent.iterdir()] == ["results.json"]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_an_interrupted_write_keeps_the_old_file(tmp_path, error):
    target = tmp_path / "results.json"
    target.write_text("old")
    with pytest.raises(type(error)), replacing(target) as tmp:
        tmp.write_text("half")
        raise error
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def write(run, lr=0.1, replace=False):
    """A run of an untrained model with learning rate `lr` (so runs can be told apart)."""
    torch.manual_seed(0)
    config = Config(hidden_sizes=(8,), lr=lr)
    return write_run(run, config.to_dict(), {"test_accuracy": 0.5}, config.model(),
                     plt.figure(), replace=replace)


def complete_run_with_lr(run):
    files = sorted(p.name for p in run.iterdir())
    assert files == ["config.json", "curves.png", "metrics.json", "model.pt"], files
    return json.loads((run / "config.json").read_text())["lr"]


def test_an_existing_run_is_refused_unless_replace(tmp_path):
    run = write(tmp_path / "A-seed0")
    with pytest.raises(RunError, match=r"A-seed0 already holds a run: pass replace=True "
                                        r"\(--force on the command line\)"):
        write(run, lr=0.5)
    assert complete_run_with_lr(run) == 0.1
    write(run, lr=0.5, replace=True)
    assert complete_run_with_lr(run) == 0.5
    assert [p.name for p in tmp_path.iterdir()] == ["A-seed0"]  # no .part, no .old


@pytest.mark.parametrize("moment", ["while writing", "moving the old run aside",
                                    "moving the new run in"])
def test_an_interrupted_replacement_keeps_the_old_run(tmp_path, monkeypatch, moment):
    run = write(tmp_path / "A-seed0")
    real_replace, calls = os.replace, []

    def interrupted(src, dst):  # Ctrl-C once, at that moment
        if not calls and {"while writing": Path(dst).name == "model.pt",
                          "moving the old run aside": Path(src) == run,
                          "moving the new run in": Path(dst) == run}[moment]:
            calls.append((src, dst))
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write(run, lr=0.5, replace=True)
    monkeypatch.undo()
    assert calls and complete_run_with_lr(run) == 0.1
    assert [p.name for p in tmp_path.iterdir()] == ["A-seed0"]


def test_an_interrupt_while_removing_the_old_run_keeps_the_new_one(tmp_path, monkeypatch):
    run = write(tmp_path / "A-seed0")

    def interrupted(path, ignore_errors=False):
        raise KeyboardInterrupt

    monkeypatch.setattr(runs.shutil, "rmtree", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write(run, lr=0.5, replace=True)
    assert complete_run_with_lr(run) == 0.5
    [old] = [p for p in tmp_path.iterdir() if p != run]  # left aside, whole, not lost
    assert old.name.endswith(".old") and complete_run_with_lr(old) == 0.1


def test_a_run_older_than_a_config_field_still_loads(tmp_path):
    run = write(tmp_path / "A-seed0")
    config = json.loads((run / "config.json").read_text())
    del config["label_smoothing"], config["schedule"]  # fields added after this run
    (run / "config.json").write_text(json.dumps({**config, "preset": "A", "seed": 0}))
    loaded, metrics, model = load_run(run)
    assert loaded["label_smoothing"] == 0.0 and loaded["schedule"] == "constant"
    assert loaded["preset"] == "A" and metrics["test_accuracy"] == 0.5
    torch.manual_seed(0)
    expected = Config(hidden_sizes=(8,)).model().state_dict()
    for name, value in model.state_dict().items():
        assert torch.equal(value, expected[name]), name
    (run / "config.json").write_text(json.dumps({**config, "dropout": 2}))
    with pytest.raises(RunError, match=r"config.json describes no valid model: dropout must"):
        load_run(run)


def test_replacing_a_file_with_a_run_leaves_nothing_beside_it(tmp_path):
    # Regression: the file was renamed aside to .old and then never removed (rmtree of a file).
    (tmp_path / "A-seed0").write_text("a stray file")
    write(tmp_path / "A-seed0", replace=True)
    assert [p.name for p in tmp_path.iterdir()] == ["A-seed0"]
