"""The tools that write the answer key's and the long runs' files: tools/notebook1_answers.py,
tools/notebook2_answers.py and tools/wrong_images.py, on two tiny runs trained for the module."""
import json

import pytest

from mnist_mlp import MNIST, evaluate_accuracy
from mnist_mlp.cli import main
from mnist_mlp.runs import load_run
from tools import notebook1_answers, notebook2_answers, wrong_images

pytestmark = [pytest.mark.slow, pytest.mark.needs_mnist]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Model A with a changed rate, two seeds, one epoch of a narrow network, in a group folder."""
    out = tmp_path_factory.mktemp("respostas") / "A-taxa-0.5"
    assert main(["train", "A", "--lr", "0.5", "--hidden", "16", "--epochs", "1",
                 "--seeds", "0", "1", "--out", str(out)]) == 0
    return sorted(out.glob("A-seed?"))


def test_wrong_images_lists_exactly_the_images_each_run_gets_wrong(runs, tmp_path):
    out = tmp_path / "erros.json"
    assert wrong_images.main([*map(str, runs), "--out", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["commands"][0].startswith("python -m tools.wrong_images")
    test = MNIST(batch_size=1000).test_dataloader()
    for run, row in zip(runs, written["runs"]):
        _, _, model = load_run(run)
        assert row["test_images"] == 10_000 and row["wrong"] == sorted(set(row["wrong"]))
        assert len(row["wrong"]) == round(10_000 * (1 - evaluate_accuracy(model, test)))


def test_notebook1_answers_names_each_runs_group_and_counts_its_errors(runs, tmp_path):
    out = tmp_path / "respostas.json"
    assert notebook1_answers.main([*map(str, runs), "--out", str(out)]) == 0
    rows = json.loads(out.read_text())["runs"]
    assert [(r["group"], r["seed"], r["lr"]) for r in rows] == [("A-taxa-0.5", 0, 0.5),
                                                                ("A-taxa-0.5", 1, 0.5)]
    for run, row in zip(runs, rows):
        metrics = json.loads((run / "metrics.json").read_text())
        assert row["val_accuracy"] == metrics["val_accuracy"]  # the test set: notebook 1's protocol
        assert row["errors"] == round(10_000 * (1 - row["val_accuracy"]))
        counts = [n for n, _, _ in row["most confused (count, true, predicted)"]]
        assert len(counts) == 5 and counts == sorted(counts, reverse=True)


def test_notebook2_answers_reads_each_runs_settings_validation_and_last_loss(runs, tmp_path):
    out = tmp_path / "respostas.json"
    assert notebook2_answers.main([*map(str, runs), "--out", str(out)]) == 0
    rows = json.loads(out.read_text())["runs"]
    assert [(r["group"], r["seed"], r["lr"], r["noise"]) for r in rows] == [
        ("A-taxa-0.5", 0, 0.5, 0.0), ("A-taxa-0.5", 1, 0.5, 0.0)]
    for run, row in zip(runs, rows):
        metrics = json.loads((run / "metrics.json").read_text())
        assert row["val_accuracy"] == metrics["val_accuracy"]
        assert row["last_train_loss"] == metrics["epochs"][-1]["train_loss"]
        assert row["history"] == metrics["epochs"] and row["cpu_class"]
