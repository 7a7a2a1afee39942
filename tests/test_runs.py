"""Run folders read back by one reader (`read_run`); `collect` and `clean-statistics`, the
subcommands built on it; the lock that keeps two trainings out of one folder."""
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tiny import TinyMNIST

from mnist_mlp import ConfigError, cli, commands, evaluate_accuracy
from mnist_mlp.checkpoints import random_state, set_random_state
from mnist_mlp.evaluation import binomial_interval
from mnist_mlp.presets import PRESETS
from mnist_mlp.runs import (
    RunError,
    claim,
    collect,
    load_run,
    load_weights,
    lock_of,
    read_run,
    save_weights,
)

TINY_C = ["train", "C", "--hidden", "32", "--epochs", "2"]
TINY_F = ["train", "F", "--hidden", "16", "8", "--epochs", "2", "--batch-size", "64"]


def fake_run(folder, seed, metrics=None, **config):
    """A finished run folder as `train` wrote it before test readings became `evaluate`'s:
    metrics.json with a test_accuracy, config.json without the newer Config fields (no weights:
    not read here)."""
    folder.mkdir(parents=True)
    values = {"preset": "E", "hidden_sizes": [256, 256], "lr": 0.001, "af": "relu",
              "optimizer": "adam", "seed": seed, "val_split": 10000, "validate": True,
              "device": "cpu", **config}
    (folder / "config.json").write_text(json.dumps(values))
    history = [{"epoch": 1, "train_loss": 0.3, "val_loss": 0.1, "val_acc": 0.96}]
    (folder / "metrics.json").write_text(json.dumps(
        {"epochs": history, "val_accuracy": 0.97 + seed / 1000, "test_accuracy": 0.98,
         "train_seconds": 20.0} if metrics is None else metrics))
    return folder


def edit(path, change):
    """Rewrite the JSON file at `path` with `change` applied to its value."""
    value = json.loads(path.read_text())
    change(value)
    path.write_text(json.dumps(value))


def test_read_run_fills_newer_fields_and_reads_no_test_accuracy_from_training(tmp_path):
    run = read_run(fake_run(tmp_path / "E-seed0", 0))
    assert run["config"]["label_smoothing"] == 0.0 and run["config"]["schedule"] == "constant"
    assert (run["run"], run["preset"], run["seed"], run["val_accuracy"]) == ("E-seed0", "E", 0,
                                                                             0.97)
    assert "test_accuracy" not in run  # not evaluated: train's old reading is not reported


@pytest.mark.parametrize("damage, message", [
    (lambda run: (run / "metrics.json").write_text("[]"),
     "metrics.json must hold a JSON object, as `train` writes it, got list"),
    (lambda run: edit(run / "metrics.json", lambda m: m.pop("train_seconds")),
     "E-seed0 lacks train_seconds in config.json/metrics.json"),
    (lambda run: edit(run / "config.json", lambda c: c.pop("preset")),
     "E-seed0 lacks preset in config.json/metrics.json"),
    (lambda run: (run / "config.json").write_text("[1]"),
     "config.json describes no valid model: hyperparameters must be a JSON object, got list"),
    (lambda run: edit(run / "metrics.json", lambda m: m.update(train_seconds="20 s")),
     "train_seconds must be a finite number >= 0, got '20 s'"),
    (lambda run: edit(run / "metrics.json", lambda m: m.update(epochs={"1": 0.3})),
     "epochs must be a list of per-epoch rows"),
    (lambda run: edit(run / "metrics.json", lambda m: m.update(val_accuracy=97)),
     "val_accuracy must be null or a number in [0, 1], got 97"),
    (lambda run: edit(run / "config.json", lambda c: c.update(seed=-1)),
     "seed must be a whole number from 0 to 4294967295, got -1"),
    (lambda run: edit(run / "config.json", lambda c: c.update(val_split=60000)),
     "val_split must be a whole number from 0 to 59998, got 60000"),
    (lambda run: (run / "evaluation.json").write_text('{"test_accuracy": "high"}'),
     "evaluation.json is not an evaluation `python -m mnist_mlp evaluate` wrote"),
])
def test_what_train_does_not_write_is_one_run_error(tmp_path, damage, message):
    run = fake_run(tmp_path / "E-seed0", 0)
    damage(run)
    with pytest.raises(RunError) as error:
        read_run(run)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_an_older_evaluation_gets_its_interval_from_its_confusion_matrix(tmp_path):
    run = fake_run(tmp_path / "E-seed0", 0)
    matrix = [[0] * 10 for _ in range(10)]
    matrix[3][3], matrix[3][5] = 97, 3
    (run / "evaluation.json").write_text(json.dumps({"test_accuracy": 0.97,
                                                     "confusion_matrix": matrix}))
    found = read_run(run)
    assert found["test_accuracy"] == 0.97
    assert found["test_interval"] == list(binomial_interval(0.97, 100))


def test_collect_sorts_runs_by_seed_with_their_command(tmp_path, capsys):
    dirs = [fake_run(tmp_path / f"E-seed{s}", s) for s in (2, 0)]
    out = tmp_path / "results" / "e.json"
    assert cli.main(["collect", *map(str, dirs), "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert [r["seed"] for r in data["runs"]] == [0, 2]
    assert data["runs"][1]["val_accuracy"] == 0.972
    assert data["runs"][0]["config"]["label_smoothing"] == 0.0  # older run: default filled
    assert not any("test_accuracy" in r for r in data["runs"])  # none evaluated
    assert data["command"] == "python -m mnist_mlp train E --seeds 0 2 --val-split 10000"
    assert data["runs"][1]["command"] == "python -m mnist_mlp train E --seeds 2 --val-split 10000"
    assert data["environment"]["cpu_capability"]
    assert capsys.readouterr().out == f"wrote {out} (2 runs, 0 evaluated on the test set)\n"


def test_collect_replaces_its_own_summary_and_nothing_else(tmp_path, capsys):
    run = str(fake_run(tmp_path / "E-seed0", 0))
    notes = tmp_path / "notes.json"
    notes.write_text('{"mine": 1}')
    assert cli.main(["collect", run, "--out", str(notes)]) == 2
    assert "exists and is not a summary `collect` wrote" in capsys.readouterr().err
    assert notes.read_text() == '{"mine": 1}'  # nothing lost
    out = tmp_path / "e.json"
    assert cli.main(["collect", run, "--out", str(out)]) == 0
    assert cli.main(["collect", run, "--out", str(out)]) == 0  # a summary it wrote: replaced


def test_compare_tells_apart_rows_that_differ_in_a_setting_it_has_no_column_for(tmp_path,
                                                                               capsys):
    dirs = [fake_run(tmp_path / "a" / "E-seed0", 0), fake_run(tmp_path / "b" / "E-seed0", 0,
                                                              batch_size=256),
            fake_run(tmp_path / "c" / "E-seed0", 0, lr=0.01, batch_size=256)]
    assert cli.main(["compare", *map(str, dirs)]) == 0
    rows = [line.split(" | ")[0] for line in capsys.readouterr().out.splitlines()[2:]]
    # the first two read alike but for the batch; the third's departs from E in both
    assert rows == ["| E (batch_size 64)", "| E (batch_size 256)",
                    "| E (lr 0.01, batch_size 256)"]


def test_a_row_that_departs_from_its_preset_says_how(tmp_path, capsys):
    # a run of preset E with no hidden layer, alone, was labelled "E"
    dirs = [fake_run(tmp_path / "a" / "E-seed0", 0, hidden_sizes=[]),
            fake_run(tmp_path / "b" / "E-seed0", 0, epochs=1),
            fake_run(tmp_path / "c" / "E-seed0", 0)]
    for run in dirs:
        assert cli.main(["compare", str(run)]) == 0
    rows = [line.split(" | ")[0] for line in capsys.readouterr().out.splitlines()
            if line.startswith("| E")]
    assert rows == ["| E (hidden_sizes none)", "| E (epochs 1)", "| E"]


def test_runs_that_differ_beyond_the_seed_have_no_command(tmp_path):
    runs = [read_run(fake_run(tmp_path / "a", 0)), read_run(fake_run(tmp_path / "b", 1, lr=0.01))]
    summary = collect(runs)
    assert summary["command"] is None
    assert summary["runs"][1]["command"] == ("python -m mnist_mlp train E --lr 0.01 --seeds 1 "
                                             "--val-split 10000")


def test_a_folder_that_is_not_a_run_is_one_line_and_writes_nothing(tmp_path, capsys):
    good = fake_run(tmp_path / "E-seed0", 0)
    bad = fake_run(tmp_path / "E-seed1", 1, metrics=[])
    (tmp_path / "empty").mkdir()
    out = tmp_path / "new" / "x.json"
    for other, message in [(tmp_path / "empty", "config.json is missing"),
                           (bad, "metrics.json must hold a JSON object")]:
        assert cli.main(["collect", str(good), str(other), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1
        assert not (tmp_path / "new").exists()


def test_collect_to_an_unwritable_place_is_one_line_before_any_reading(tmp_path, capsys,
                                                                      monkeypatch):
    good = fake_run(tmp_path / "E-seed0", 0)
    (tmp_path / "file").write_text("")
    monkeypatch.setattr(commands, "MNIST", no_data)
    assert cli.main(["collect", str(good), "--ensemble", "--out",
                     str(tmp_path / "file" / "x.json")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'file'} is a file, not a "
                                              "folder")


def no_data(**kwargs):
    raise AssertionError("MNIST was loaded: the command should have stopped before")


def test_collect_reports_test_accuracy_only_for_evaluated_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert cli.main([*TINY_C, "--seeds", "0", "1", "--out", str(tmp_path)]) == 0
    assert cli.main(["evaluate", str(tmp_path / "C-seed1"), "--errors", "3"]) == 0
    capsys.readouterr()
    out = tmp_path / "c.json"
    assert cli.main(["collect", str(tmp_path / "C-seed0"), str(tmp_path / "C-seed1"),
                     "--out", str(out)]) == 0
    assert "(2 runs, 1 evaluated on the test set)" in capsys.readouterr().out
    first, second = json.loads(out.read_text())["runs"]
    assert "test_accuracy" not in first and "test_interval" not in first
    _, _, model = load_run(tmp_path / "C-seed1")
    accuracy = evaluate_accuracy(model, TinyMNIST().test_dataloader())
    assert second["test_accuracy"] == pytest.approx(accuracy)
    assert second["test_interval"] == pytest.approx(list(binomial_interval(accuracy, 256)))


def test_ensemble_of_one_run_is_its_test_accuracy_and_of_two_is_recorded(tmp_path, monkeypatch):
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert cli.main([*TINY_C, "--seeds", "0", "1", "--out", str(tmp_path)]) == 0
    one = tmp_path / "one.json"
    assert cli.main(["collect", str(tmp_path / "C-seed0"), "--ensemble", "--out", str(one)]) == 0
    ensemble = json.loads(one.read_text())["ensemble"]
    _, _, model = load_run(tmp_path / "C-seed0")
    assert ensemble["test_accuracy"] == round(
        evaluate_accuracy(model, TinyMNIST().test_dataloader()), 6)
    assert ensemble["test_images"] == 256
    assert ensemble["test_interval"] == list(binomial_interval(ensemble["test_accuracy"], 256))
    both = tmp_path / "both.json"
    runs = [str(tmp_path / f"C-seed{s}") for s in (1, 0)]
    assert cli.main(["collect", *runs, "--ensemble", "--out", str(both)]) == 0
    ensemble = json.loads(both.read_text())["ensemble"]
    assert ensemble["runs"] == ["C-seed0", "C-seed1"] and 0 <= ensemble["test_accuracy"] <= 1


def test_an_older_run_becomes_the_run_train_writes_now(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert cli.main([*TINY_F, "--no-clean-statistics", "--out", str(tmp_path / "old")]) == 0
    assert cli.main([*TINY_F, "--out", str(tmp_path / "new")]) == 0
    old = tmp_path / "old" / "F-seed0"
    edit(old / "metrics.json", lambda m: m.update(test_accuracy=0.5))  # as train once wrote
    before = (old / "metrics.json").read_text(), (old / "model.pt").read_bytes()
    capsys.readouterr()
    assert cli.main(["clean-statistics", str(old), "--out", str(tmp_path / "clean")]) == 0
    assert f"{tmp_path / 'clean' / 'F-seed0'}: validation accuracy" in capsys.readouterr().out

    config, metrics, model = load_run(tmp_path / "clean" / "F-seed0")
    new_config, new_metrics, new_model = load_run(tmp_path / "new" / "F-seed0")
    assert config == new_config and config["clean_statistics"] is True
    for key in ("epochs", "val_accuracy"):
        assert metrics[key] == new_metrics[key], key
    assert "test_accuracy" not in metrics  # the old model's, not this one's: dropped
    for key, value in model.state_dict().items():
        assert torch.equal(value, new_model.state_dict()[key]), key
    assert ((old / "metrics.json").read_text(), (old / "model.pt").read_bytes()) == before
    assert (tmp_path / "clean" / "F-seed0" / "curves.png").stat().st_size > 0


def test_clean_statistics_refuses_in_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert cli.main([*TINY_F, "--out", str(tmp_path)]) == 0
    assert cli.main([*TINY_C, "--out", str(tmp_path)]) == 0
    monkeypatch.setattr(commands, "MNIST", no_data)
    clean = tmp_path / "clean"
    for run, message in [("F-seed0", "F-seed0 already has clean statistics: nothing to add"),
                         ("C-seed0", "C-seed0 has no batch normalisation")]:
        capsys.readouterr()
        assert cli.main(["clean-statistics", str(tmp_path / run), "--out", str(clean)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err
    assert not clean.exists()
    assert json.loads((tmp_path / "F-seed0" / "config.json").read_text())["clean_statistics"]


def test_a_second_train_into_a_folder_in_training_stops_in_one_line(tmp_path, capsys,
                                                                    monkeypatch):
    """Before: both trained; the second exited 2 at the end and left its checkpoint."""
    monkeypatch.setattr(commands, "MNIST", no_data)
    with claim([tmp_path / "C-seed0"]):  # what a `train` running now holds
        assert lock_of(tmp_path / "C-seed0").read_text() == f"{os.getpid()}\n"
        assert cli.main([*TINY_C, "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'C-seed0'} is being trained by another process (pid {os.getpid()}"
        f", holding {lock_of(tmp_path / 'C-seed0')}): wait for it to finish, or choose another "
        "--out\n")
    assert list(tmp_path.iterdir()) == []  # the lock is gone with the block


def test_a_lock_left_by_a_killed_process_does_not_stop_the_next_train(tmp_path, monkeypatch):
    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    lock_of(tmp_path / "C-seed0").write_text("12345\n")  # its holder died: no flock on it
    assert cli.main([*TINY_C, "--out", str(tmp_path)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["C-seed0"]


TRAIN_TINY = ("import sys; sys.path.insert(0, {tests!r}); from tiny import TinyMNIST; "
              "from mnist_mlp import cli, commands; commands.MNIST = TinyMNIST; "
              "sys.exit(cli.main(sys.argv[1:]))")


@pytest.mark.slow
def test_two_identical_trainings_at_once_leave_nothing_of_the_second(tmp_path):
    """Before: both trained; the second exited 2 at the end and left its checkpoint beside the
    first's run. Now it stops before loading anything; the first, interrupted here, keeps only
    its own checkpoint."""
    code = TRAIN_TINY.format(tests=str(Path(__file__).parent))
    argv = [sys.executable, "-c", code, *TINY_C[:-1], "100000", "--out", str(tmp_path)]
    first = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in first.stdout:  # the first is training
        if "epoch   1/100000" in line:
            break
    second = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=60)
    assert second.returncode == 2 and second.stderr.count("\n") == 1
    assert second.stderr.startswith(f"error: {tmp_path / 'C-seed0'} is being trained by "
                                    f"another process (pid {first.pid}")
    assert first.returncode == 130
    assert [p.name for p in tmp_path.iterdir()] == ["C-seed0.checkpoint.pt"]  # the first's


def test_a_checkpoint_from_a_gpu_machine_restores_without_cuda(monkeypatch):
    """Before: CUDA's generators were put back unconditionally (set_rng_state_all)."""
    state = random_state()
    state["cuda"] = [torch.zeros(16, dtype=torch.uint8)]  # as a machine with one GPU saves it

    def no_cuda(*args, **kwargs):
        raise RuntimeError("no CUDA here")

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "set_rng_state", no_cuda)
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", no_cuda)
    expected = torch.rand(3)
    set_random_state(state)
    assert torch.equal(torch.rand(3), expected)  # torch's own generator is put back


def test_a_checkpoint_with_more_gpus_restores_those_this_machine_has(monkeypatch):
    state, restored = random_state(), []
    state["cuda"] = [torch.full((16,), device, dtype=torch.uint8) for device in range(2)]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "set_rng_state",
                        lambda cuda_state, device: restored.append((device, cuda_state)))
    set_random_state(state)
    assert [(device, int(s[0])) for device, s in restored] == [(0, 0)]


def test_weights_that_do_not_fit_the_config_name_the_mismatch(tmp_path):
    # Regression: torch's first line ("Error(s) in loading state_dict for ...:") was all the
    # message said; the size mismatch it lists was lost.
    from mnist_mlp.config import Config
    from mnist_mlp.runs import load_model

    folder = tmp_path / "run"
    folder.mkdir()
    torch.save(Config(hidden_sizes=[16]).model().state_dict(), folder / "model.pt")
    with pytest.raises(RunError, match=r"does not fit .*size mismatch for"):
        load_model(folder, Config(hidden_sizes=[8]).to_dict())


@pytest.mark.parametrize("hidden, lr", [([128], 0.05), ([64, 32], 0.001)])
def test_collects_command_for_a_custom_run_is_one_train_accepts(tmp_path, hidden, lr):
    # Regression: a custom run with Config's default layers got a command without
    # --hidden-sizes, which train refuses ("give a preset ... or --hidden-sizes").
    import shlex

    from mnist_mlp.config import Config

    config = {**Config(hidden_sizes=hidden, lr=lr).to_dict(), "preset": "custom", "seed": 4,
              "val_split": 10000, "validate": True, "device": "cpu"}
    command = collect([{"config": config, "preset": "custom", "seed": 4}])["command"]
    args = cli.parser().parse_args(shlex.split(command)[3:])  # after "python -m mnist_mlp"
    name, parsed = cli.train_config(args)
    assert name == "custom" and parsed == Config.from_dict(config) and args.seeds == [4]


def test_collects_command_leaves_out_settings_that_did_nothing():
    # An H run written when xi's default was 1e-6 (without VAT it played no part): the command
    # must not carry --vat-xi, which train refuses without --vat.
    import shlex

    config = {**PRESETS["H"].replace(vat_xi=1e-6).to_dict(), "preset": "H", "seed": 1,
              "val_split": 0, "validate": False, "device": "cpu"}
    command = collect([{"config": config, "preset": "H", "seed": 1}])["command"]
    assert "--vat-xi" not in command
    args = cli.parser().parse_args(shlex.split(command)[3:])
    assert cli.train_config(args) == ("H", PRESETS["H"])


def test_a_run_round_trips_through_its_file_and_names_what_differs():
    from mnist_mlp.runs import Run

    run = Run("F", PRESETS["F"], seed=3, val_split=10_000)
    assert Run.from_dict(json.loads(json.dumps(run.to_dict()))) == run
    saved = {**run.to_dict(), "lr": 0.01, "seed": 4}
    assert run.differences(saved) == ["lr", "seed"]
    assert run.differences(run.to_dict()) == []


@pytest.mark.parametrize("changes, message", [
    ({"seed": -1}, "seed must be a whole number"),
    ({"device": "tpu"}, "device must be 'cpu' or 'cuda'"),
    ({"val_split": 60_000}, "val_split must be a whole number from 0 to 59998"),
    ({"val_split": 5, "validate": False}, "leave val_split 0"),
    ({"preset": ""}, "preset must be one of A"),
])
def test_a_run_refuses_what_train_never_writes(changes, message):
    from mnist_mlp.runs import Run

    with pytest.raises(ConfigError, match=message):
        Run("F", PRESETS["F"]).replace(**changes)


@pytest.mark.parametrize("change, message", [
    # Config's default filled the missing field: a 128-unit network for a run's 256-unit weights
    (lambda run: edit(run / "config.json", lambda c: c.pop("hidden_sizes")),
     "config.json lacks hidden_sizes, which every run of `python -m mnist_mlp train` records"),
    (lambda run: edit(run / "metrics.json", lambda m: m.update(epochs=m["epochs"] * 2)),
     "its history holds epochs 1, 1, not 1, 2, 3... in order"),
    (lambda run: edit(run / "config.json", lambda c: c.update(epochs=10)),
     "its history holds 1 epochs for a run of 10"),
    (lambda run: (run / "evaluation.json").write_text(json.dumps(
        {"test_accuracy": 0.99, "test_images": 20, "test_interval": [0.9, 0.999],
         "confusion_matrix": [[10, 10], [0, 0]]})),
     "test_accuracy 0.99 is not its confusion matrix's"),
])
def test_a_hand_edit_that_contradicts_the_run_is_one_line(tmp_path, change, message):
    run = fake_run(tmp_path / "E-seed0", 0, epochs=1)
    read_run(run)  # as written, it reads
    change(run)
    with pytest.raises(RunError, match=re.escape(message)):
        read_run(run)


def test_weights_that_are_not_finite_are_refused_not_evaluated(tmp_path):
    # NaN weights answered class 0 for every image: an accuracy near 10 % that looked measured
    config = PRESETS["E"].replace(hidden_sizes=(8,))
    model = config.model()
    with torch.no_grad():
        model.net[1].weight[0, 0] = float("nan")
    save_weights(model, tmp_path / "model.pt")
    with pytest.raises(RunError, match=r"holds weights that are not finite .*net\.1\.weight"):
        load_weights(config.model(), tmp_path / "model.pt", "the model", "train it again")


def test_collect_refuses_to_replace_what_is_not_a_regular_file(tmp_path, capsys):
    run = str(fake_run(tmp_path / "E-seed0", 0))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # a device node (as root, --out /dev/null) was replaced the same way
    assert cli.main(["collect", run, "--out", str(fifo)]) == 2
    assert capsys.readouterr().err == (f"error: --out {fifo} is not a regular file (a FIFO): "
                                       "name the JSON file to write (nothing was written)\n")
    assert fifo.is_fifo()
