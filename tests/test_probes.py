"""Regressions from a fresh maintainer's bad-input probes: each mistake is one clear line, and
nothing silently wrong (issue 38)."""
import json
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from d2l import torch as d2l
from PIL import Image
from tiny import TinyMNIST

from mnist_mlp import (
    MLP,
    MNIST,
    ConfigError,
    evaluate_accuracy,
    show_confusion_matrix,
    visualize_errors,
)
from mnist_mlp.attacks import (
    accuracy_under_attack,
    fgsm,
    loss_gradient,
    notebook4_measures,
    smallest_flip,
    vat_direction,
    virtual_adversarial_loss,
)
from mnist_mlp.checkpoints import CheckpointError, read_checkpoint
from mnist_mlp.cli import main
from mnist_mlp.config import Config
from mnist_mlp.data import MNISTSplit, batch_loader
from mnist_mlp.digits import to_mnist
from mnist_mlp.evaluation import (
    binomial_interval,
    confident_errors,
    confusion,
    correct,
    ensemble_accuracy,
    mcnemar,
    most_confused,
    per_class_scores,
    with_interval,
)
from mnist_mlp.experiment import fit
from mnist_mlp.formatting import br, mean_std, percent
from mnist_mlp.inspection import (
    MOVES,
    accuracy_when_moved,
    first_layer_images,
    moved,
    never_inked,
    weight_scale,
)
from mnist_mlp.pad import top_digits
from mnist_mlp.plots import (
    accuracy_curves,
    attack_grid,
    decimal_comma,
    error_grid,
    image_grid,
    plot_confusion_matrix,
)
from mnist_mlp.presets import PRESETS
from mnist_mlp.regularized import RegularizedMLP
from mnist_mlp.runs import Run, RunError, load_weights, save_weights


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
    with pytest.raises(ValueError, match="expected a model \\(an nn.Module\\) first"):
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
    with pytest.raises(ValueError, match="z must be a finite number >= 1"):
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
    (["evaluate", "RUN", "RUN"], "is named twice"),  # read twice, its files written twice
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
    with pytest.raises(CheckpointError, match="not a training checkpoint of this package: pass "
                       "another checkpoint path"):
        read_checkpoint(path)


@pytest.mark.parametrize("value", ["٣", "1_000", str(2**32)])
def test_the_notebooks_seed_is_ascii_digits_whose_three_seeds_set_seed_takes(tmp_path,
                                                                              monkeypatch, value):
    from mnist_mlp.notebook import start

    for folder in ("mnist_mlp", "results", "notebooks"):
        (tmp_path / folder).mkdir()
    (tmp_path / "mnist_mlp" / "__init__.py").touch()
    monkeypatch.setenv("MNIST_MLP_SEED", value)
    with pytest.raises(ValueError, match="MNIST_MLP_SEED must be a whole number"):
        start(tmp_path / "notebooks")
    assert not (tmp_path / "build").exists()


def one_mnist_file(tmp_path, monkeypatch, name, content):
    """MNIST reduced to the file `name` holding `content`, served gzipped by a mirror folder."""
    import gzip

    from mnist_mlp import download

    monkeypatch.setattr(download, "FILES", {name: download.md5(content)})
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / f"{name}.gz").write_bytes(gzip.compress(content))
    monkeypatch.setenv(download.MIRROR_ENV, str(mirror))


def hand_made_run(run, history, **metrics):
    """A run folder of E (10 epochs, validated on 10,000 held-out images) written by hand, with
    the rows `history` and any metrics.json value replaced by `metrics`."""
    run.mkdir()
    (run / "config.json").write_text(json.dumps(
        {**PRESETS["E"].to_dict(), "preset": "E", "seed": 0, "val_split": 10000,
         "validate": True, "device": "cpu"}))
    (run / "metrics.json").write_text(json.dumps(
        {"epochs": history, "val_accuracy": 0.97, "train_seconds": 20.0, **metrics}))
    return run


@pytest.mark.parametrize("metrics, message", [
    ({"epochs": [{"train_loss": 0.5}]}, "a list of per-epoch rows, each an epoch number"),
    ({"epochs": [{"epoch": 1, "train_loss": float("nan")}]}, "each an epoch number and finite"),
    ({"val_accuracy": None}, "val_accuracy is None for a run with validate=True"),
])
def test_a_hand_edited_metrics_file_is_one_line(tmp_path, metrics, message):
    from mnist_mlp.runs import RunError, read_run

    run = hand_made_run(tmp_path / "E-seed0", [{"epoch": 1, "train_loss": 0.5}], **metrics)
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
    with pytest.raises(RunError, match=r"E-seed0.pt is a text file, not weights; delete it "
                       r"and run notebook 2 again"):
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
    run = tmp_path / "custom-seed0"  # what train writes (damaged, the folder is still a run's)
    run.mkdir()
    (run / "config.json").write_text('{"hidden_sizes": [8], "lr": 0.1}')
    (run / "metrics.json").write_text("{}")
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


def _linear(classes=5):
    """A model of the user's own, not the package's: nn.Sequential(Flatten, Linear)."""
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, classes)).eval()


def _images(n=4, side=28):
    return torch.rand(n, 1, side, side)


@pytest.mark.parametrize("call, message", [
    # a user's own model: labels beyond its outputs counted as errors, silently
    (lambda: evaluate_accuracy(_linear(5), [(_images(), torch.tensor([0, 1, 7, 2]))]),
     "label 7 is beyond the model's 5 outputs"),
    # its image size: torch's "mat1 and mat2 shapes cannot be multiplied"
    (lambda: evaluate_accuracy(_linear(), [(_images(side=20), torch.zeros(4, dtype=torch.long))]),
     r"each image has 400 pixels .* and the model takes 784"),
    # batches without images: an accuracy of nan
    (lambda: evaluate_accuracy(_linear(), [(_images(0), torch.zeros(0, dtype=torch.long))]),
     "a batch holds no images"),
    # the class, not a model: "parameters() missing 1 required positional argument"
    (lambda: evaluate_accuracy(torch.nn.Linear, [(_images(), torch.zeros(4, dtype=torch.long))]),
     "expected a model \\(an nn.Module\\) first, got the class Linear"),
    (lambda: ensemble_accuracy(_linear(), [(_images(), torch.zeros(4, dtype=torch.long))]),
     "ensemble_accuracy takes a list of models"),
    (lambda: ensemble_accuracy([_linear()], TinyMNIST()), "got the MNIST object"),
    # fgsm's labels and image size: torch's "Target 10 is out of bounds" and mat1/mat2
    (lambda: fgsm(_linear(10), _images(), torch.tensor([0, 1, 2, 10]), 0.1),
     "label 10 is beyond the model's 10 outputs"),
    (lambda: fgsm(_linear(10), _images(side=20), torch.zeros(4, dtype=torch.long), 0.1),
     "each image has 400 pixels"),
    # smallest_flip: a file name or an attack's name
    (lambda: smallest_flip(_linear(10), "digit.png"), "expected one 28 x 28 image as numbers"),
    (lambda: smallest_flip(_linear(10), np.zeros((28, 28)), attack="pgd"),
     "attack must be a function such as fgsm or pgd"),
    # the VAT direction: its generator, 0-255 pixels, one image through batch norm in training
    (lambda: virtual_adversarial_loss(_linear(10), _images(), 1.0, generator=0),
     "generator must be a torch.Generator"),
    (lambda: vat_direction(_linear(10), _images() * 255), r"must be in \[0, 1\]"),
    (lambda: vat_direction(PRESETS["F"].model(), _images(1)),
     "one image in training mode: batch normalisation needs two or more"),
    # drawing on what is not an Axes: "'numpy.ndarray' object has no attribute 'spines'"
    (lambda: plot_confusion_matrix(np.eye(10), ax=np.array([1, 2])),
     "ax must be one matplotlib Axes"),
    (lambda: error_grid([], axes="x"), "axes must be matplotlib axes"),
    # notebook 3's helpers: the MNIST object, MOVES itself, an integer mask, a negative count
    (lambda: moved(TinyMNIST(), 1), "expected a split of MNIST, got TinyMNIST: pass one of its"),
    (lambda: never_inked(TinyMNIST()), "expected a split of MNIST"),
    (lambda: accuracy_when_moved(_linear(10), _split(), MOVES),
     r"moves must be a list of \(dx, dy, degrees\) triples"),
    (lambda: weight_scale(PRESETS["E"].model(), torch.ones(28, 28, dtype=torch.long)),
     "pixels must be a 28 x 28 boolean mask"),
    (lambda: weight_scale(PRESETS["E"].model(), torch.zeros(28, 28, dtype=torch.bool)),
     "and none True"),
    (lambda: first_layer_images(PRESETS["E"].model(), count=-1), "count must be a positive"),
    (lambda: first_layer_images(PRESETS["E"].model(), side=27), "side=27 does not tile"),
    (lambda: accuracy_when_moved(_linear(10), _split(), [(1, 0, 0)], batch_size=0),
     "batch_size must be a positive integer"),
    # a (2, 3) and a (3, 2) table were flattened and paired silently
    (lambda: mcnemar(np.ones((2, 3), bool), np.ones((3, 2), bool)), "two equally long"),
    (lambda: PRESETS["F"].model().recompute_statistics(TinyMNIST()),
     "recompute_statistics takes batches, got TinyMNIST"),
    # a torchvision dataset without ToTensor: default_collate's TypeError
    (lambda: evaluate_accuracy(_linear(10), torch.utils.data.DataLoader(
        [(Image.new("L", (28, 28)), 0)] * 4, batch_size=2)), "the loader's items are not tensors"),
])
def test_a_second_fresh_probe_finds_one_line_each(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _split():
    from mnist_mlp.data import MNISTSplit

    pixels = torch.zeros(4, 1, 28, 28, dtype=torch.uint8)
    return MNISTSplit(pixels[:, 0], torch.arange(4), pixels)


def test_evaluate_refuses_a_run_whose_test_reading_contradicts_its_validation(tmp_path, capsys,
                                                                                 monkeypatch):
    # with val_split 0 train validated on the test images; a config.json edited afterwards
    # (relu -> sigmoid), or another model.pt of the same shape, gave another accuracy silently
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    out = tmp_path / "runs"
    assert main(["train", "C", "--hidden", "16", "--epochs", "2", "--out", str(out)]) == 0
    run = out / "C-seed0"
    weights = torch.load(run / "model.pt")
    weights["net.3.weight"] = -weights["net.3.weight"]  # the same shapes, the other answers
    torch.save(weights, run / "model.pt")
    older_than_fingerprints(run)  # the fingerprint would say it first (tested below)
    capsys.readouterr()
    assert main(["evaluate", str(run)]) == 2
    assert "changed since; restore them or train the run again" in capsys.readouterr().err
    assert not (run / "evaluation.json").exists()


@pytest.mark.parametrize("call, message", [
    # loss_gradient, imported by notebook 4: a misspelt loss was the cross-entropy, silently
    (lambda: loss_gradient(_linear(10), _images(), torch.arange(4), loss="margn"),
     "loss='margn' is not supported"),
    (lambda: loss_gradient(_linear(10), _images() * 255, torch.arange(4)), r"must be in \[0, 1\]"),
    (lambda: fgsm(_linear(10), _images(), torch.tensor([0, 1, 2, -1]), 0.1),
     "the labels must be digits from 0, got -1"),
    (lambda: fgsm(_images(), _linear(10), torch.arange(4), 0.1),
     "expected a model \\(an nn.Module\\) first, got Tensor"),
    # a SubsetRandomSampler paired other images in each pass: (17, 17) for one model with itself
    (lambda: correct(_linear(10), torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(_images(8), torch.zeros(8, dtype=torch.long)),
        batch_size=4, sampler=torch.utils.data.SubsetRandomSampler(range(8)))),
     "this loader shuffles"),
    # fit: torch's dtype error at the first step; batch norm on batches of one image
    (lambda: fit(MLP(2, [8], 0.1).double(), TinyMNIST(), 1),
     "the model's weights are torch.float64"),
    (lambda: fit(PRESETS["F"].model(), TinyMNIST(batch_size=1), 1),
     "batch normalisation cannot train on batches of one image"),
    # the formatting helpers the notebooks print with
    (lambda: mean_std([0.9, None]), "mean_std takes a non-empty list of finite numbers"),
    (lambda: mean_std([]), "mean_std takes a non-empty list"),
    (lambda: mean_std(0.95), "mean_std takes a non-empty list"),
    (lambda: mean_std([0.9, 0.8], 4), "spec must be a format string"),
    (lambda: percent(98.7), "percent takes a fraction"),
    # notebook 1's and 3's smaller helpers
    (lambda: most_confused(np.eye(10), -1), "k must be a positive integer"),
    (lambda: most_confused(np.ones(10), 3), "expected a square table of counts"),
    (lambda: plot_confusion_matrix(np.ones(10)), "expected a square table of counts"),
    (lambda: image_grid([torch.ones(28, 28)], cols=0), "cols must be a positive integer"),
    (lambda: accuracy_curves([0, 1], [[0.9, 0.8]], "eps", "t"), "curves must be a dict"),
    (lambda: first_layer_images(_linear(10)), "expected one of the package's MLPs"),
    (lambda: moved(_split(), dx="1"), "dx must be a whole number"),
])
def test_a_third_round_of_probes_finds_one_line_each(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_weight_image_that_requires_grad_draws():
    weights = torch.ones(2, 28, 28, requires_grad=True)  # "Can't call numpy() on Tensor..."
    assert image_grid(list(weights)).data is not None


def test_train_refuses_a_link_where_a_run_goes_before_training(tmp_path, capsys):
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "C-seed0").symlink_to(tmp_path / "nowhere")  # trained, then a traceback
    assert main(["train", "C", "--hidden", "16", "--epochs", "1",
                 "--out", str(tmp_path / "runs")]) == 2
    assert "is a link (to" in capsys.readouterr().err


def test_out_with_a_tilde_after_the_equals_sign_is_the_home_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    run = hand_made_run(tmp_path / "E-seed0",
                        [{"epoch": n, "train_loss": 0.5} for n in range(1, 11)])
    assert main(["collect", str(run), "--out=~/sum.json"]) == 0  # the shell leaves this ~
    assert (tmp_path / "sum.json").is_file() and not (tmp_path / "~").exists()
    monkeypatch.chdir(run)  # "." is named by its folder, not ""
    assert main(["collect", ".", "--out", str(tmp_path / "dot.json")]) == 0
    assert json.loads((tmp_path / "dot.json").read_text())["runs"][0]["run"] == "E-seed0"


@pytest.mark.parametrize("model", [
    torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 5), torch.nn.LogSoftmax(dim=1)),
    torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 5), torch.nn.ReLU()),
])
def test_labels_beyond_any_models_outputs_are_one_line(model):
    # the model's last layer is not a Linear: 0.11 and 0.09 were returned, silently
    with pytest.raises(ValueError, match="label 7 is beyond the model's 5 outputs"):
        evaluate_accuracy(model.eval(), [(_images(), torch.tensor([0, 1, 7, 2]))])


def test_collect_out_with_a_trailing_slash_is_a_folder(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["collect", str(tmp_path), "--out", str(tmp_path / "new") + "/"])
    assert "names a folder: name the JSON file" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("call, message", [
    # notebook 1 trains through d2l.Trainer, not fit: torch's errors at the first step
    (lambda: d2l.Trainer(max_epochs=1).fit(MLP(10, [8], 0.1), _Resized()),
     "each image has 1024 pixels"),
    (lambda: d2l.Trainer(max_epochs=1).fit(MLP(2, [8], 0.1).double(), TinyMNIST()),
     "the images are torch.float32 and the model's weights torch.float64"),
    (lambda: d2l.Trainer(max_epochs=1).fit(MLP(1, [8], 0.1), TinyMNIST()),
     "label 1 is beyond the model's 1 outputs"),
    (lambda: d2l.Trainer(max_epochs=1).fit(PRESETS["F"].model(), TinyMNIST(batch_size=1)),
     "batch normalisation cannot train on batches of one image"),
    # a folder where a file goes: the rename failed after the whole write
    (lambda: save_weights(_linear(), Path(__file__).parent), "is a folder: name the file"),
    (lambda: accuracy_curves([0, 1], {"C": [90, 80]}, "eps", "t"), "fractions from 0 to 1"),
])
def test_a_third_fresh_probe_finds_one_line_each(call, message):
    with pytest.raises(ValueError, match=message):
        call()


class _Resized(TinyMNIST):
    """TinyMNIST with 32 x 32 images, as MNIST(resize=(32, 32)) gives."""

    def __init__(self):
        super().__init__()
        self.X = torch.nn.functional.interpolate(self.X, size=(32, 32))


def test_an_rgba_array_is_a_digit_over_white_as_its_image():
    # plt.imread of a PNG is a float RGBA array; the advice Image.fromarray(array) failed on it

    rgba = np.zeros((28, 28, 4), np.float32)
    rgba[..., 3] = 0.0  # transparent: white, as a viewer shows it
    rgba[8:20, 12:16] = [0, 0, 0, 1]  # an opaque black stroke
    as_image = to_mnist(Image.fromarray((rgba * 255).astype(np.uint8), "RGBA"))
    assert torch.allclose(to_mnist(rgba), as_image, atol=0.02)


def test_seed_0_with_seeds_is_refused_as_any_other_seed(capsys):
    # argparse let `--seed 0 --seeds 1 2` through (0 is the default) and trained 1 and 2 only
    with pytest.raises(SystemExit):
        main(["train", "C", "--seed", "0", "--seeds", "1", "2"])
    assert "not allowed with argument" in capsys.readouterr().err


def _grid_axes(rows, cols):
    import matplotlib.pyplot as plt

    return plt.subplots(rows, cols, squeeze=False)[1]


@pytest.mark.parametrize("call, message", [
    # a row of axes where one goes: "'numpy.ndarray' object has no attribute 'xaxis'"
    (lambda: decimal_comma(_grid_axes(1, 2)), "ax must be one matplotlib Axes"),
    (lambda: accuracy_curves([0, 1], {"E": [0.9, 0.8]}, "eps", "t", ax=_grid_axes(1, 2)),
     "ax must be one matplotlib Axes"),
    # attack_grid: an IndexError, torch's "bad operand type for unary -", too few axes
    (lambda: attack_grid(_images(3), _images(2), [0] * 3, [1] * 3, "E", 0.1),
     "equally long .* got 3, 2, 3 and 3"),
    (lambda: attack_grid(_images(2), _images(2), [0] * 2, [1] * 2, "E", [0.1]),
     r"eps must be in \[0, 1\] \(pixel intensity\), got \[0.1\]"),
    (lambda: attack_grid(_images(2), _images(2), [0] * 2, [1] * 2, "E", 0.1,
                         axes=_grid_axes(3, 1)), "axes must hold 3 x 2 matplotlib axes"),
    # flat images: matplotlib's "Invalid shape (784,) for image data"
    (lambda: image_grid(_images(2).flatten(1)),
     r"got Tensor \(2, 784\): .* flat images as x.reshape\(-1, 28, 28\)"),
    (lambda: image_grid([torch.zeros(784)]),
     r"must be H x W \(or 1 x H x W, or H x W x 3 in colour\), got shape \(784,\)"),
    # error_grid of pairs: "not enough values to unpack"
    (lambda: error_grid([(torch.zeros(28, 28), 1)]), r"\(image, true, predicted\) triples"),
    # range(10.0): "'float' object cannot be interpreted as an integer"
    (lambda: confusion(_linear(10), [(_images(), torch.arange(4))], num_classes=10.0),
     "num_classes must be a positive integer"),
])
def test_a_fourth_round_of_probes_finds_one_line_each(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_image_grid_draws_colour_photos_as_they_are():
    photo = Image.new("RGB", (40, 30), "white")  # notebook 3's key shows photos before to_mnist
    assert image_grid([photo, np.zeros((30, 40, 4))]).axes_[0].get_images()[0].get_array().shape \
        == (30, 40, 3)


def test_attack_grid_draws_a_hand_made_attack_that_still_requires_grad():
    X = _images(2).requires_grad_()  # a hand-written FGSM's X_adv: numpy() refused it
    X_adv = (X + 0.1 * torch.ones_like(X)).clamp(0, 1)
    assert attack_grid(X, X_adv, [0, 1], [1, 0], "E", 0.1).axes_.shape == (3, 2)


def test_error_grid_takes_the_drawing_visualize_errors_returns(small):
    model, data = small
    drawn = visualize_errors(model, data, 3)
    assert error_grid(drawn).data == list(drawn.data)


def test_ctrl_c_while_the_command_starts_is_one_line_and_exit_130():
    import subprocess
    import sys

    # the interrupt where it arrives in practice: while the command imports torch (cli.main)
    program = ("import runpy, mnist_mlp.cli as cli\n"
               "def interrupted(argv=None): raise KeyboardInterrupt\n"
               "cli.main = interrupted\n"
               "runpy.run_module('mnist_mlp', run_name='__main__')\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.returncode == 130
    assert result.stderr.strip().splitlines() == ["interrupted; no file is half-written"]


def test_evaluate_refuses_a_held_out_run_whose_validation_reading_changed(tmp_path, capsys,
                                                                          monkeypatch):
    # a --val-split N run with an edited config.json or another model.pt: a test accuracy
    # written without a word (only val_split 0 runs were compared)
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    out = tmp_path / "runs"
    assert main(["train", "C", "--hidden", "16", "--epochs", "2", "--val-split", "100",
                 "--out", str(out)]) == 0
    run = out / "C-seed0"
    weights = torch.load(run / "model.pt")
    weights["net.3.weight"] = -weights["net.3.weight"]
    torch.save(weights, run / "model.pt")
    older_than_fingerprints(run)
    capsys.readouterr()
    assert main(["evaluate", str(run)]) == 2
    assert "its held-out images give" in capsys.readouterr().err
    assert not (run / "evaluation.json").exists()


def _attack_that_forgets_to_clamp(model, X, y, eps):
    return X * 3 - 1


@pytest.mark.parametrize("call, message", [
    # a normalised matrix: drawn as 0 and 1, ranked as all 0 (fractions cut to integers)
    (lambda: plot_confusion_matrix(np.eye(3) / 2), "expected counts .* before normalising"),
    (lambda: most_confused(np.eye(3) / 2, 2), "expected counts .* before normalising"),
    (lambda: per_class_scores(np.ones(3)), "expected a square table of counts"),
    (lambda: plot_confusion_matrix(np.eye(3) > 0), "got bool values"),
    # a custom attack on a model in training mode, eps 25, images out of [0, 1]
    (lambda: accuracy_under_attack(PRESETS["F"].model().train(), [(_images(), torch.arange(4))],
                                   lambda m, X, y, e: X, 0.1), "the model is in training mode"),
    (lambda: accuracy_under_attack(_linear(10), [(_images(), torch.arange(4))],
                                   lambda m, X, y, e: X, 25), r"eps must be in \[0, 1\]"),
    (lambda: accuracy_under_attack(_linear(10), [(_images(), torch.arange(4))],
                                   _attack_that_forgets_to_clamp, 0.1),
     r"images of X's shape in \[0, 1\]"),
    (lambda: accuracy_under_attack(_linear(10), [(_images(), torch.arange(4))], _images(), 0.1),
     "attack must be a function such as fgsm or pgd, got Tensor$"),
    # confident_errors(-1) dropped one error; 2.5 was a slicing TypeError
    (lambda: confident_errors(_linear(10), [(_images(), torch.arange(4))], -1),
     "max_errors must be a positive integer"),
    # error_grid's confidences: an IndexError, percentages drawn as 9800%
    (lambda: error_grid([(torch.zeros(28, 28), 1, 2)] * 2, [0.9]), "one fraction per error"),
    (lambda: error_grid([(torch.zeros(28, 28), 1, 2)], [98.0]), r"confidence must be in \[0, 1\]"),
    (lambda: error_grid([(torch.zeros(784), 1, 2)]), "must be H x W"),
    (lambda: error_grid(None), "got NoneType"),
    # accuracy_curves: matplotlib's errors for another length, a dict of dicts
    (lambda: accuracy_curves([0, 0.1, 0.2], {"E": [0.98, 0.5]}, "eps", "t"),
     "has 2 values for 3 xs"),
    (lambda: accuracy_curves([0, 0.1], {"FGSM": {"0.0": 0.98, "0.1": 0.5}}, "eps", "t"),
     r"curves\['FGSM'\] must be a list"),
    (lambda: accuracy_curves([0, 0.1], {"E": [0.98, float("nan")]}, "eps", "t"),
     "holds NaN or infinite values"),
    # one batch without its list; zip(X, y)
    (lambda: evaluate_accuracy(_linear(10), (_images(), torch.arange(4))),
     r"got one batch \(X, y\): wrap it in a list"),
    (lambda: evaluate_accuracy(_linear(10), zip(_images(), torch.arange(4))),
     "each item is one image and its label"),
    # a tensor where a number goes: "out of range"; percent's advice to divide by 100
    (lambda: binomial_interval(torch.tensor(0.98), 10000), r"pass x.item\(\)"),
    (lambda: percent(torch.tensor(0.5)), r"percent takes a number, got Tensor .*x.item\(\)"),
    (lambda: RegularizedMLP(10, [8], 0.1, batch_norm=np.bool_(True)), r"pass bool\(x\)"),
    (lambda: percent(0.5, 1.5), "decimals must be a whole number"),
    (lambda: mean_std([0.9, 0.8], ".2d"), "spec must be a format string for numbers"),
    (lambda: binomial_interval(0.98, 10000, z=0.95), "the normal quantile, 1.96 for 95 %"),
    (lambda: with_interval(0.98, 10000, as_percent="False"), "as_percent must be True or False"),
    # to_mnist of ToTensor's colour photo; image_grid of one image or a string of titles
    (lambda: to_mnist(torch.rand(3, 40, 30)), r"channel-first .* image.permute\(1, 2, 0\)"),
    (lambda: image_grid(torch.zeros(28, 28)), r"pass one image as \[image\]"),
    (lambda: image_grid([torch.zeros(28, 28)] * 2, titles="pe"), "titles must be a list"),
    (lambda: image_grid([torch.zeros(28, 28)], colorbar=True), "colorbar is the colour bar's"),
    # attack_grid: scores for digits, 0-255 images, nothing selected
    (lambda: attack_grid(_images(2), _images(2), torch.zeros(2, 10), torch.zeros(2, 10), "E",
                         0.1), r"before must hold one digit per image, got shape \(2, 10\)"),
    (lambda: attack_grid(_images(2) * 255, _images(2) * 255, [1, 2], [3, 4], "E", 0.1),
     r"the images must be in \[0, 1\]"),
    (lambda: attack_grid(_images(0), _images(0), [], [], "E", 0.1), "no images to draw"),
    # smaller helpers: torch's errors
    (lambda: batch_loader(torch.utils.data.TensorDataset(_images()), 0),
     "batch_size must be a positive integer"),
    (lambda: batch_loader(TinyMNIST(), 64), "batch_loader takes a split of MNIST"),
    (lambda: ensemble_accuracy({"E": _linear(10)}, [(_images(), torch.arange(4))]),
     r"got a dict: pass list\(models.values\(\)\)"),
    (lambda: ensemble_accuracy([_linear(10), _linear(12)], [(_images(), torch.arange(4))]),
     r"different numbers of scores \(10, 12\)"),
    (lambda: mcnemar(np.ones(5, bool), np.ones((5, 1), bool)), r"got shapes \(5,\) and \(5, 1\)"),
    (lambda: weight_scale(MLP(10, [8], 0.1, num_inputs=100), np.ones((28, 28), bool)),
     "pixels must be a 10 x 10 boolean mask"),
    (lambda: save_weights(torch.zeros(3), "w.pt"), "save_weights takes a model"),
])
def test_a_fourth_fresh_probe_finds_one_line_each(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_moves_in_numpy_numbers_are_the_same_moves():
    split = _split()
    split.pixels[:, :, 10:18, 12:16] = 1.0
    for a, b in ((np.int64(10), 10), (np.float32(10), 10.0)):
        assert torch.equal(moved(split, dx=np.int64(2), degrees=a).pixels,
                           moved(split, dx=2, degrees=b).pixels)


def test_weights_from_a_folder_or_a_checkpoint_say_what_they_are(tmp_path):
    model = MLP(10, [8], 0.1)
    with pytest.raises(RunError, match="is a folder: name the weights' file"):
        load_weights(model, tmp_path, "the model", "")
    torch.save({"model": model.state_dict(), "optimizer": {}, "epochs": 1}, tmp_path / "ck.pt")
    with pytest.raises(RunError, match="a training checkpoint, not weights"):
        load_weights(model, tmp_path / "ck.pt", "the model", "")


def test_data_on_a_device_that_is_not_there_is_one_line():
    data = TinyMNIST()
    data.__class__ = type("WithTo", (TinyMNIST,), {"to": MNIST.to})
    with pytest.raises(ConfigError, match="device must be a torch device"):
        data.to("gpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA device is visible"):
            data.to("cuda")


def test_a_checkpoint_that_does_not_fit_advises_what_python_can_do(tmp_path):
    (tmp_path / "x.pt").write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match=r"if it is this run's, cut short, delete it to "
                       "start that run over; if it is another file, pass another checkpoint path"):
        read_checkpoint(tmp_path / "x.pt")


def test_train_with_out_naming_a_file_says_so(tmp_path, capsys):
    (tmp_path / "h.py").write_text("")
    assert main(["train", "C", "--hidden", "16", "--epochs", "1",
                 "--out", str(tmp_path / "h.py")]) == 2
    assert "h.py is a file, not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("command, expected", [
    (["evaluate", "x"], "interrupted: every file written is whole; run evaluate again"),
    (["train", "C"], "train again with --resume to continue"),
])
def test_ctrl_c_says_what_applies_to_the_command(command, expected, monkeypatch, capsys):
    from mnist_mlp import commands
    from mnist_mlp.cli import parser

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setitem(commands.COMMANDS, command[0], interrupted)
    assert commands.run(parser().parse_args(command)) == 130
    assert expected in capsys.readouterr().err


def test_a_model_too_large_for_memory_is_one_line(monkeypatch, capsys):
    from mnist_mlp import commands
    from mnist_mlp.cli import parser

    def allocate(args):  # torch's allocator, as `--hidden 100000000` meets it
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] data. DefaultCPUAllocator: "
                           "can't allocate memory: you tried to allocate 313600000000 bytes.")

    monkeypatch.setitem(commands.COMMANDS, "train", allocate)
    assert commands.run(parser().parse_args(["train", "C"])) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: not enough memory for this model") and err.count("\n") == 1


def _float64_attack(model, X, y, eps):
    return (X.double() + eps).clamp(0, 1)


@pytest.mark.parametrize("call, message", [
    # a Config as fit's settings: every checkpoint written, none readable (weights_only)
    (lambda: fit(MLP(2, [8], 0.1), TinyMNIST(), 1,
                 checkpoint=Path(tempfile.gettempdir()) / "never-written.pt",
                 settings={"lr": np.float32(0.1)}), "settings must be plain values"),
    # accuracy_under_attack: the arguments swapped; an attack of float64 images
    (lambda: accuracy_under_attack([(_images(), torch.arange(4))], _linear(10), fgsm, 0.1),
     r"expected a model \(an nn.Module\) first"),
    (lambda: accuracy_under_attack(_linear(10), [(_images(), torch.arange(4))], _float64_attack,
                                   0.1), "the attack returned torch.float64 images"),
    (lambda: smallest_flip(_linear(10), np.zeros((28, 28)),
                           attack=lambda m, X, y, e: X.numpy()), "as a tensor"),
    (lambda: smallest_flip(_linear(10), np.zeros((28, 28)), attack=lambda m, X, y, e: X * 255 + 2),
     r"in \[0, 1\]"),
    # recompute_statistics on 0-255 images: variances ~1700 instead of ~0.03, silently
    (lambda: RegularizedMLP(10, [8], 0.1, batch_norm=True).recompute_statistics(
        [(_images() * 255, torch.arange(4))]), r"batches of images in \[0, 1\]"),
    (lambda: RegularizedMLP(10, [8], 0.1, batch_norm=True).recompute_statistics(_images()),
     "recompute_statistics takes batches"),
    (lambda: RegularizedMLP(10, [8], 0.1, batch_norm=True).recompute_statistics(
        [(_images(1), torch.arange(1))]), "batches of one image only, which have no variance"),
    (lambda: mean_std([98.1, 97.9], ".2%"), "a '%' spec takes fractions"),
    # image_grid of items, splits, triples, paths; titles as a tensor
    (lambda: image_grid([(torch.zeros(28, 28), 3)]), r"an \(image, label\) item\?\): pass item"),
    (lambda: image_grid(_split()), "image_grid takes images, got a MNISTSplit"),
    (lambda: image_grid(["digit.png"]), r"open it first, \[to_mnist\(Image.open\(path\)\)\]"),
    (lambda: error_grid(([(torch.zeros(28, 28), 1, 2)] * 3, [0.9] * 3)),
     r"got \(errors, confidences\)"),
    (lambda: accuracy_curves(0.1, {"E": [0.9]}, "eps", "t"), "xs must be a list of x values"),
    # one 28 x 28 image where a batch goes: "shape (28,)"
    (lambda: evaluate_accuracy(_linear(10), [(_images(1)[0, 0], torch.arange(1))]),
     r"one image of shape \(28, 28\), not a batch: pass X\[None\]"),
    (lambda: fgsm(_linear(10), _images(1)[0, 0], torch.arange(1), 0.1), r"pass X\[None\]"),
])
def test_a_fifth_fresh_probe_finds_one_line_each(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_fit_takes_a_config_as_settings_and_resumes_from_its_checkpoint(tmp_path):
    settings = Config(hidden_sizes=(8,))
    first = MLP(2, [8], 0.1)
    fit(first, TinyMNIST(), 1, checkpoint=tmp_path / "ck.pt", settings=settings)
    again = MLP(2, [8], 0.1)
    fit(again, TinyMNIST(), 2, checkpoint=tmp_path / "ck.pt", settings=settings)  # was refused
    assert len(again.history.epochs) == 2


def test_fit_refuses_a_checkpoint_of_more_epochs_than_asked(tmp_path):
    fit(MLP(2, [8], 0.1), TinyMNIST(), 3, checkpoint=tmp_path / "ck.pt", settings={"c": 1})
    with pytest.raises(CheckpointError, match="holds 3 epochs, more than max_epochs=2"):
        fit(MLP(2, [8], 0.1), TinyMNIST(), 2, checkpoint=tmp_path / "ck.pt", settings={"c": 1})


def test_an_epoch_interrupted_in_the_kernel_leaves_nothing_in_the_next():
    model = MLP(2, [8], 0.1)
    model.history.add("train_loss", torch.tensor(50.0), 64)  # a Ctrl-C after one batch
    fit(model, TinyMNIST(), 1)
    assert model.history.epochs[0]["train_loss"] < 5  # the 50 mixed in gave about 7


def test_accuracy_curves_draw_tensors_of_accuracies_again():
    drawn = accuracy_curves([0, 0.1], {"E": torch.tensor([0.98, 0.5]),
                                       "F": [torch.tensor(0.99), torch.tensor(0.6)]}, "eps", "t")
    np.testing.assert_allclose([line.get_ydata() for line in drawn.axes_.lines],
                               [[0.98, 0.5], [0.99, 0.6]], rtol=1e-6)


def test_image_grid_titles_from_labels_and_images_from_a_generator():
    labels = torch.tensor([3, 7])
    drawn = image_grid((x for x in _images(2)), titles=labels)
    assert [ax.get_title() for ax in drawn.axes_[:2]] == ["3", "7"]
    assert image_grid(_images(2), titles=None).data is not None


def test_a_float64_model_reads_a_drawing_in_float64():
    from mnist_mlp.pad import top_digits

    model = MLP(10, [8], 0.1).double().eval()
    assert len(top_digits(model, np.zeros((28, 28)))) > 0  # advised X.to(float64), in vain


def test_a_tilde_in_a_python_path_is_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert save_weights(MLP(2, [8], 0.1), "~/w.pt") == tmp_path / "home" / "w.pt"
    assert (tmp_path / "home" / "w.pt").is_file() and not (tmp_path / "~").exists()


def test_the_board_names_a_models_own_input_size():
    from mnist_mlp.board import describe

    assert describe(MLP(10, [8], 0.1, num_inputs=32 * 32).hparams).startswith("MLP 1024-8-10")


def older_than_fingerprints(run):
    """The run as train wrote it before metrics.json recorded its files' fingerprint."""
    metrics = json.loads((run / "metrics.json").read_text())
    del metrics["fingerprint"]
    (run / "metrics.json").write_text(json.dumps(metrics))


@pytest.mark.parametrize("flags", [["--no-validation"], ["--val-split", "100"]])
def test_a_run_whose_files_changed_after_train_or_evaluate_is_refused(flags, tmp_path, capsys,
                                                                      monkeypatch):
    # --no-validation runs (G to J) had no reading to compare: an edited config.json gave a
    # test accuracy without a word; compare and collect reported a stale evaluation.json
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    out = tmp_path / "runs"
    assert main(["train", "C", "--hidden", "16", "--epochs", "1", "--seeds", "0", "1", *flags,
                 "--out", str(out)]) == 0
    run, other = out / "C-seed0", out / "C-seed1"
    assert main(["evaluate", str(run)]) == 0
    config = (run / "config.json").read_text()
    (run / "config.json").write_text(config.replace('"af": "relu"', '"af": "sigmoid"'))
    capsys.readouterr()
    for command in (["evaluate", str(run)], ["compare", str(run)],
                    ["collect", str(run), "--out", str(tmp_path / "s.json")]):
        assert main(command) == 2
        assert "changed since train wrote them" in capsys.readouterr().err
    (run / "config.json").write_text(config)
    shutil.copy(other / "model.pt", run / "model.pt")  # another seed's weights
    assert main(["compare", str(run)]) == 2
    assert "config.json or model.pt changed since" in capsys.readouterr().err
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize("call, message", [
    # the loader's method without its call: "'method' object is not iterable"
    (lambda: evaluate_accuracy(_linear(10), TinyMNIST().val_dataloader),
     r"got the function val_dataloader itself: call it"),
    (lambda: evaluate_accuracy(_linear(10), 5), r"expected batches \(X, y\)"),
    (lambda: evaluate_accuracy(_linear(10), MNIST), r"got the class MNIST: build it first"),
    (lambda: RegularizedMLP(10, [8], 0.1, batch_norm=True).recompute_statistics(
        TinyMNIST().train_dataloader), "recompute_statistics takes batches"),
    # the class where the object goes: "missing 1 required positional argument: 'self'"
    (lambda: visualize_errors(_linear(10), MNIST), r"got the class MNIST: build it first"),
    (lambda: fit(MLP(10, [8], 0.1), MNIST, 1), r"got the class MNIST: build it first"),
    # a dict of images: "got the path 'E'"
    (lambda: image_grid({"E": torch.zeros(28, 28)}), r"got a dict: pass list\(d.values\(\)\)"),
    # "False" as a flag: the opposite of what was meant
    (lambda: batch_loader(_split(), 2, shuffle="False"), "shuffle must be True or False"),
    (lambda: plot_confusion_matrix(np.eye(3, dtype=int), errors_only="False"),
     "errors_only must be True or False"),
    (lambda: save_weights(MLP(2, [8], 0.1), f"{tempfile.gettempdir()}/modelos/"),
     "names a folder"),
])
def test_a_sixth_fresh_probe_finds_one_line_each(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_clean_statistics_leave_a_lone_last_image_out_as_training_does():
    # (60000 - N) % batch_size == 1: the whole training ran, then batch norm failed on one image
    model = RegularizedMLP(10, [8], 0.1, batch_norm=True).eval()
    X = torch.rand(9, 1, 28, 28)
    model.recompute_statistics([(X[:4], None), (X[4:8], None), (X[8:], None)])
    alone = RegularizedMLP(10, [8], 0.1, batch_norm=True).eval()
    alone.load_state_dict(model.state_dict())
    alone.recompute_statistics([(X[:4], None), (X[4:8], None)])
    for key, value in model.state_dict().items():
        assert torch.equal(value, alone.state_dict()[key]), key


def test_weights_passed_as_a_checkpoint_are_not_to_be_deleted(tmp_path):
    save_weights(MLP(2, [8], 0.1), tmp_path / "E-seed0.pt")
    with pytest.raises(CheckpointError, match=r"holds a model's weights \(save_weights\), not"):
        read_checkpoint(tmp_path / "E-seed0.pt")


def test_mean_std_of_losses_that_require_grad():
    losses = [torch.tensor(0.5, requires_grad=True) * 1, torch.tensor(0.7, requires_grad=True) * 1]
    assert mean_std(losses, ".1f") == "0,6 ± 0,1"


def _digit_split():
    """A split of four 28 x 28 'digits' (a bright square each), as torchvision stores them."""
    from mnist_mlp.data import MNISTSplit

    data = torch.zeros(4, 28, 28, dtype=torch.uint8)
    data[:, 10:18, 10:18] = 255
    return MNISTSplit(data, torch.arange(4), data.unsqueeze(1).clone())


def test_moved_moves_the_digits_students_look_at():
    # `.data` (what notebook 1 prints and plt.imshow shows) kept the unmoved digits
    split = _digit_split()
    shifted = moved(split, 3)
    assert torch.equal(shifted.data, shifted.pixels[:, 0])
    assert torch.equal(shifted.data[0], torch.roll(split.data[0], 3, dims=1))
    from mnist_mlp.data import MNISTSplit, resize_like_pil

    big = MNISTSplit(split.data, split.targets, resize_like_pil(split.data, (32, 32)).unsqueeze(1))
    shifted = moved(big, 3)  # resized pixels: the 28 x 28 originals move on their own
    assert shifted.data.shape == (4, 28, 28)
    assert torch.equal(shifted.data[0], torch.roll(split.data[0], 3, dims=1))


def test_a_one_cycle_checkpoint_resumed_with_more_epochs_is_one_line(tmp_path):
    # torch's "Tried to step 41 times. The specified number of total steps is 40" part-way
    # into the first new epoch
    from tiny import TinyData

    def model():
        torch.manual_seed(0)
        return RegularizedMLP(2, [8], 0.01, af="relu", optimizer="adam", schedule="onecycle")

    checkpoint = tmp_path / "ck.pt"
    fit(model(), TinyData(), 1, checkpoint=checkpoint, settings={"r": 1})
    with pytest.raises(CheckpointError, match=r"one-cycle schedule of 8 steps, and this run has 16 "
                       r"\(2 epochs of 8 batches\): resume it with the max_epochs, batch_size"):
        fit(model(), TinyData(), 2, checkpoint=checkpoint, settings={"r": 1})
    # another batch size, the same epochs: "planned for 1 epoch and this run asks for 1"
    with pytest.raises(CheckpointError, match=r"this run has 4 \(1 epoch of 4 batches\)"):
        fit(model(), TinyData(batch_size=64), 1, checkpoint=checkpoint, settings={"r": 1})
    fit(model(), TinyData(), 1, checkpoint=checkpoint, settings={"r": 1})  # as planned: fine


def test_resume_goes_on_with_an_interrupted_force_retrain(tmp_path, capsys, monkeypatch):
    # --resume refused ("other settings"), and the --force it advised threw the epochs away
    from test_cli import interrupt_at_epoch

    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    argv = ["train", "C", "--hidden", "16", "--out", str(tmp_path)]
    assert main([*argv, "--epochs", "1"]) == 0  # the older run
    monkeypatch.setattr(commands, "progress", interrupt_at_epoch(2))
    assert main([*argv, "--epochs", "3", "--force"]) == 130  # its retrain, stopped after epoch 1
    monkeypatch.setattr(commands, "progress", lambda total: None)
    capsys.readouterr()
    assert main([*argv, "--epochs", "3", "--resume"]) == 0
    out = capsys.readouterr().out
    assert "continuing from" in out and "replacing the run there when finished" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["C-seed0"]
    assert len(json.loads((tmp_path / "C-seed0" / "metrics.json").read_text())["epochs"]) == 3
    assert main([*argv, "--epochs", "2", "--resume"]) == 2  # other settings than the finished
    assert "holds a run with other settings (epochs 3 there, 2 here)" in capsys.readouterr().err


@pytest.mark.parametrize("call, message", [
    (lambda: Config(hidden_sizes=np.array([8])), r"pass x\.tolist\(\)"),
    (lambda: MLP(10, torch.tensor([8, 8]), 0.1), r"pass x\.tolist\(\)"),
    # drawings are 28 x 28: "build the data with the model's size" does not apply
    (lambda: top_digits(MLP(10, [8], 0.1, num_inputs=32 * 32), torch.rand(28, 28)),
     "top_digits and the pad read 28 x 28 images, and this model takes 1024 pixels"),
    (lambda: image_grid(_images(2), titles=5), "titles must be a list, one title per image"),
    (lambda: attack_grid(_images(2), _images(2), [1, 2], [1, 2], "E", 0.1, axes=list(range(6))),
     "axes must hold 3 x 2 matplotlib axes"),
    (lambda: __import__("mnist_mlp.data").data.join(
        [_split(), __import__("mnist_mlp.data").data.MNISTSplit(
            torch.zeros(1, 28, 28), torch.zeros(1), torch.zeros(1, 1, 32, 32))]),
     "join takes splits of one image size"),
    (lambda: notebook4_measures(_linear(10), _split(), seed="0"), "seed must be a whole number"),
    (lambda: load_weights(MLP, "w.pt", "E", "retrain"), "load_weights takes a model"),
    (lambda: load_weights(MLP(2, [8], 0.1), None, "E", "retrain"),
     "the weights' path must be a file name, got NoneType"),
])
def test_a_sixth_probes_leftovers_are_one_line_each(call, message):
    with pytest.raises((ValueError, RunError), match=message):
        call()


def test_a_file_where_a_folder_goes_is_one_line(tmp_path):
    (tmp_path / "m16.pt").write_text("")
    with pytest.raises(NotADirectoryError, match="m16.pt is a file, not a folder"):
        save_weights(MLP(2, [8], 0.1), tmp_path / "m16.pt" / "x.pt")


def test_helpers_draw_what_generators_and_tensors_that_require_grad_give():
    xs = torch.tensor([0.0, 0.1], requires_grad=True)  # a sweep's eps
    line = accuracy_curves(xs, {"E": [0.9, 0.8]}, "x", "t").axes_.lines[0]
    assert line.get_xdata()[1] == pytest.approx(0.1)
    X = _images(2)
    drawing = attack_grid((x for x in X), X, [1, 2], [1, 2], "E", 0.1)
    assert drawing.axes_.shape == (3, 2)


def test_the_pad_refuses_a_model_of_another_input_size():
    from mnist_mlp.pad import DrawingPad

    with pytest.raises(ValueError, match="top_digits and the pad read 28 x 28 images"):
        DrawingPad(MLP(10, [8], 0.1, num_inputs=32 * 32))


def test_resume_keeps_a_finished_run_beside_an_abandoned_force_retrain(tmp_path, capsys,
                                                                        monkeypatch):
    # --resume refused the checkpoint of the abandoned retrain and advised --force, which
    # retrained the finished run of exactly the settings asked for
    from test_cli import interrupt_at_epoch

    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    argv = ["train", "C", "--hidden", "16", "--out", str(tmp_path)]
    assert main([*argv, "--epochs", "1"]) == 0
    (tmp_path / "C-seed0" / "evaluation.json").write_text("{}")  # stands for evaluate's files
    monkeypatch.setattr(commands, "progress", interrupt_at_epoch(2))
    assert main([*argv, "--epochs", "3", "--force"]) == 130
    monkeypatch.setattr(commands, "progress", lambda total: None)
    capsys.readouterr()
    assert main([*argv, "--epochs", "1", "--resume"]) == 0
    out = capsys.readouterr().out
    assert "C-seed0 is finished: kept (--resume)" in out
    assert "C-seed0.checkpoint.pt does not continue this run: left as it is" in out
    assert (tmp_path / "C-seed0" / "evaluation.json").exists()
    assert (tmp_path / "C-seed0.checkpoint.pt").exists()


def test_resume_names_the_one_checkpoint_to_delete_not_force(tmp_path, capsys, monkeypatch):
    # "delete it (on the command line: --force)": --force retrains every seed named
    from test_cli import interrupt_at_epoch

    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    argv = ["train", "C", "--hidden", "16", "--epochs", "2", "--out", str(tmp_path)]
    assert main([*argv, "--seeds", "0"]) == 0
    monkeypatch.setattr(commands, "progress", interrupt_at_epoch(2))
    assert main([*argv, "--seeds", "1"]) == 130
    checkpoint = tmp_path / "C-seed1.checkpoint.pt"
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])  # cut short
    capsys.readouterr()
    assert main([*argv, "--seeds", "0", "1", "--resume"]) == 2
    err = capsys.readouterr().err
    assert "cut short, delete it, then --resume trains seed 1 from its first epoch" in err
    assert "--force" not in err


@pytest.mark.parametrize("make, message", [
    (lambda path: path.mkdir(), "is a folder: name the checkpoint's file"),
    (lambda path: path.write_text("notas"), "if it is another file, pass another checkpoint path"),
    (lambda path: path.write_text("{}"), "if it is another file, pass another checkpoint path"),
])
def test_fit_does_not_advise_deleting_a_file_that_is_no_checkpoint(tmp_path, make, message):
    path = tmp_path / "modelos"
    make(path)
    with pytest.raises(CheckpointError, match=message):
        fit(MLP(2, [8], 0.1), TinyMNIST(), 1, checkpoint=path, settings={"a": 1})
    assert path.exists()


def test_fit_names_the_settings_and_the_model_a_checkpoint_does_not_share(tmp_path):
    checkpoint = tmp_path / "ck.pt"
    fit(MLP(2, [8], 0.1), TinyMNIST(), 1, checkpoint=checkpoint, settings={"r": 1})
    with pytest.raises(CheckpointError, match=r"saved with other settings \(r 1 there, 2 here\)"
                       ": pass the same settings, or pass another checkpoint path"):
        fit(MLP(2, [8], 0.1), TinyMNIST(), 2, checkpoint=checkpoint, settings={"r": 2})
    with pytest.raises(CheckpointError, match=r"saved by another model \(hidden_sizes \[8\] "
                       r"there, \[16\] here\): pass the same model, or pass another checkpoint"):
        fit(MLP(2, [16], 0.1), TinyMNIST(), 2, checkpoint=checkpoint, settings={"r": 1})
    state = torch.load(checkpoint, weights_only=True)
    del state["hparams"]  # a checkpoint of before they were saved: the weights tell
    torch.save(state, checkpoint)
    with pytest.raises(CheckpointError, match="does not fit this model or its optimizer "
                       r"\(RuntimeError\): if it is another model's, pass another checkpoint"):
        fit(MLP(2, [16], 0.1), TinyMNIST(), 2, checkpoint=checkpoint, settings={"r": 1})


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is there to train on")
def test_fit_asked_for_a_gpu_says_it_trains_on_the_cpu():
    with pytest.warns(UserWarning, match="num_gpus=1, but torch sees 0 GPU"):
        fit(MLP(2, [8], 0.1), TinyMNIST(), 1, num_gpus=1)


def test_a_reindented_config_is_the_same_run_an_edited_one_is_not(tmp_path, capsys,
                                                                  monkeypatch):
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert main(["train", "C", "--hidden", "8", "--epochs", "1", "--out", str(tmp_path)]) == 0
    config = tmp_path / "C-seed0" / "config.json"
    values = json.loads(config.read_text())
    config.write_text(json.dumps(values, indent=4, sort_keys=True))  # an editor's format-on-save
    assert main(["compare", str(tmp_path / "C-seed0")]) == 0
    config.write_text(json.dumps({**values, "lr": values["lr"] * 2}))
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "C-seed0")]) == 2
    assert "changed since train wrote them" in capsys.readouterr().err


@pytest.mark.parametrize("name, advice", [
    ("evaluation.json", "evaluate the run again"),
    ("metrics.json", "restore it from a copy, or train the run again"),
])
def test_a_run_file_cut_short_says_what_to_do(tmp_path, capsys, monkeypatch, name, advice):
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert main(["train", "C", "--hidden", "8", "--epochs", "1", "--out", str(tmp_path)]) == 0
    (tmp_path / "C-seed0" / name).write_text('{"test_accuracy": 0.9')
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "C-seed0")]) == 2
    assert f"{name} is not readable JSON (" in capsys.readouterr().err
    assert main(["collect", str(tmp_path / "C-seed0"), "--out", str(tmp_path / "s.json")]) == 2
    assert capsys.readouterr().err.strip().endswith(advice)


@pytest.mark.parametrize("call, message", [
    (lambda: br(None), "br takes a number, got None .a run trained without validation"),
    (lambda: br("0.98"), r"br takes a number, got '0.98' \(pass float\(x\)\)"),
    (lambda: br(torch.tensor([0.9, 0.8])), "br takes a number, got tensor"),
    (lambda: fit(MLP(2, [8], 0.1), TinyMNIST(validate=False), 1)[0].model.history.column(
        "val_acc"), "no 'val_acc' in this history .* trained without validation has no val_"),
    (lambda: evaluate_accuracy(_linear(), TinyMNIST().test_dataloader),
     r"got the function test_dataloader itself: call it, e.g. data.test_dataloader\(\)"),
])
def test_a_seventh_probe_finds_one_line_each(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_ensemble_accuracy_reads_a_shuffled_loader_once():
    # refused as for pairing, though every model reads the same batches
    models = [_linear(2), _linear(2)]
    split = torch.utils.data.TensorDataset(_images(8), torch.zeros(8).long())
    assert ensemble_accuracy(models, batch_loader(split, 4, shuffle=True)) == ensemble_accuracy(
        models, batch_loader(split, 4))


def test_a_mirror_with_a_trailing_space_is_read(tmp_path, monkeypatch):
    from mnist_mlp import download

    monkeypatch.setenv(download.MIRROR_ENV, "/nowhere/at/all ")
    with pytest.raises(download.DataError, match=r"/nowhere/at/all/t10k-labels-idx1-ubyte\.gz:"):
        download.fetch("t10k-labels-idx1-ubyte", tmp_path)


def test_a_full_disk_is_one_line_that_says_resume_continues(tmp_path, capsys, monkeypatch):
    # torch.save's zip writer on a full disk: 30 lines ending "unexpected pos 32896 vs 32788"
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    save = torch.save

    def full_disk(obj, f, *args, **kwargs):
        name = str(getattr(f, "name", f))  # a path, or the file opened on it
        if name.endswith(".part") and "checkpoint" in name:
            save(obj, f, *args, **kwargs)
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos "
                               "32896 vs 32788")
        return save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", full_disk)
    argv = ["train", "C", "--hidden", "8", "--epochs", "2", "--out", str(tmp_path)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write {tmp_path / 'C-seed0.checkpoint.pt'}: no space "
                          "left on its disk (") and err.count("\n") == 1
    assert err.strip().endswith("free some space, then train again with --resume (finished "
                                "runs and the last finished epoch are kept)")
    assert not any(p.name.endswith(".part") for p in tmp_path.iterdir())


def test_a_full_disk_while_writing_json_is_one_line(tmp_path, capsys, monkeypatch):
    import errno

    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert main(["train", "C", "--hidden", "8", "--epochs", "1", "--out", str(tmp_path)]) == 0
    write_text = Path.write_text

    def full_disk(self, *args, **kwargs):
        if self.name.endswith(".part"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    capsys.readouterr()
    out = tmp_path / "summary.json"
    assert main(["collect", str(tmp_path / "C-seed0"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write {out}: no space left on its disk")
    assert err.strip().endswith("free some space, then run collect again")
    assert not out.exists()


def test_a_config_saved_with_a_byte_order_mark_is_the_same_run(tmp_path, capsys, monkeypatch):
    # Windows editors save UTF-8 with a BOM: "not readable JSON ... train the run again"
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert main(["train", "C", "--hidden", "8", "--epochs", "1", "--out", str(tmp_path)]) == 0
    config = tmp_path / "C-seed0" / "config.json"
    config.write_text(config.read_text(), encoding="utf-8-sig")
    assert main(["compare", str(tmp_path / "C-seed0")]) == 0


@pytest.mark.parametrize("argv, flag", [
    (["--hidden", "16", "--hidden", "8"], "--hidden-sizes"),
    (["--hidden-sizes", "16", "--hidden", "8"], "--hidden-sizes"),
    (["--seeds", "0", "1", "--seeds", "2"], "--seeds"),
])
def test_a_list_flag_given_twice_is_refused(argv, flag, capsys):
    # argparse kept the last list: one layer of 8, or seed 2 alone, without a word
    with pytest.raises(SystemExit) as exit_:
        main(["train", "C", *argv])
    assert exit_.value.code == 2
    example = "0 1 2" if flag == "--seeds" else "16 8"
    assert f"given twice: list all the values after one flag, e.g. {flag} {example}" in (
        capsys.readouterr().err)


def test_a_checkpoint_older_than_a_config_field_is_resumed(tmp_path, capsys, monkeypatch):
    # "other settings (vat_iterations): train with its settings", which cannot be done
    from test_cli import interrupt_at_epoch

    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    monkeypatch.setattr(commands, "progress", interrupt_at_epoch(2))
    argv = ["train", "C", "--hidden", "8", "--epochs", "2", "--out", str(tmp_path)]
    assert main(argv) == 130
    checkpoint = tmp_path / "C-seed0.checkpoint.pt"
    state = torch.load(checkpoint, weights_only=True)
    del state["settings"]["vat_iterations"]  # saved before the field existed
    torch.save(state, checkpoint)
    monkeypatch.setattr(commands, "progress", lambda total: None)
    capsys.readouterr()
    assert main([*argv, "--resume"]) == 0
    assert "continuing from" in capsys.readouterr().out


def test_a_checkpoint_among_the_run_folders_says_what_it_is(tmp_path, capsys, monkeypatch):
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert main(["train", "C", "--hidden", "8", "--epochs", "1", "--out", str(tmp_path)]) == 0
    (tmp_path / "C-seed1.checkpoint.pt").write_bytes(b"")  # runs/C-seed* matches it
    capsys.readouterr()
    assert main(["compare", *map(str, sorted(tmp_path.glob("C-seed*")))]) == 2
    assert "C-seed1.checkpoint.pt is an interrupted run's checkpoint, not a run: finish it with " \
           "train ... --resume, or name the run folders only" in capsys.readouterr().err


def test_a_blank_data_variable_is_one_line(monkeypatch):
    from mnist_mlp import download

    monkeypatch.setenv(download.DATA_ENV, "")  # as a shell unsets it
    assert download.default_root() != Path("")
    monkeypatch.setenv(download.DATA_ENV, " ")
    with pytest.raises(download.DataError, match="MNIST_MLP_DATA is set to .*: set it to a "
                       "folder for MNIST, or unset it"):
        download.default_root()


def test_a_data_variable_with_a_trailing_space_names_the_folder(monkeypatch, tmp_path):
    from mnist_mlp import download

    monkeypatch.setenv(download.DATA_ENV, f"{tmp_path} ")
    assert download.default_root() == tmp_path


@pytest.mark.parametrize("call, message", [
    (lambda: _split().subset(512), r"subset takes positions \(e.g. torch.arange\(512\)"),
    (lambda: fit(MLP(2, [8], 0.1), _data_with_train(0), 1),
     "the training split holds 0 images"),
    (lambda: fit(MLP(2, [8], 0.1), _data_with_train(1), 1),
     "the training split holds 1 image "),
])
def test_an_eighth_probe_finds_one_line_each(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _data_with_train(count):
    data = TinyMNIST()
    data.train = torch.utils.data.TensorDataset(data.X[:count], data.y[:count])
    return data


def _photo_of_a_seven(side=560):
    """A 7 drawn in dark ink on white paper, 280 px tall in a `side`-px photo, as a phone takes
    it: the probe's own stand-in for a student's photo."""
    canvas = np.ones((side, side))
    o = (side - 280) // 2
    canvas[o:o + 30, o + 40:o + 240] = 0.15  # the bar
    for row in range(30, 280):  # the stem, slanting left as it goes down
        col = o + 240 - 30 - (row - 30) * 150 // 250
        canvas[o + row, col:col + 30] = 0.15
    return canvas


def _as_photo(canvas):
    return Image.fromarray((canvas * 255).astype(np.uint8))


def test_a_dark_strip_at_the_photos_edge_is_not_the_digit():
    # the desk along one edge was kept as "the largest stroke": a field of the strip
    clean = to_mnist(_as_photo(_photo_of_a_seven()))[0].numpy()
    for width in (10, 25, 120):
        strip = _photo_of_a_seven()
        strip[:, :width] = 0.25
        field = to_mnist(_as_photo(strip))[0].numpy()
        assert np.corrcoef(field.ravel(), clean.ravel())[0, 1] > 0.95, width


def test_a_soft_shadow_is_not_the_digit():
    # a shadow half as bright at its centre was read as a round blob beside a small 7
    clean = to_mnist(_as_photo(_photo_of_a_seven()))[0].numpy()
    yy, xx = np.mgrid[:560, :560]
    for sigma in (60, 90):
        shade = 1 - 0.5 * np.exp(-((xx - 100) ** 2 + (yy - 450) ** 2) / (2 * sigma ** 2))
        field = to_mnist(_as_photo(_photo_of_a_seven() * shade))[0].numpy()
        assert np.corrcoef(field.ravel(), clean.ravel())[0, 1] > 0.95, sigma


def _drawn(strokes, shift=0):
    """Black strokes 18 px wide on a white 280 px canvas, as the drawing pad draws them."""
    from PIL import ImageDraw

    image = Image.new("L", (280, 280), 255)
    pen = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [(x, y + shift) for x, y in stroke]
        pen.line(points, fill=0, width=18, joint="curve")
        for x, y in (points[0], points[-1]):
            pen.ellipse([x - 9, y - 9, x + 9, y + 9], fill=0)
    return image


def test_a_stroke_of_the_digit_cut_by_the_frame_is_kept():
    # the first edge rule (8205939) dropped every stroke touching the frame: the pad's 4, its
    # stem down to the bottom edge, became an L read as 6
    from mnist_mlp.digits import fit_to_box
    from mnist_mlp.pad import prepare

    four = [[(110, 40), (70, 160), (200, 160)], [(165, 90), (165, 140)], [(165, 180), (165, 250)]]
    for shift in (0, 30, 40, -40):  # centred, down to the bottom edge, past it, up to the top
        drawing = _drawn(four, shift)
        whole = fit_to_box(255 - np.asarray(drawing, float))[0].numpy()  # every stroke drawn
        field = prepare(drawing)
        assert np.corrcoef(field.ravel(), whole.ravel())[0, 1] > 0.95, shift


def test_a_small_digit_beside_a_desk_strip_in_a_phone_sized_photo():
    # the desk's long band outweighed a 150 px digit twenty to one and was kept as the digit
    small = np.asarray(_as_photo(_photo_of_a_seven(300)).resize((150, 150)), float) / 255
    photo = np.ones((3000, 2250))
    photo[1400:1550, 1000:1150] = small
    clean = to_mnist(_as_photo(photo))[0].numpy()
    photo[:, :120] = 0.25
    field = to_mnist(_as_photo(photo))[0].numpy()
    assert np.corrcoef(field.ravel(), clean.ravel())[0, 1] > 0.95


def test_the_installed_command_answers_ctrl_c_as_python_m_does(monkeypatch, capsys):
    import tomllib

    from mnist_mlp import __main__ as entry
    from mnist_mlp import cli

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["mnist-mlp"] == "mnist_mlp.__main__:run"

    def interrupted(argv=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "main", interrupted)
    with pytest.raises(SystemExit) as exit_:
        entry.run()
    assert exit_.value.code == 130
    assert capsys.readouterr().err == "interrupted; no file is half-written\n"


def test_a_corrupt_file_is_replaced_not_deleted_first(tmp_path, monkeypatch):
    # path.unlink before the fetch: in a read-only folder OSError "Read-only file system", a
    # traceback (a failed write there is one DataError line)
    import gzip

    from mnist_mlp import download

    content = b"labels"
    monkeypatch.setattr(download, "FILES", {"t10k-labels-idx1-ubyte": download.md5(content)})
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    raw = download.raw_folder(tmp_path / "data")
    raw.mkdir(parents=True)
    (raw / "t10k-labels-idx1-ubyte").write_bytes(b"damaged")
    unlink = Path.unlink

    def read_only(self, *args, **kwargs):
        if self == raw / "t10k-labels-idx1-ubyte":
            raise OSError(30, "Read-only file system", str(self))
        return unlink(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", read_only)
    monkeypatch.setenv(download.MIRROR_ENV, str(mirror))
    (mirror / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(content))
    with pytest.warns(UserWarning, match="is corrupt .*; reading it again"):
        assert download.load_raw(tmp_path / "data") == {"t10k-labels-idx1-ubyte": content}
    assert (raw / "t10k-labels-idx1-ubyte").read_bytes() == content


def test_gz_files_in_the_raw_folder_and_plain_files_in_a_mirror_are_read(tmp_path,
                                                                          monkeypatch):
    import gzip

    from mnist_mlp import download

    # the real files' md5s are checked: a stand-in file of known md5 in their place
    content = b"labels"
    monkeypatch.setattr(download, "FILES", {"t10k-labels-idx1-ubyte": download.md5(content)})
    raw = download.raw_folder(tmp_path / "data")
    raw.mkdir(parents=True)
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(content))
    monkeypatch.setenv(download.MIRROR_ENV, str(tmp_path / "nowhere"))
    assert download.load_raw(tmp_path / "data") == {"t10k-labels-idx1-ubyte": content}
    assert (raw / "t10k-labels-idx1-ubyte").read_bytes() == content  # stored uncompressed
    mirror = tmp_path / "unzipped"
    mirror.mkdir()
    (mirror / "t10k-labels-idx1-ubyte").write_bytes(content)  # gunzipped by a file manager
    monkeypatch.setenv(download.MIRROR_ENV, str(mirror))
    assert download.fetch("t10k-labels-idx1-ubyte", tmp_path / "other") == content


@pytest.mark.parametrize("call, message", [
    (lambda path: load_weights(MLP(2, [8], 0.1), path / "missing.pt"),
     "missing.pt is missing; pass the file save_weights wrote for this model"),
    (lambda path: load_weights(MLP(2, [8], 0.1), _write(path / "cut.pt", b"")),
     r"cut.pt is corrupt or cut short \(EOFError\); pass the file save_weights wrote"),
    (lambda path: load_weights(MLP(2, [8], 0.1), _whole_model(path / "whole.pt")),
     r"holds a whole model saved with torch.save\(model, ...\), not its weights: save them "
     r"with save_weights\(model, path\)"),
    (lambda path: load_weights(MLP(2, [8], 0.1), _scripted(path / "scripted.pt")),
     r"holds a TorchScript model \(torch.jit.save\), not weights: save them with "
     r"save_weights\(model, path\)"),
])
def test_load_weights_as_the_counterpart_of_save_weights(tmp_path, call, message):
    with warnings.catch_warnings():  # torch's own hint (torch.jit.load) is not shown beside ours
        warnings.filterwarnings("error", ".*looks like a TorchScript archive")
        with pytest.raises(RunError, match=message):
            call(tmp_path)


def _write(path, data):
    path.write_bytes(data)
    return path


def _whole_model(path):
    torch.save(MLP(2, [8], 0.1), path)  # the common habit: the module, not its state_dict
    return path


def _scripted(path):
    torch.jit.save(torch.jit.script(MLP(2, [8], 0.1).net), path)
    return path


def test_load_weights_needs_only_the_model_and_the_path(tmp_path):
    model = MLP(2, [8], 0.1)
    save_weights(model, tmp_path / "w.pt")
    other = MLP(2, [8], 0.1)
    load_weights(other, tmp_path / "w.pt")
    assert torch.equal(other.state_dict()["net.1.weight"], model.state_dict()["net.1.weight"])


def test_a_preset_after_the_sizes_says_to_put_it_first(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--hidden", "16", "8", "C"])
    assert "got the preset name 'C' among the sizes: put the preset first, e.g. train C " \
           "--hidden 16 8" in capsys.readouterr().err


def test_a_corrupt_file_beside_a_good_one_of_the_other_form_is_read(tmp_path, monkeypatch):
    # offline, the good .gz beside a corrupt extracted file was ignored for a download; a
    # mirror's partial plain file hid the good .gz beside it
    import gzip

    from mnist_mlp import download

    content = b"labels"
    monkeypatch.setattr(download, "FILES", {"t10k-labels-idx1-ubyte": download.md5(content)})
    monkeypatch.setenv(download.MIRROR_ENV, str(tmp_path / "nowhere"))
    raw = download.raw_folder(tmp_path / "data")
    raw.mkdir(parents=True)
    (raw / "t10k-labels-idx1-ubyte").write_bytes(b"lab")  # cut short
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(content))
    with pytest.warns(UserWarning, match="is corrupt"):
        assert download.load_raw(tmp_path / "data") == {"t10k-labels-idx1-ubyte": content}
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "t10k-labels-idx1-ubyte").write_bytes(b"lab")
    (mirror / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(content))
    monkeypatch.setenv(download.MIRROR_ENV, str(mirror))
    assert download.fetch("t10k-labels-idx1-ubyte", tmp_path / "other") == content


def test_a_preset_after_the_seeds_says_to_put_it_first(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--seeds", "0", "1", "C"])
    assert "got the preset name 'C' among the seeds: put the preset first, e.g. train C " \
           "--seeds 0 1" in capsys.readouterr().err


def test_br_given_decimals_as_percent_takes_them_is_one_line():
    with pytest.raises(ValueError, match=r"br's spec is a format such as '.2f' or '.2%', got 2"):
        br(0.5, 2)


def test_a_kill_while_a_file_is_written_is_one_line_exit_143_and_no_part_file(tmp_path):
    import subprocess
    import sys

    from mnist_mlp.commands import INTERRUPTED

    # SIGTERM (kill, timeout, a scheduler) ended the command silently and left the .part file
    program = ("import os, signal, time, runpy, sys\n"
               "from mnist_mlp import commands, files\n"
               "def train(args):\n"
               f"    with files.replacing({str(tmp_path / 'model.pt')!r}) as tmp:\n"
               "        tmp.write_bytes(b'half')\n"
               "        os.kill(os.getpid(), signal.SIGTERM)\n"
               "        time.sleep(30)\n"
               "commands.COMMANDS['train'] = train\n"
               "sys.argv = ['mnist_mlp', 'train', 'A', '--epochs', '1']\n"
               "runpy.run_module('mnist_mlp', run_name='__main__')\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 143
    assert result.stderr.strip().splitlines() == [INTERRUPTED["train"]]
    assert list(tmp_path.iterdir()) == []


# Probe 11 (session 8): findings 6-12

@pytest.fixture
def read_only_folder(tmp_path):
    """A folder no one may write in: chmod for a user, chattr +i for root (Colab, a container),
    whom chmod does not stop."""
    import os
    import subprocess

    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = os.access(folder, os.W_OK)
    if immutable and subprocess.run(["chattr", "+i", str(folder)],
                                     capture_output=True).returncode:
        pytest.skip("no way to make a folder read-only for this user here")
    yield folder
    if immutable:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o755)


@pytest.mark.parametrize("helper", ["save_weights", "write_json"])
def test_a_folder_one_may_not_write_in_is_not_called_a_full_disk(read_only_folder, helper):
    # torch's "open file failed" was read as its full-disk error: "no space left on its disk
    # (30 GB free)"; write_json's PermissionError came out as it was
    from mnist_mlp.files import WriteError, write_json

    path = read_only_folder / "w.pt"
    with pytest.raises(WriteError, match=rf"^cannot write {path} \((Permission denied|Operation "
                       r"not permitted)\); choose a folder you can write to$"):
        if helper == "save_weights":
            save_weights(MLP(10, [4], 0.1), path)
        else:
            write_json(path, {"a": 1})
    assert list(read_only_folder.iterdir()) == []


def test_mnist_into_a_read_only_folder_says_once_what_to_do(read_only_folder, monkeypatch):
    # replacing's own line (a path, its advice) is kept out of the data error's parentheses
    import gzip

    from mnist_mlp import DataError, download

    name, content = "t10k-labels-idx1-ubyte", b"labels"
    monkeypatch.setattr(download, "FILES", {name: download.md5(content)})
    (read_only_folder.parent / f"{name}.gz").write_bytes(gzip.compress(content))
    monkeypatch.setenv(download.MIRROR_ENV, str(read_only_folder.parent))
    with pytest.raises(DataError, match=rf"^cannot write MNIST into {read_only_folder}/MNIST/raw "
                       r"\((Permission denied|Operation not permitted)\)\. Point MNIST_MLP_DATA "
                       r"\(or MNIST\(root=\.\.\.\)\) at a writable folder\.$"):
        download.load_raw(read_only_folder)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc here")
def test_weights_where_no_file_can_be_made_are_not_a_full_disk():
    from mnist_mlp.files import WriteError

    with pytest.raises(WriteError, match=r"^cannot write /proc/mnist_mlp\.pt \(No such file or "
                       r"directory\); choose a folder you can write to$"):
        save_weights(MLP(10, [4], 0.1), "/proc/mnist_mlp.pt")


def test_weights_onto_a_fifo_or_a_device_are_refused_before_writing(tmp_path):
    # save_weights(model, "/dev/full") replaced the device with a regular file (as root, on
    # Colab, /dev/null too); a FIFO stands in for them
    import os
    import stat

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=rf"^{fifo} is not a regular file \(a FIFO\): name the "
                       r"file to write \(nothing was written\)$"):
        save_weights(MLP(10, [4], 0.1), fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and [p.name for p in tmp_path.iterdir()] == [
        "pipe"]


def test_mnist_files_stored_as_folders_are_one_data_error(tmp_path, capsys, monkeypatch):
    # Kaggle's layout (each file inside a folder of its name): the file was fetched, then a
    # traceback whose ValueError advised writing "modelo.pt" into the MNIST folder

    from mnist_mlp import DataError, download

    name, content = "train-images-idx3-ubyte", b"images"
    one_mnist_file(tmp_path, monkeypatch, name, content)
    folder = download.raw_folder(tmp_path / "data") / name
    folder.mkdir(parents=True)
    (folder / name).write_bytes(content)
    message = (f"{folder} is a folder, not the MNIST file {name}: put the file it holds in its "
               "place (the folder removed), then run again")
    with pytest.raises(DataError) as error:
        MNIST(root=tmp_path / "data")
    assert str(error.value) == message
    monkeypatch.setenv(download.DATA_ENV, str(tmp_path / "data"))
    out = tmp_path / "runs"
    assert main(["train", "C", "--hidden", "8", "--epochs", "1", "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    assert not out.exists() and [p.name for p in folder.iterdir()] == [name]


def test_resume_onto_a_foreign_checkpoint_says_what_the_command_line_can_do(tmp_path, capsys,
                                                                            monkeypatch):
    # it advised to "pass another checkpoint path", which only fit(checkpoint=...) takes
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    checkpoint = tmp_path / "C-seed0.checkpoint.pt"
    checkpoint.write_text("hello\n")
    argv = ["train", "C", "--hidden", "8", "--epochs", "1", "--out", str(tmp_path), "--resume"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "checkpoint path" not in err
    assert err.strip().endswith("if it is another file, move it away, or choose another --out")
    assert checkpoint.read_text() == "hello\n"
    torch.save(MLP(10, [8], 0.1).state_dict(), checkpoint)  # weights where it goes
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "holds a model's weights" in err and "checkpoint path" not in err
    assert err.strip().endswith(": move it away, or choose another --out")


def test_a_nan_in_metrics_names_its_row_and_field_and_says_what_to_do(tmp_path, capsys):
    # the error printed the whole history (1,500 characters) and no next step
    history = [{"epoch": n, "train_loss": 0.5, "val_loss": 0.4, "val_acc": 0.9}
               for n in range(1, 11)]
    history[1]["val_acc"] = float("nan")
    run = hand_made_run(tmp_path / "E-seed0", history)
    for command in ("compare", "evaluate"):
        assert main([command, str(run)]) == 2
        assert capsys.readouterr().err == (
            f"error: {run} is not a run `python -m mnist_mlp train` wrote: epochs must be a "
            "list of per-epoch rows, each an epoch number and finite losses: epoch 2's val_acc "
            "is nan; restore it from a copy, or train the run again\n")


def test_evaluate_of_a_run_without_its_weights_names_them_alone(tmp_path, capsys, monkeypatch):
    # "cannot read its config.json and model.pt (No such file or directory)", no advice
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert main(["train", "C", "--hidden", "8", "--epochs", "1", "--out", str(tmp_path)]) == 0
    (tmp_path / "C-seed0" / "model.pt").unlink()
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "C-seed0")]) == 2
    assert capsys.readouterr().err == (f"error: {tmp_path / 'C-seed0' / 'model.pt'} is missing; "
                                       "restore it from a copy, or train the run again\n")


@pytest.mark.parametrize("argv", [["train", "E", "--hidden"], ["train", "E", "--hidden-sizes"],
                                  ["train", "--hidden", "--epochs", "1"]])
def test_a_sizes_flag_without_sizes_is_refused_and_names_how_to_ask_for_none(capsys, argv):
    # `train E --hidden` trained a 784-10 linear model, saved as E-seed0
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        "python -m mnist_mlp train: error: argument --hidden-sizes/--hidden: needs one or more "
        "layer sizes, e.g. --hidden-sizes 256 256 (or none alone for no hidden layer)\n")


def test_no_hidden_layer_is_asked_for_by_name_and_collect_writes_it_so():
    import shlex

    from mnist_mlp.cli import parser, train_config
    from mnist_mlp.runs import train_command

    name, config = train_config(parser().parse_args(["train", "--hidden-sizes", "none"]))
    assert (name, config.hidden_sizes) == ("custom", ())
    run = Run("custom", config, seed=2).to_dict()
    command = train_command([{"config": run}])
    assert "--hidden-sizes none" in command
    assert train_config(parser().parse_args(shlex.split(command)[3:]))[1] == config


# Probe 12 (session 8): findings 3-7

def test_mnist_files_under_kaggles_dot_names_are_read_and_a_fifo_is_one_data_error(
        tmp_path, monkeypatch):
    # Kaggle's train-images.idx3-ubyte in the raw folder: offline, the DataError advised copying
    # the files into that folder, where they were; a FIFO in a file's place, a raw ValueError
    import gzip
    import os

    from mnist_mlp import DataError, download

    name, content = "train-images-idx3-ubyte", b"images"
    monkeypatch.setattr(download, "FILES", {name: download.md5(content)})
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv(download.MIRROR_ENV, str(mirror))  # empty: offline
    raw = download.raw_folder(tmp_path / "data")
    raw.mkdir(parents=True)
    (raw / "train-images.idx3-ubyte").write_bytes(b"corrupt")  # its md5 is checked
    with (pytest.warns(UserWarning, match="train-images.idx3-ubyte is corrupt"),
          pytest.raises(DataError, match="could not fetch MNIST file")):
        download.load_raw(tmp_path / "data")
    (raw / "train-images.idx3-ubyte").write_bytes(content)
    assert download.load_raw(tmp_path / "data") == {name: content}
    (raw / "train-images.idx3-ubyte").unlink()
    (mirror / f"{name}.gz").write_bytes(gzip.compress(content))  # a mirror that answers
    os.mkfifo(raw / name)
    with pytest.raises(DataError) as error:
        download.load_raw(tmp_path / "data")
    assert str(error.value) == (f"{raw / name} is not a regular file (a FIFO), not the MNIST "
                                f"file {name}: move it away, then run again")
    assert (raw / name).is_fifo() and sorted(p.name for p in raw.iterdir()) == [name]


def test_evaluate_refuses_what_it_cannot_replace_in_one_line_before_reading(tmp_path, capsys,
                                                                            monkeypatch):
    # a FIFO at errors.png, an immutable evaluation.json: a traceback, two figures written
    import errno
    import os

    from mnist_mlp import commands, files

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert main(["train", "C", "--hidden", "8", "--epochs", "1", "--out", str(tmp_path)]) == 0
    run = tmp_path / "C-seed0"
    os.mkfifo(run / "errors.png")
    capsys.readouterr()
    assert main(["evaluate", str(run)]) == 2
    assert capsys.readouterr().err == (
        f"error: {run / 'errors.png'} is not a regular file (a FIFO) where evaluate writes a "
        "file: move it away, then run evaluate again\n")
    assert not (run / "confusion_matrix.png").exists()
    (run / "errors.png").unlink()
    replace = os.replace

    def immutable(src, dst):  # chattr +i; on Windows, a file open in an image viewer
        if Path(dst).name == "evaluation.json":
            raise PermissionError(errno.EPERM, "Operation not permitted", str(src), None,
                                  str(dst))
        return replace(src, dst)

    monkeypatch.setattr(files.os, "replace", immutable)
    assert main(["evaluate", str(run)]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot write {run / 'evaluation.json'} (Operation not permitted); the file "
        "there cannot be replaced (read-only, or open in another program): move it away or "
        "close that program, then try again\n")
    assert not list(run.glob(".*.part")) and not (run / "evaluation.json").exists()


def test_a_long_legal_file_name_is_written_and_one_too_long_is_one_line(tmp_path, capsys):
    # .{name}.{pid}.part is 10 characters longer than the name: a legal name of 246-255
    # characters failed with a raw OSError naming the hidden temporary file
    import os

    from mnist_mlp.files import WriteError

    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    legal = tmp_path / ("a" * (limit - 3) + ".pt")
    assert save_weights(MLP(10, [4], 0.1), legal) == legal and legal.is_file()
    long = tmp_path / ("a" * limit + ".pt")
    with pytest.raises(WriteError) as error:
        save_weights(MLP(10, [4], 0.1), long)
    assert str(error.value) == (f"{long}: the file name is too long ({limit + 3} characters; at "
                                f"most {limit}): choose a shorter one")
    history = [{"epoch": n, "train_loss": 0.5, "val_loss": 0.4, "val_acc": 0.9}
               for n in range(1, 11)]
    run = hand_made_run(tmp_path / "E-seed0", history)
    out = tmp_path / ("s" * (limit - 5) + ".json")
    assert main(["collect", str(run), "--out", str(out)]) == 0 and out.is_file()
    capsys.readouterr()
    out = tmp_path / ("s" * limit + ".json")
    assert main(["collect", str(run), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (f"error: {out}: the file name is too long ({limit + 5} "
                                       f"characters; at most {limit}): choose a shorter one\n")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_fifo_where_the_checkpoint_goes_is_called_what_it_is(tmp_path, capsys, monkeypatch):
    # "is a folder where the checkpoint goes"
    import os

    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    fifo = tmp_path / "C-seed0.checkpoint.pt"
    os.mkfifo(fifo)
    for resume in ([], ["--resume"]):
        argv = ["train", "C", "--hidden", "8", "--epochs", "1", "--seeds", "0", "--out",
                str(tmp_path), *resume]
        assert main(argv) == 2
        assert capsys.readouterr().err == (f"error: {fifo} is not a regular file (a FIFO) where "
                                           "the checkpoint goes: move it away or choose another "
                                           "--out\n")
    assert [p.name for p in tmp_path.iterdir()] == [fifo.name]


@pytest.mark.parametrize("name", ["config.json", "metrics.json"])
@pytest.mark.parametrize("content", ["null", "[1]", '"x"'])
def test_a_run_file_that_holds_no_json_object_says_what_to_do(tmp_path, capsys, name, content):
    # "must hold a JSON object, as train writes it, got NoneType", and no next step
    history = [{"epoch": n, "train_loss": 0.5, "val_loss": 0.4, "val_acc": 0.9}
               for n in range(1, 11)]
    run = hand_made_run(tmp_path / "E-seed0", history)
    (run / name).write_text(content + "\n")
    assert main(["compare", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {run / name} ") and err.count("\n") == 1
    assert err.endswith(f"got {type(json.loads(content)).__name__}; restore it from a copy, or "
                        "train the run again\n")


# Probe 13 (session 8)
def test_a_folder_name_too_long_is_one_line_naming_it(tmp_path, capsys):
    from mnist_mlp.cli import main
    from mnist_mlp.files import WriteError

    folder = tmp_path / ("d" * 300)
    with pytest.raises(WriteError, match=r"a folder's name is too long \(300 characters; at "
                                         r"most 255\): choose a shorter one"):
        save_weights(MLP(2, [8], 0.1), folder / "w.pt")
    assert main(["train", "A", "--epochs", "1", "--out", str(folder)]) == 2
    assert "too long" in capsys.readouterr().err.strip().splitlines()[-1]


def test_show_confusion_matrix_names_no_other_helper_in_its_advice():
    from mnist_mlp import show_confusion_matrix

    with pytest.raises(ValueError, match=r"pass data itself \(data = MNIST\(...\)\), not its "
                                         r"loaders or batches$"):
        show_confusion_matrix(MLP(2, [8], 0.1), [])


# Probe 13's observations (session 9)
def test_the_same_weights_are_the_same_bytes_whatever_the_file_name(tmp_path):
    # torch named the zip's folder after the temporary file (with the pid): identical trainings
    # wrote model.pt files that differed in bytes
    model = MLP(2, [8], 0.1)
    first, second = save_weights(model, tmp_path / "a.pt"), save_weights(model, tmp_path / "b.pt")
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("helper", ["save_weights", "write_json"])
def test_a_link_is_written_through_not_replaced(tmp_path, helper):
    from mnist_mlp.files import write_json

    name = "w.pt" if helper == "save_weights" else "w.json"
    target, link = tmp_path / "shared" / name, tmp_path / name
    target.parent.mkdir()
    if helper == "save_weights":  # weights over weights, JSON over JSON (not another file)
        torch.save({"w": torch.zeros(1)}, target)
    else:
        target.write_text("[0]")
    old = target.read_bytes()
    link.symlink_to(target)
    save_weights(MLP(2, [8], 0.1), link) if helper == "save_weights" else write_json(link, [1])
    assert link.is_symlink() and target.read_bytes() != old
    assert sorted(p.name for p in target.parent.iterdir()) == [name]  # no .part left


@pytest.mark.parametrize("sizes, message", [
    (["8", "none"], "none (no hidden layer) stands alone: give --hidden-sizes 8 or "
                    "--hidden-sizes none"),
    (["none", "none"], "give none once")])
def test_none_beside_sizes_says_which_to_give(tmp_path, capsys, sizes, message):
    # "8 none" was told it "needs one or more layer sizes"
    with pytest.raises(SystemExit) as exit_:
        main(["train", "E", "--hidden", *sizes, "--out", str(tmp_path)])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.endswith(f"--hidden-sizes/--hidden: {message}\n")


def test_a_long_bad_value_in_a_history_is_named_not_cut(tmp_path):
    from mnist_mlp.checks import ConfigError
    from mnist_mlp.runs import check_history

    for value, said in [("x" * 500, "a text of 500 characters"), ([1] * 90, "a list of 90 values"),
                        ("0.9", "'0.9'")]:
        with pytest.raises(ConfigError, match=rf"epoch 3's val_acc is {said}$"):
            check_history([{"epoch": 3, "val_acc": value}])


def test_a_corrupt_file_beside_a_good_dot_named_copy_is_replaced_once(tmp_path, monkeypatch):
    # it was warned about on every run and never replaced
    from mnist_mlp import download

    name, content = "train-images-idx3-ubyte", b"images"
    monkeypatch.setattr(download, "FILES", {name: download.md5(content)})
    monkeypatch.setenv(download.MIRROR_ENV, str(tmp_path / "offline"))
    raw = download.raw_folder(tmp_path / "data")
    raw.mkdir(parents=True)
    (raw / name).write_bytes(b"corrupt")
    (raw / "train-images.idx3-ubyte").write_bytes(content)
    with pytest.warns(UserWarning, match=f"{name} is corrupt"):
        assert download.load_raw(tmp_path / "data") == {name: content}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second run: nothing to warn about
        assert download.load_raw(tmp_path / "data") == {name: content}
    assert (raw / name).read_bytes() == content


def test_an_empty_folder_in_a_files_place_is_told_to_move_away(tmp_path, monkeypatch):
    # it was told to "put the file it holds in its place"
    from mnist_mlp import DataError, download

    name = "train-images-idx3-ubyte"
    monkeypatch.setattr(download, "FILES", {name: download.md5(b"images")})
    folder = download.raw_folder(tmp_path / "data") / name
    folder.mkdir(parents=True)
    with pytest.raises(DataError, match=rf"^{folder} is a folder, not the MNIST file {name}: "
                                        r"move it away \(it holds no such file\), then run "
                                        r"again$"):
        download.load_raw(tmp_path / "data")


# Probe 14 (session 9)
@pytest.mark.parametrize("argv", [["train", "C", "--out", ""], ["clean-statistics", "x", "--out",
                                                                 " "],
                                  ["collect", "x", "--out", ""], ["evaluate", ""]])
def test_an_empty_path_is_refused_not_read_as_the_current_folder(tmp_path, capsys, monkeypatch,
                                                                 argv):
    # `--out "$OUT"` with OUT unset trained into the current folder
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and list(tmp_path.iterdir()) == []
    err = capsys.readouterr().err
    assert "is empty (an unset shell variable?): name " in err and err.count("\n") == 1


def test_one_image_in_any_common_layout_is_read_as_one_image():
    # H x W x 1 (Keras, OpenCV), grey with alpha, a batch of one: "pass digits one at a time"
    from mnist_mlp.digits import grey

    digit = np.zeros((28, 28))
    digit[5:22, 12:16] = 255
    expected = to_mnist(digit)
    assert torch.equal(to_mnist(digit[..., None]), expected)
    assert torch.equal(to_mnist(torch.tensor(digit)[None, None]), expected)
    opaque = np.stack([255 - digit, np.full_like(digit, 255)], axis=-1)  # an LA PNG's array
    assert np.array_equal(grey(opaque), 255 - digit)
    transparent = np.stack([np.zeros_like(digit), digit], axis=-1)  # ink only in alpha
    assert np.array_equal(grey(transparent), 255 - digit)


@pytest.mark.parametrize("image, message", [
    (np.zeros((3, 64, 64)), r"got shape \(3, 64, 64\): several digits\? pass them one at a "
                            r"time, e.g. image\[0\]; a channel-first image \(ToTensor of a "
                            r"photo\)\? pass image.transpose\(1, 2, 0\)$"),
    (np.zeros((1, 3, 64, 64)), r"got shape \(1, 3, 64, 64\): .* pass "
                               r"image\[0\].transpose\(1, 2, 0\)$"),
    (torch.zeros(2, 28, 28), r"got shape \(2, 28, 28\): several digits\? pass them one at a "
                             r"time, e.g. image\[0\]; a channel-first image \(ToTensor of a "
                             r"photo\)\? pass image.permute\(1, 2, 0\)$"),
    (np.zeros(784), r"got shape \(784,\): a flattened image\? pass image.reshape\(28, 28\)$"),
    (np.zeros((1, 784)), r"got shape \(1, 784\): a flattened image\? pass "
                         r"image.reshape\(28, 28\)$"),
    (np.zeros((784, 1)), r"a flattened image\? pass image.reshape\(28, 28\)$"),
    (np.zeros((5, 28, 28)), r"several images\? pass them one at a time, e.g. images\[0\]$")])
def test_shapes_of_no_one_image_name_what_they_may_be(image, message):
    with pytest.raises(ValueError, match=message):
        to_mnist(image)


def test_fit_to_box_refuses_a_background_that_is_not_0():
    # dark ink on light paper came back as a 20 x 20 block of 255 with the digit as a hole;
    # light ink on a grain of 1-3 (a JPEG), as a digit shrunk in a corner of the box
    from mnist_mlp.digits import fit_to_box

    digit = np.zeros((28, 28))
    digit[5:22, 12:16] = 200
    digit[5:22, 16] = 90  # anti-aliasing
    grain = np.random.default_rng(0).integers(1, 4, digit.shape)
    for image in (255 - digit, digit + grain):
        with pytest.raises(ValueError, match=r"this image's background is not 0: dark ink on "
                                             r"light paper\? invert it"):
            fit_to_box(image)
    assert fit_to_box(digit).max() == 200
    assert fit_to_box(digit[5:22, 12:17]).max() == 200  # a tight crop: its frame is ink
    assert fit_to_box(np.full((17, 4), 200.0)).sum() > 0  # a bar cropped to itself


def test_a_gz_of_another_file_is_named_before_it_is_fetched_again(tmp_path, monkeypatch):
    # a whole gzip file of another MNIST file was dropped without a word
    import gzip

    from mnist_mlp import DataError, download

    name = "train-labels-idx1-ubyte"
    monkeypatch.setattr(download, "FILES", {name: download.md5(b"labels")})
    monkeypatch.setenv(download.MIRROR_ENV, str(tmp_path / "offline"))
    raw = download.raw_folder(tmp_path / "data")
    raw.mkdir(parents=True)
    (raw / f"{name}.gz").write_bytes(gzip.compress(b"other labels"))
    with (pytest.warns(UserWarning, match=rf"{name}.gz holds another file \(md5 "
                                          rf"{download.md5(b'other labels')}, expected "),
          pytest.raises(DataError)):
        download.load_raw(tmp_path / "data")


def test_write_json_writes_numpy_and_torch_values_and_names_what_json_cannot_hold(tmp_path):
    # json's "Object of type float32 is not JSON serializable", NaN's "Out of range float values"
    from mnist_mlp.files import write_json

    path = tmp_path / "s.json"
    write_json(path, {"p": np.float32(0.5), "a": np.arange(3), "t": torch.tensor([1.5, 2.0])})
    assert json.loads(path.read_text()) == {"p": 0.5, "a": [0, 1, 2], "t": [1.5, 2.0]}
    with pytest.raises(ValueError, match=rf"^cannot write {path}: the value\['a'\]\[1\] is nan: "
                                         r"JSON has no NaN or infinity"):
        write_json(path, {"a": [1, float("nan")]})
    with pytest.raises(TypeError, match=r"the value\['s'\] is a value of type set, not a JSON "
                                        "value"):
        write_json(path, {"s": {1}})
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="the value holds itself, or is nested too deep"):
        write_json(path, loop)
    with pytest.raises(ValueError, match="the value is a dict with the key nan: JSON has no"):
        write_json(path, {float("nan"): 1})
    write_json(tmp_path / "counts.json", dict(zip(*np.unique([3, 3, 7], return_counts=True))))
    assert json.loads((tmp_path / "counts.json").read_text()) == {"3": 2, "7": 1}
    with pytest.raises(ValueError, match="^the path to write must be a str or a Path, got "
                                         "NoneType$"):
        write_json(None, {})
    assert json.loads(path.read_text())["p"] == 0.5  # nothing replaced


def test_a_json_file_nested_too_deep_is_one_line(tmp_path, capsys):
    # RecursionError's traceback, exit 1
    run = hand_made_run(tmp_path / "E-seed0", [{"epoch": n, "train_loss": 0.5, "val_loss": 0.4,
                                                "val_acc": 0.9} for n in range(1, 11)])
    metrics = json.loads((run / "metrics.json").read_text())
    (run / "metrics.json").write_text(json.dumps(metrics)[:-1] + ', "x": '
                                      + "[" * 100000 + "]" * 100000 + "}")
    assert main(["compare", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {run / 'metrics.json'} is not readable JSON (maximum "
                          "recursion depth") and err.count("\n") == 1


def _flip_a_tensor_byte(path):
    """Flip one byte inside the largest tensor record of the torch file at `path`."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        info = max(archive.infolist(), key=lambda i: i.file_size)
    data = bytearray(path.read_bytes())
    data[info.header_offset + 200 + info.file_size // 2] ^= 0x10  # past the local header
    path.write_bytes(bytes(data))
    return info.filename


def test_a_flipped_byte_in_weights_or_a_checkpoint_is_called_corrupt(tmp_path):
    # torch.load does not check the zip's CRCs: --resume went on with a changed Adam average
    from mnist_mlp.checkpoints import KEYS
    from mnist_mlp.runs import RunError, load_weights

    path = save_weights(MLP(10, [64], 0.1), tmp_path / "w.pt")
    record = _flip_a_tensor_byte(path)
    with pytest.raises(RunError, match=rf"w.pt is corrupt \(its part {record} does not match "
                                       "its checksum\\); pass the file"):
        load_weights(MLP(10, [64], 0.1), path)
    state = dict.fromkeys(KEYS, 0) | {"model": MLP(10, [64], 0.1).state_dict()}
    checkpoint = tmp_path / "C-seed0.checkpoint.pt"
    torch.save(state, checkpoint)
    record = _flip_a_tensor_byte(checkpoint)
    with pytest.raises(CheckpointError, match=rf"is corrupt \(its part {record} does not match "
                                              "its checksum\\): if it is this run's, delete it"):
        read_checkpoint(checkpoint)


def test_a_subnormal_setting_is_refused_by_the_parser(capsys, tmp_path):
    # it passed argparse, then after flush_denormals Config said "got 0.0" after "training ..."
    with pytest.raises(SystemExit) as exit_:
        main(["train", "C", "--lr", "1e-310", "--out", str(tmp_path)])
    assert exit_.value.code == 2
    assert capsys.readouterr() == ("", "python -m mnist_mlp train: error: argument --lr: must be "
                                   "a finite number > 0, got '1e-310' (a number under 2.2e-308, "
                                   "too small to compute with)\n")
    # where the process flushes subnormals (an earlier test, a notebook after start()), Python
    # itself prints 1e-310 as 0.0: the hint says why
    with pytest.raises(ConfigError, match=r"got (1e-310|0\.0) \(a number under 2.2e-308"):
        Config(lr=1e-310)


def test_names_that_collide_are_refused_or_kept_apart(tmp_path, capsys):
    from mnist_mlp.pad import DrawingPad

    with pytest.raises(ValueError, match=r"1, '1' share one: name them apart$"):
        DrawingPad({1: MLP(10, [4], 0.1), "1": MLP(10, [4], 0.1)})
    history = [{"epoch": n, "train_loss": 0.5, "val_loss": 0.4, "val_acc": 0.9}
               for n in range(1, 11)]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    runs = [hand_made_run(tmp_path / f / "E-seed0", history) for f in "ab"]
    config = json.loads((runs[1] / "config.json").read_text())
    (runs[1] / "config.json").write_text(json.dumps({**config, "lr": 0.01}))  # a variant
    out = tmp_path / "s.json"
    assert main(["collect", *map(str, runs), "--out", str(out)]) == 0
    assert sorted(r["run"] for r in json.loads(out.read_text())["runs"]) == list(map(str, runs))
    assert main(["collect", str(runs[0]), "--out", str(out)]) == 0
    assert capsys.readouterr().out.endswith("(1 run, 0 evaluated on the test set)\n")


def test_an_option_the_attack_lacks_is_one_line_before_any_batch():
    # fgsm(..., steps=3): Python's TypeError from inside the loop
    from mnist_mlp.attacks import accuracy_under_attack

    batches = [(torch.rand(4, 1, 28, 28), torch.tensor([1, 2, 3, 4]))]
    with pytest.raises(ValueError, match=r"^fgsm cannot take these options \(got an unexpected "
                                         r"keyword argument 'steps'\)$"):
        accuracy_under_attack(MLP(10, [8], 0.1).eval(), batches, fgsm, 0.1, steps=3)


# Probe 15 (session 9)
def test_a_damaged_zip_header_is_corrupt_not_a_traceback(tmp_path):
    # the checksum check itself raised UnicodeDecodeError (a record's name in its local header)
    # or NotImplementedError (a version field); a folder bit made torch read other numbers
    import zipfile

    from mnist_mlp.runs import RunError, load_weights

    path = save_weights(MLP(10, [8], 0.1), tmp_path / "w.pt")
    good = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("archive/data/0")
    entry = good.index(b"PK\x01\x02", good.index(b"PK\x01\x02") + 1)  # the index's second
    for offset, flip in [(info.header_offset + 30, 0x9E),  # the first byte of its name
                         (entry + 38, 0x10)]:  # a central entry's external attributes
        data = bytearray(good)
        data[offset] ^= flip
        path.write_bytes(bytes(data))
        with pytest.raises(RunError, match=r"w.pt is corrupt \(its (zip structure is damaged|"
                                           r"part \S+ is marked as a folder)"):
            load_weights(MLP(10, [8], 0.1), path)


def test_a_raw_mnist_link_to_another_file_is_replaced_itself(tmp_path, monkeypatch):
    # since links were written through, MNIST's labels overwrote Fashion-MNIST's of that name

    from mnist_mlp import download

    name, content = "train-labels-idx1-ubyte", b"labels"
    one_mnist_file(tmp_path, monkeypatch, name, content)
    fashion = tmp_path / "fashion" / name
    fashion.parent.mkdir()
    fashion.write_bytes(b"fashion labels")
    raw = download.raw_folder(tmp_path / "data")
    raw.mkdir(parents=True)
    (raw / name).symlink_to(fashion)
    with pytest.warns(UserWarning, match="is corrupt"):
        assert download.load_raw(tmp_path / "data") == {name: content}
    assert fashion.read_bytes() == b"fashion labels"
    assert not (raw / name).is_symlink() and (raw / name).read_bytes() == content


@pytest.mark.parametrize("channels", [1, 3])
def test_sixteen_bit_alpha_is_read_on_its_own_scale(channels):
    # a 16-bit PNG's alpha was divided by 255: the transparent margin read as dark ink
    from mnist_mlp.digits import grey

    ink = np.zeros((60, 60))
    ink[20:40, 28:32] = 1
    opaque = np.zeros_like(ink)
    opaque[10:50, 10:50] = 1
    paper = np.repeat(((1 - ink) * 65535)[..., None], channels, axis=-1)
    image = np.concatenate([paper, opaque[..., None] * 65535], axis=-1).astype(np.uint16)
    assert grey(image).min() == 0 and grey(image).max() == pytest.approx(65535)
    assert torch.allclose(to_mnist(image), to_mnist(((1 - ink) * 65535).astype(np.uint16)),
                          atol=1e-6)


def test_a_setting_that_vanishes_to_0_is_refused_where_0_is_allowed(capsys, tmp_path):
    # --vat 1e-400 was read as 0 (VAT off) where 1e-310 was refused
    with pytest.raises(SystemExit):
        main(["train", "C", "--vat", "1e-400", "--out", str(tmp_path)])
    assert capsys.readouterr().err.endswith("argument --vat: must be a finite number >= 0, got "
                                            "'1e-400' (a number under 2.2e-308, too small to "
                                            "compute with)\n")


def test_an_attack_without_eps_and_smallest_flips_options_are_one_line():
    from mnist_mlp.attacks import accuracy_under_attack, smallest_flip

    model, batches = MLP(10, [8], 0.1).eval(), [(torch.rand(4, 1, 28, 28), torch.arange(4))]
    with pytest.raises(ValueError, match=r"^<lambda> must take \(model, X, y, eps\), as fgsm "
                                         r"and pgd do \(too many positional arguments\)$"):
        accuracy_under_attack(model, batches, lambda model, X, y: X, 0.1)
    with pytest.raises(ValueError, match=r"^fgsm cannot take these options \(got an unexpected "
                                         r"keyword argument 'steps'\)$"):
        smallest_flip(model, torch.rand(28, 28), steps=3)


# Probe 16 (session 9)
@pytest.mark.parametrize("shape, message", [
    ((1, 785), r"a flattened image with a label first \(a CSV row\)\? drop the label: "
               r"image.ravel\(\)\[1:\].reshape\(28, 28\)$"),
    ((2, 784), r"rows of flattened images\? pass one, image\[0\].reshape\(28, 28\)$"),
    ((1, 60), r"a line of values, not an image of a digit: pass an H x W image$")])
def test_rows_of_values_are_not_read_as_an_image_one_pixel_tall(shape, message):
    # Kaggle's CSV row (label first) and X[:2] of flattened rows were read as 1-3 px tall digits
    from mnist_mlp.digits import fit_to_box

    for helper in (to_mnist, fit_to_box):
        with pytest.raises(ValueError, match=rf"^got shape \({shape[0]}, {shape[1]}\): {message}"):
            helper(np.ones(shape))


def test_fit_to_box_takes_a_soft_edge_cropped_tight_as_ink():
    # a rule for grain lighting part of the frame refused blurred digits cropped tight: the
    # soft edge is ink, as MNIST's own anti-aliasing is
    from PIL import ImageFilter

    from mnist_mlp.digits import fit_to_box

    digit = np.zeros((28, 28), np.uint8)
    digit[4:24, 12:16] = 255
    soft = np.asarray(Image.fromarray(digit).filter(ImageFilter.GaussianBlur(1)), float)
    rows, cols = np.nonzero(soft)
    assert fit_to_box(soft[rows.min():rows.max() + 1, cols.min():cols.max() + 1]).max() > 0


def test_a_float_rgba_image_a_little_over_1_keeps_its_alpha_scale():
    # bicubic's overshoot to 1.002 divided the alpha by 255: the image read as all paper
    from mnist_mlp.digits import grey

    ink = np.zeros((40, 40))
    ink[10:30, 18:22] = 1
    rgba = np.dstack([1 - ink] * 3 + [np.ones_like(ink)])
    rgba[0, 0, :3] = 1.002
    assert grey(rgba)[15, 20] == pytest.approx(0) and grey(rgba)[5, 5] == pytest.approx(1)


def test_write_json_refuses_keys_that_become_one_and_writes_deep_plain_values(tmp_path):
    from mnist_mlp.files import write_json

    counts = {}
    for label in torch.tensor([3, 3, 7, 3]):  # a tensor is a key by identity: four keys
        counts[label] = counts.get(label, 0) + 1
    with pytest.raises(ValueError, match=r"two keys are both 3 as numbers .*: count with "
                                         r"key.item\(\)$"):
        write_json(tmp_path / "c.json", counts)
    assert not (tmp_path / "c.json").exists()
    deep = value = []
    for _ in range(600):  # json writes it; a copy of it first must not hit the recursion limit
        value.append([])
        value = value[0]
    write_json(tmp_path / "d.json", deep)
    assert json.loads((tmp_path / "d.json").read_text()) == deep


def test_a_corrupt_raw_file_that_is_a_link_says_the_link_is_replaced(tmp_path, monkeypatch):
    from mnist_mlp import download

    name, content = "train-labels-idx1-ubyte", b"labels"
    monkeypatch.setattr(download, "FILES", {name: download.md5(content)})
    monkeypatch.setenv(download.MIRROR_ENV, str(tmp_path / "offline"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"damaged")
    raw = download.raw_folder(tmp_path / "data")
    raw.mkdir(parents=True)
    (raw / name).symlink_to(elsewhere)
    (raw / "train-labels.idx1-ubyte").write_bytes(content)
    with pytest.warns(UserWarning, match=rf"\(a link to {elsewhere}, which is left as it is: "
                                         r"the link is replaced by a good copy\)"):
        download.load_raw(tmp_path / "data")
    assert elsewhere.read_bytes() == b"damaged" and (raw / name).read_bytes() == content


# Probe 17 (session 9)
def test_write_json_refuses_keys_that_json_writes_alike(tmp_path):
    # {"3": 10, 3: 5} was written with "3" twice: read back, the 10 was lost without a word
    from mnist_mlp.files import write_json

    for value in ({"3": 10, 3: 5}, {"a": {True: 1, "true": 2}}, {None: 1, "null": 2}):
        with pytest.raises(ValueError, match=r"two keys of one dict are both '\w+' as JSON text"):
            write_json(tmp_path / "k.json", value)
    assert not (tmp_path / "k.json").exists()
    write_json(tmp_path / "k.json", {"3": 10, 4: 5})
    assert json.loads((tmp_path / "k.json").read_text()) == {"3": 10, "4": 5}


def test_confusion_matrix_takes_arrays_and_lists_as_scikit_learns_does():
    # NumPy arrays raised AttributeError ('numpy.ndarray' object has no attribute 'unique')
    from mnist_mlp.evaluation import confusion_matrix

    for kind in (np.array, list, torch.tensor):
        assert confusion_matrix(kind([0, 1, 2]), kind([0, 2, 2]), 3).tolist() == [
            [1, 0, 0], [0, 0, 1], [0, 0, 1]]
    with pytest.raises(ValueError, match="a label, 11, is beyond the matrix's 10 classes"):
        confusion_matrix(np.array([0, 11]), np.array([0, 1]), 10)


def test_a_second_variant_of_a_preset_in_one_out_is_named_not_advised_force(tmp_path, capsys,
                                                                             monkeypatch):
    # "already exists: pass --force to replace it": the other variant, deleted by that advice
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    argv = ["train", "C", "--epochs", "1", "--out", str(tmp_path)]
    assert main([*argv, "--hidden", "8"]) == 0
    capsys.readouterr()
    assert main([*argv, "--hidden", "16"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {tmp_path / 'C-seed0'} holds C with other settings (hidden_sizes [8] there, "
        "[16] here): to keep both, choose another --out (an --out holds one recipe of each "
        "preset and seed); --force would delete it")
    assert main([*argv, "--hidden", "8"]) == 2  # the same run: --resume keeps it
    assert "pass --force to replace it, --resume to keep" in capsys.readouterr().err


def test_a_root_that_is_the_folder_holding_mnist_is_told_to_name_the_one_above(tmp_path,
                                                                                monkeypatch):
    # MNIST(root=".../MNIST/raw") was told only to check the mirror, its files lying in root
    import gzip

    from mnist_mlp import DataError, download

    name, content = "train-labels-idx1-ubyte", b"labels"
    monkeypatch.setattr(download, "FILES", {name: download.md5(content)})
    monkeypatch.setenv(download.MIRROR_ENV, str(tmp_path / "offline"))
    raw = download.raw_folder(tmp_path / "data")
    raw.mkdir(parents=True)
    (raw / f"{name}.gz").write_bytes(gzip.compress(content))
    for root in (raw, raw.parent):
        with pytest.raises(DataError, match=rf"^{raw} holds MNIST's files, but they are read "
                                            rf"from {download.raw_folder(root)} \(root is the "
                           rf".*: name the folder above MNIST/: root={tmp_path / 'data'}$"):
            download.load_raw(root)
    assert download.load_raw(tmp_path / "data") == {name: content}
    loose = tmp_path / "downloads"  # the files in a folder of their own: a mirror
    loose.mkdir()
    (loose / name).write_bytes(content)
    with pytest.raises(DataError, match=rf": move them into {download.raw_folder(loose)}, or "
                                        rf"set MNIST_MLP_MIRROR={loose} \(they are copied"):
        download.load_raw(loose)
    monkeypatch.setenv(download.MIRROR_ENV, str(loose))
    assert download.load_raw(loose) == {name: content}


def test_a_size_mismatch_names_both_concrete_fixes():
    # "e.g. MNIST(resize=(32, 32)) for num_inputs=32 * 32": followed literally, the same error
    X, y = torch.rand(4, 1, 14, 14), torch.tensor([0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"takes 784: build the data at the model's size "
                                         r"\(MNIST\(resize=28\)\) or the model at the data's "
                                         r"\(num_inputs=196\)$"):
        evaluate_accuracy(MLP(10, [8], 0.1, "relu"), [(X, y)])


def test_load_weights_names_a_file_of_another_kind_and_weights_kept_inside(tmp_path):
    # config.json or curves.png was "corrupt or cut short"; {'model': sd} and model.net's
    # weights got a bare list of missing keys
    from mnist_mlp.runs import RunError, load_weights

    model = MLP(10, [8], 0.1, "relu")
    (tmp_path / "config.json").write_text('{"lr": 0.1}')
    Image.new("L", (4, 4)).save(tmp_path / "curves.png")
    np.save(tmp_path / "a.npy", np.zeros(3))
    for name, kind in (("config.json", "a JSON file"), ("curves.png", "a PNG image"),
                       ("a.npy", "a NumPy file")):
        with pytest.raises(RunError, match=rf"{name} is {kind}.*, not weights; pass the file "
                                           "save_weights wrote for this model$"):
            load_weights(model, tmp_path / name)
    torch.save({"model": model.state_dict(), "step": 3}, tmp_path / "wrapped.pt")
    with pytest.raises(RunError, match=r"holds its weights in the entry 'model': "
                                       r"model.load_state_dict\(torch.load\(path\)\['model'\]\)"):
        load_weights(model, tmp_path / "wrapped.pt")
    torch.save(model.net.state_dict(), tmp_path / "net.pt")
    with pytest.raises(RunError, match=r"holds the weights of the model's 'net' part \(saved "
                                       r"from model.net\): load them into model.net"):
        load_weights(model, tmp_path / "net.pt")
    load_weights(model.net, tmp_path / "net.pt")  # as the message says


def test_to_mnist_of_none_or_an_open_file_gets_advice_that_applies(tmp_path):
    # both were told to convert them "with np.asarray(image, float)"
    with pytest.raises(ValueError, match="^got None, not an image: no image was given"):
        to_mnist(None)
    Image.new("L", (28, 28)).save(tmp_path / "d.png")
    with open(tmp_path / "d.png", "rb") as file, pytest.raises(
            ValueError, match=r"^got an open file, not an image: .*PIL.Image.open\(file\)$"):
        to_mnist(file)


@pytest.mark.parametrize("argv, hint", [
    (["--lr", "0,1"], "got '0,1' (write it with a decimal point: 0.1)"),
    (["--val-split", "10,000"], "got '10,000' (write it without a thousands separator: 10000)"),
    (["--hidden", "256,256"],
     "got '256,256': separate the sizes with spaces, e.g. --hidden 256 256"),
    (["--seeds", "0,1,2"], "got '0,1,2': separate the seeds with spaces, e.g. --seeds 0 1 2"),
    (["--seed", "1,5"], "got '1,5'"),  # a whole number: no decimal point to advise
    (["--batch-norm=false"], "ignored explicit argument 'false' (a switch takes no value: "
                             "--batch-norm or --no-batch-norm)"),
])
def test_numbers_written_with_commas_and_a_switch_given_a_value_get_a_hint(argv, hint, capsys):
    # Portuguese (and --help's "60,000") write commas; each got only "must be ..., got '0,1'"
    with pytest.raises(SystemExit):
        main(["train", "C", *argv])
    assert capsys.readouterr().err.rstrip().endswith(hint)


def test_smallest_flip_says_divide_by_255_and_names_most():
    # a uint8 digit got "must be in [0, 1]" without the fix; most=2 was reported as "eps"
    model = MLP(10, [8], 0.1, "relu").eval()
    digit = np.zeros((28, 28), np.uint8)
    digit[10:18, 12:16] = 255
    with pytest.raises(ValueError, match=r"go from 0 to 255 \(grey levels 0 to 255: divide "
                                         r"them by 255, or read a photo with to_mnist\)$"):
        smallest_flip(model, digit)
    with pytest.raises(ValueError, match=r"^most must be .*got 2"):
        smallest_flip(model, digit / 255, most=2)


def test_a_pattern_the_shell_left_unexpanded_is_named_as_one(tmp_path, capsys, monkeypatch):
    # compare 'runs/C-seed*' (cmd, PowerShell, or quoted) was "not a run folder"
    for seed in (0, 1):
        (tmp_path / "runs" / f"C-seed{seed}").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main(["compare", "runs/C-seed*"])
    assert capsys.readouterr().err.rstrip().endswith(
        "runs/C-seed* is a pattern the shell did not expand (cmd and PowerShell do not): name "
        "the folders, e.g. runs/C-seed0 runs/C-seed1")
    with pytest.raises(SystemExit):
        main(["compare", "runs/D-seed*"])
    assert "runs/D-seed* matches no folder: check the path" in capsys.readouterr().err


def test_image_grid_refuses_more_titles_than_images():
    # four titles for three images drew three without a word; fewer label the first images
    images = [np.zeros((28, 28))] * 3
    with pytest.raises(ValueError, match="titles has 4 entries for 3 images: give at most one"):
        image_grid(images, titles=["a", "b", "c", "d"])
    import matplotlib.pyplot as plt

    grid = image_grid(images, titles=["a"], cols=3)
    assert [ax.get_title() for ax in grid.figure_.axes] == ["a", "", ""]
    plt.close("all")


def test_a_sheet_on_a_dark_desk_is_read_as_its_digit_not_a_white_square():
    # the dark desk all round read as an evenly dark ground, the sheet as light ink: to_mnist
    # gave a white square with the digit inside, and a model answered 8 to nearly every digit
    yy, xx = np.mgrid[:320, :320]
    ring = np.abs(np.hypot((yy - 160) / 1.4, xx - 160) - 70) < 14  # a "0", dark on the paper
    sheet = np.where(ring, 30, 235).astype(np.uint8)
    alone = to_mnist(sheet)

    def turned(fill):  # the sheet photographed at an angle, on a desk or as paper alone
        return np.asarray(Image.fromarray(np.pad(sheet, 10, constant_values=fill)).rotate(
            12, Image.BILINEAR, expand=True, fillcolor=fill))

    for desk, paper in ((np.pad(sheet, 40, constant_values=60), alone),
                        (np.pad(sheet, ((40, 40), (40, 0)), constant_values=60), alone),
                        (turned(60), to_mnist(turned(235)))):
        digit = to_mnist(desk)
        assert (digit > 0.5).float().mean() < 0.3  # not a lit square
        assert np.corrcoef(digit.ravel(), paper.ravel())[0, 1] > 0.9
    chalk = 255 - sheet[40:-40, 60:-60]  # a light "0" on an evenly dark ground: still its ink
    assert np.corrcoef(to_mnist(chalk).ravel(), alone.ravel())[0, 1] > 0.9


def test_collect_out_keeps_a_results_file_that_holds_runs_but_is_no_summary(tmp_path, capsys,
                                                                           monkeypatch):
    # any JSON with a list "runs" and an "environment" was replaced: results/pgd_forte_*.json
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert main(["train", "C", "--hidden", "8", "--epochs", "1", "--out", str(tmp_path)]) == 0
    theirs = tmp_path / "pgd.json"
    text = json.dumps({"commands": ["x"], "runs": [{"run": "E-seed0", "clean": 0.98}],
                       "attack": {"steps": 20}, "environment": {}})
    theirs.write_text(text)
    argv = ["collect", str(tmp_path / "C-seed0"), "--out"]
    assert main([*argv, str(theirs)]) == 2
    assert "is not a summary `collect` wrote" in capsys.readouterr().err
    assert theirs.read_text() == text
    assert main([*argv, str(tmp_path / "s.json")]) == 0  # collect's own: replaced
    assert main([*argv, str(tmp_path / "s.json")]) == 0


def test_a_projects_own_config_json_above_out_is_not_taken_for_a_run_folder(tmp_path, capsys,
                                                                           monkeypatch):
    # myproject/config.json ({"name": ...}) made every --out below it "inside the run folder"
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    project = tmp_path / "myproject"
    project.mkdir()
    (project / "config.json").write_text('{"name": "my project", "version": 1}')
    runs = project / "runs"
    assert main(["train", "C", "--hidden", "8", "--epochs", "1", "--out", str(runs)]) == 0
    assert main(["collect", str(runs / "C-seed0"), "--out", str(project / "s.json")]) == 0
    capsys.readouterr()
    assert main(["train", "C", "--hidden", "8", "--epochs", "1", "--out",
                 str(runs / "C-seed0" / "more")]) == 2  # a real run folder: still refused
    assert f"is inside the run folder {runs / 'C-seed0'}" in capsys.readouterr().err


def test_the_pads_switches_can_be_set_when_it_is_built():
    # DrawingPad(model, raw=True) raised AttributeError: 'DrawingPad' object has no attribute
    # 'models' (the switch's observer ran before the models were kept)
    pytest.importorskip("anywidget")
    from mnist_mlp.pad import DrawingPad

    model = MLP(10, [8], 0.1, "relu").eval()
    for switches in ({"raw": True}, {"attack": True}, {"raw": False, "attack": False}):
        pad = DrawingPad(model, **switches)
        assert pad.result["state"] == "hint"
        assert {key: pad.result[key] for key in switches} == switches


def test_a_kaggle_download_named_as_mirror_is_read_as_the_advice_says(tmp_path, monkeypatch):
    # "set MNIST_MLP_MIRROR=kaggle", followed, failed: the mirror took no train-images.idx3-ubyte
    from mnist_mlp import DataError, download

    name, content = "train-images-idx3-ubyte", b"images"
    monkeypatch.setattr(download, "FILES", {name: download.md5(content)})
    monkeypatch.setenv(download.MIRROR_ENV, str(tmp_path / "offline"))
    kaggle = tmp_path / "kaggle"
    kaggle.mkdir()
    (kaggle / "train-images.idx3-ubyte").write_bytes(content)
    with pytest.raises(DataError, match=rf"or set MNIST_MLP_MIRROR={kaggle} \(they are copied"):
        download.load_raw(kaggle)
    monkeypatch.setenv(download.MIRROR_ENV, str(kaggle))
    assert download.load_raw(kaggle) == {name: content}


def test_a_path_with_a_pasted_space_and_a_folder_of_runs_are_named(tmp_path, capsys,
                                                                   monkeypatch):
    # --out "runs " made a folder "runs "; compare runs (the folder of runs) said
    # "runs/config.json is missing"; a path that does not exist was "not a run folder"
    from mnist_mlp import commands

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main(["train", "C", "--out", "runs "])
    assert "'runs ' begins or ends with a space (pasted?): write 'runs'" in \
        capsys.readouterr().err
    for name in ("C-seed0", "F-seed0"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text("{}")
    assert main(["compare", str(tmp_path)]) == 2
    assert f"{tmp_path} holds run folders (C-seed0, F-seed0): name them, e.g. " \
           f"{tmp_path / 'C-seed0'} or {tmp_path}/*/" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "nope")]) == 2
    assert f"{tmp_path / 'nope'} does not exist" in capsys.readouterr().err


def test_fit_refuses_a_folder_checkpoint_and_its_size_advice_works_for_a_preset(tmp_path):
    # fit(checkpoint="ckpts/") wrote a file named ckpts; "build it with num_inputs=196" was
    # advice that PRESETS["C"].model() refused (an unexpected keyword argument)
    from mnist_mlp.presets import PRESETS

    with pytest.raises(ValueError, match=r"ckpts/ names a folder: name the file to write in it"):
        fit(PRESETS["C"].replace(hidden_sizes=(8,)).model(), TinyMNIST(batch_size=32), 1,
            checkpoint=f"{tmp_path}/ckpts/", settings={"run": 1})
    assert not (tmp_path / "ckpts").exists()
    assert PRESETS["C"].model(num_inputs=196).net[1].in_features == 196


def test_png_url_takes_what_to_mnist_returns():
    # png_url(to_mnist(img)) raised AttributeError: 'Tensor' object has no attribute 'astype'
    from mnist_mlp.pad import png_url

    digit = torch.zeros(1, 28, 28)
    digit[0, 8:20, 12:16] = 1
    url = png_url(digit)
    assert url == png_url(digit[0]) == png_url(digit.numpy()) == png_url(digit[0].numpy())
    assert url.startswith("data:image/png;base64,")
    with pytest.raises(ValueError, match=r"png_url takes one image .* got shape \(2, 28, 28\)"):
        png_url(torch.zeros(2, 28, 28))


def test_load_weights_names_npz_zip_and_text_files(tmp_path):
    # they were "corrupt or cut short", in torch's internal wording ([enforce fail at ...])
    import zipfile

    from mnist_mlp.runs import RunError, load_weights

    np.savez(tmp_path / "w.npz", a=np.zeros(3))
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as archive:
        archive.writestr("notes.txt", "hello")
    (tmp_path / "t.txt").write_text("epoch 1 loss 0.3\n")
    for name, kind in (("w.npz", "a NumPy archive"), ("z.zip", "a zip archive that torch did "
                                                               "not write"),
                       ("t.txt", "a text file")):
        with pytest.raises(RunError, match=rf"{name} is {kind}.*, not weights"):
            load_weights(MLP(10, [8], 0.1), tmp_path / name)
    model = MLP(10, [8], 0.1)
    torch.save(model.state_dict(), tmp_path / "cut.pt")
    (tmp_path / "cut.pt").write_bytes((tmp_path / "cut.pt").read_bytes()[:-200])
    with pytest.raises(RunError, match="cut.pt is corrupt or cut short"):
        load_weights(model, tmp_path / "cut.pt")


def test_white_strokes_on_a_transparent_background_are_read_as_the_digit():
    # a dark theme's drawing: "the image is all one colour (255): there is no digit in it"
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[60:220, 130:150, 3] = 255  # a "1", in the alpha alone
    on_black = rgba[..., :3] * (rgba[..., 3:] / 255)
    expected = to_mnist(on_black.astype(np.uint8))
    for image in (rgba, Image.fromarray(rgba)):
        assert torch.allclose(to_mnist(image), expected, atol=1e-6)
    rgba[..., :3] = 0  # black strokes on transparent: over white paper, as before
    assert torch.allclose(to_mnist(rgba), expected, atol=1e-6)


def test_quoted_data_variables_and_roots_with_spaces_are_refused(tmp_path, monkeypatch):
    # %env MNIST_MLP_DATA="/x" keeps the quotes: MNIST went into ./"/x"/MNIST/raw, fetched
    # again; MNIST(root="/x ") made a folder "x " with a second copy
    from mnist_mlp import DataError, download

    monkeypatch.chdir(tmp_path)
    for name in (download.DATA_ENV, download.MIRROR_ENV):
        if name == download.MIRROR_ENV:  # a data folder to fetch into
            monkeypatch.setenv(download.DATA_ENV, str(tmp_path / "data"))
        monkeypatch.setenv(name, f'"{tmp_path}/d"')
        with pytest.raises(DataError, match=rf"^{name} is \"{tmp_path}/d\", quotes included "
                                            rf"\(Jupyter's %env keeps them\): set it without "
                                            rf"them, e.g. %env {name}={tmp_path}/d$"):
            download.load_raw()
        monkeypatch.delenv(name)
    for root in (f"{tmp_path}/d ", f" {tmp_path}/d", f"'{tmp_path}/d'"):
        with pytest.raises(ValueError, match="leave out the surrounding spaces or quotes"):
            download.load_raw(root)
    assert list(tmp_path.iterdir()) == []  # no folder made


def test_to_mnist_turns_a_phone_photo_upright_by_its_exif_tag(tmp_path):
    # a portrait photo stored sideways with Orientation 6 was read sideways: 7 of 50 right
    upright = np.full((120, 80), 235, np.uint8)
    upright[20:100, 36:44] = 20  # a "1"
    upright[20:28, 28:44] = 20
    sideways = Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to show it
    sideways.save(tmp_path / "phone.jpg", exif=exif, quality=95)
    with Image.open(tmp_path / "phone.jpg") as photo:
        read = to_mnist(photo)
    assert np.corrcoef(read.ravel(), to_mnist(upright).ravel())[0, 1] > 0.95


def test_start_expands_the_home_folder_and_refuses_a_number(tmp_path, monkeypatch):
    from mnist_mlp.notebook import start

    monkeypatch.delenv("MNIST_MLP_SCHEDULE", raising=False)
    for folder in ("mnist_mlp", "results", "notebooks"):
        (tmp_path / "mnist-mlp" / folder).mkdir(parents=True)
    (tmp_path / "mnist-mlp" / "mnist_mlp" / "__init__.py").touch()
    monkeypatch.setenv("HOME", str(tmp_path))
    assert start("~/mnist-mlp").results == tmp_path / "mnist-mlp" / "results"
    with pytest.raises(ValueError, match="start takes the notebook's folder \\(a path\\), got int"):
        start(123)


def test_fit_recomputes_clean_statistics_on_any_d2l_module_and_refuses_0_255_images():
    # a clean-statistics model on a module without .train (AttributeError) or of one item per
    # index (torch's "only one element tensors...") crashed after its last epoch; 0-255 images
    # trained silently to chance, float labels gave torch's traceback
    from tiny import TinyData

    from mnist_mlp.regularized import RegularizedMLP

    class Items(torch.utils.data.Dataset):  # one (image, label) per index, as torchvision's
        def __init__(self, X, y):
            self.X, self.y = X, y

        def __len__(self):
            return len(self.y)

        def __getitem__(self, i):
            return self.X[i], int(self.y[i])

    itemwise, loaders_only = TinyData(), TinyData()
    itemwise.train = Items(itemwise.X, itemwise.y)
    del loaders_only.train
    for data in (itemwise, loaders_only):
        torch.manual_seed(0)
        model = RegularizedMLP(10, [8], 0.01, optimizer="adam", batch_norm=True,
                               clean_statistics=True)
        passes = []

        def counted(batches, recompute=model.recompute_statistics, passes=passes):
            passes.append(sum(len(X) for X, *_ in batches))  # what it is given
            return recompute(batches)

        model.recompute_statistics = counted
        fit(model, data, 1)
        assert passes == [256]  # every training image, once
    for change, message in (
            (lambda d: setattr(d, "X", d.X * 255), r"must be floats in \[0, 1\].*divide 0-255"),
            (lambda d: setattr(d, "y", d.y.float()), "the labels must be integers")):
        data = TinyData()
        change(data)
        with pytest.raises(ValueError, match=message):
            fit(MLP(10, [8], 0.1, "relu"), data, 1)


def test_a_small_sheet_on_a_dark_desk_and_a_screen_on_a_light_desk_are_cut_out():
    # a sheet under a quarter of the photo, or a dark tablet on a lighter desk, gave a square
    yy, xx = np.mgrid[:160, :160]
    ring = np.abs(np.hypot((yy - 80) / 1.4, xx - 80) - 35) < 7
    sheet = np.where(ring, 30, 235).astype(np.uint8)
    alone = to_mnist(sheet)
    small = np.pad(sheet, 200, constant_values=60)  # 160² of 560²: 8 % of the photo
    screen = np.pad(255 - sheet, 60, constant_values=200)  # light ink on a dark screen
    for photo in (small, screen):
        assert np.corrcoef(to_mnist(photo).ravel(), alone.ravel())[0, 1] > 0.9


def test_attack_grid_reads_one_row_per_image_and_refuses_a_scrambling_grid():
    # plt.subplots(5, 3) (one row per image) and plt.subplots(1, 15) scattered the panels
    import matplotlib.pyplot as plt

    from mnist_mlp.plots import attack_grid

    X = torch.rand(5, 1, 28, 28)
    answers = torch.arange(5)
    _, rows = plt.subplots(5, 3)
    attack_grid(X, X, answers, answers, "E", 0.2, axes=rows)
    assert [ax.get_title() for ax in rows[:, 0]] == [f"E lê {d}" for d in range(5)]
    assert [ax.get_title() for ax in rows[:, 2]] == [f"E lê {d}" for d in range(5)]
    with pytest.raises(ValueError, match=r"axes must hold 3 x 5 .* got 15 of type Axes in a "
                                         r"1 x 15 grid"):
        attack_grid(X, X, answers, answers, "E", 0.2, axes=plt.subplots(1, 15, squeeze=False)[1])
    plt.close("all")


def test_fit_resumes_its_checkpoint_of_hand_written_settings_and_trains_standardised_pixels(
        tmp_path):
    # settings={"lr": 0.01} were padded with Config's defaults on the saved side only: "saved
    # with other settings (af: 'sigmoid' there, None here...)"; Normalize'd pixels were refused
    from tiny import TinyData

    checkpoint = tmp_path / "c.pt"
    torch.manual_seed(0)
    model = MLP(10, [8], 0.01, "relu")
    fit(model, TinyData(), 1, checkpoint=checkpoint, settings={"lr": 0.01, "epochs": 2})
    fit(model, TinyData(), 2, checkpoint=checkpoint, settings={"lr": 0.01, "epochs": 2})
    assert model.history.epochs[-1]["epoch"] == 2
    with pytest.raises(CheckpointError, match=r"other settings \(lr 0.01 there, 0.1 here\)"):
        fit(model, TinyData(), 3, checkpoint=checkpoint, settings={"lr": 0.1, "epochs": 2})
    standardised = TinyData()
    standardised.X = (standardised.X - 0.1307) / 0.3081
    fit(MLP(10, [8], 0.01, "relu"), standardised, 1)  # negative pixels: not 0-255


def test_fit_trains_d2ls_own_lazy_models_and_list_flags_written_as_python_get_the_fix(capsys):
    # d2l.SoftmaxRegression (nn.LazyLinear, in_features 0) was "the model's first layer takes 0:
    # MNIST(resize=0)"; --hidden [256,256] was told to write --hidden [256 256]
    from tiny import TinyData

    model = d2l.SoftmaxRegression(10, lr=0.1)
    fit(model, TinyData(), 1)
    assert 0 <= evaluate_accuracy(model, TinyData().val_dataloader()) <= 1
    for argv, hint in ((["--hidden", "[256,256]"], "e.g. --hidden 256 256"),
                       (["--hidden", "8,", "16"], "without commas, e.g. --hidden 16 8"),
                       (["--seeds", "[0,1]"], "e.g. --seeds 0 1")):
        with pytest.raises(SystemExit):
            main(["train", "E", *argv])
        assert capsys.readouterr().err.rstrip().endswith(hint)


def test_a_mirror_named_as_torchvisions_root_and_one_labelled_image_get_the_fix(tmp_path,
                                                                               monkeypatch):
    # MNIST_MLP_MIRROR=data (torchvision's data/MNIST/raw) was told to check that data held the
    # .gz files; fgsm(model, X[0], y[0], eps) was told torch.as_tensor(y), which changes nothing
    import gzip

    from mnist_mlp import DataError, download

    name, content = "train-labels-idx1-ubyte", b"labels"
    monkeypatch.setattr(download, "FILES", {name: download.md5(content)})
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / f"{name}.gz").write_bytes(gzip.compress(content))
    monkeypatch.setenv(download.MIRROR_ENV, str(tmp_path / "data"))
    with pytest.raises(DataError, match=rf"they are in {raw} \(torchvision's layout\): set "
                                        rf"MNIST_MLP_MIRROR={raw}$"):
        download.load_raw(tmp_path / "mine")
    monkeypatch.setenv(download.MIRROR_ENV, str(raw))
    assert download.load_raw(tmp_path / "mine") == {name: content}
    model = MLP(10, [8], 0.1, "relu").eval()
    X, y = torch.rand(4, 1, 28, 28), torch.tensor([1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"one image and its label\? pass a batch of one, "
                                         r"X\[i:i\+1\] and y\[i:i\+1\]"):
        fgsm(model, X[0], y[0], 0.1)
    assert fgsm(model, X[:1], y[:1], 0.1).shape == (1, 1, 28, 28)


def test_prepare_raw_refuses_light_ink_on_a_dark_ground_instead_of_its_negative():
    # a dark-theme screenshot became a white field, read "5" at 99 %
    from mnist_mlp.pad import prepare

    drawing = np.zeros((280, 280), np.uint8)
    drawing[60:220, 130:150] = 255
    with pytest.raises(ValueError, match=r"raw=True reads dark ink on light paper.*invert it"):
        prepare(drawing, raw=True)
    assert prepare(255 - drawing, raw=True).max() > 0.9
    assert np.array_equal(prepare(drawing), prepare(255 - drawing))


def test_top_digits_refuses_a_digit_left_dark_on_light():
    # a black-on-white [0, 1] image (not inverted) was read with 99 % confidence, wrongly
    from mnist_mlp.pad import top_digits

    digit = torch.zeros(28, 28)
    digit[6:22, 12:16] = 1
    model = MLP(10, [8], 0.1, "relu")
    with pytest.raises(ValueError, match=r"border is light: dark ink on light paper\? .*"
                                         r"to_mnist\(image\)"):
        top_digits(model, 1 - digit)
    assert len(top_digits(model, digit)) == 3


class _WithFeatures(torch.nn.Module):
    """A model of one's own whose forward returns (scores, features)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, X):
        return self.model(X), X.flatten(1)


def test_a_model_that_does_not_return_one_row_of_scores_per_image_is_named(small):
    # a tuple and (N, 1, 10) scores gave torch's "'tuple' object has no attribute 'cpu'" and a
    # size mismatch; a plain nn.Sequential in fit, d2l's "'Sequential' has no attribute 'board'"
    model, data = small
    X, y = next(iter(data.val_dataloader()))
    tupled = _WithFeatures(model).eval()
    unflat = torch.nn.Sequential(model, torch.nn.Unflatten(1, (1, 10))).eval()
    tuple_error = r"^the model returned a tuple, not a tensor of scores: .* class scores alone"
    shape_error = (r"^the model returned scores of shape \((\d+), 1, 10\) for \1 images?: .* "
                   r"\(\1, classes\); e\.g\. end forward with \.flatten\(1\)$")
    for call in (lambda m: evaluate_accuracy(m, data.val_dataloader()),
                 lambda m: fgsm(m, X, y, 0.1),
                 lambda m: top_digits(m, X[0, 0]),
                 lambda m: smallest_flip(m, X[0, 0])):
        with pytest.raises(ValueError, match=tuple_error):
            call(tupled)
        with pytest.raises(ValueError, match=shape_error):
            call(unflat)
    with pytest.raises(ValueError, match=r"^fit trains a d2l model \(a d2l\.Module, e\.g\. "
                                         r"MLP\(\.\.\.\)\), got Sequential: subclass"):
        fit(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10)), data, 1)
    assert 0 <= evaluate_accuracy(model, data.val_dataloader()) <= 1


def _seven_on_paper(side=400, rng=None):
    """A 7 drawn in dark ink on light paper, and a drawing context to add marks to it."""
    from PIL import ImageDraw

    paper = Image.new("L", (side, side), 235)
    pen = ImageDraw.Draw(paper)
    pen.line([(x * side // 400, y * side // 400) for x, y in ((140, 120), (260, 120), (190, 290))],
             fill=40, width=14 * side // 400)
    return paper, pen


def _photo(paper, rng):
    return np.clip(np.asarray(paper, float) + rng.normal(0, 2, (paper.height, paper.width)),
                   0, 255)


def test_to_mnist_leaves_out_a_box_a_circle_and_an_underline_and_a_blank_sheet_beside():
    # each mark was kept as the digit's (a circled 7 read "1"); of two sheets on a dark desk the
    # blank one was taken, and the photo came out a white block
    rng = np.random.default_rng(0)
    plain = to_mnist(_photo(_seven_on_paper()[0], rng))
    for mark in (lambda pen: pen.rectangle([80, 80, 320, 320], outline=60, width=3),
                 lambda pen: pen.ellipse([60, 60, 340, 340], outline=40, width=8),
                 lambda pen: pen.line([(110, 330), (290, 330)], fill=40, width=8)):
        paper, pen = _seven_on_paper()
        mark(pen)
        assert (to_mnist(_photo(paper, rng)) - plain).abs().max() < 0.05
    desk = np.full((400, 640), 60.0)
    sheet, blank = np.asarray(_seven_on_paper(300)[0], float), np.full((300, 260), 235.0)
    desk[50:350, 30:290], desk[50:350, 320:580] = sheet[:, 20:280], blank
    two = to_mnist(np.clip(desk + rng.normal(0, 2, desk.shape), 0, 255))
    assert (two > 0.5).float().mean() < 0.2  # strokes, not a white block
    one = to_mnist(_photo(Image.fromarray(sheet[:, 20:280].astype(np.uint8)), rng))
    assert (two - one).abs().max() < 0.05


def test_to_mnist_refuses_a_shadow_over_the_digit_instead_of_a_grey_disc():
    rng = np.random.default_rng(0)
    rows, cols = np.mgrid[0:400, 0:400]
    disc = 1 / (1 + np.exp((np.hypot(cols - 220, rows - 200) - 132) / 10))
    photo = _photo(_seven_on_paper()[0], rng) * (1 - 0.5 * disc)
    with pytest.raises(ValueError, match=r"a solid patch, not strokes: a shadow over the digit\? "
                                         r"photograph it in even light"):
        to_mnist(photo)


def test_a_model_of_flattened_images_is_told_to_begin_with_flatten(small):
    # nn.Linear(784, 10) passed the size check (784 = 28 x 28), then torch's '28x28 and 784x10'
    _, data = small
    X, y = next(iter(data.val_dataloader()))
    flat = torch.nn.Linear(784, 10)
    for call in (lambda m: evaluate_accuracy(m, data.val_dataloader()),
                 lambda m: fgsm(m.eval(), X, y, 0.1), lambda m: top_digits(m, X[0, 0])):
        refusal = r"^the model starts with nn\.Linear\(784, 10\) with no nn\.Flatten before it"
        with pytest.raises(ValueError, match=refusal + r".*nn\.Flatten\(\), model\)$"):
            call(flat)
        assert call(torch.nn.Sequential(torch.nn.Flatten(), flat)) is not None

    class ViewFirst(torch.nn.Module):  # a tutorial's model: its forward flattens
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(784, 10)

        def forward(self, X):
            return self.fc(X.view(-1, 784))

    assert 0 <= evaluate_accuracy(ViewFirst(), data.val_dataloader()) <= 1


def test_probe_21_lows_image_that_requires_grad_float64_advice_two_classes_subset_presets(
        small, capsys):
    model, data = small
    X, y = next(iter(data.val_dataloader()))
    # an image that requires grad (a saliency map's): "Can't call numpy()"
    assert len(top_digits(model, X[0].clone().requires_grad_())) == 3
    # a float64 model: the advice named an X the user of visualize_errors does not hold
    with pytest.raises(ValueError, match=r"convert the model, model\.to\(torch\.float32\) "
                                         r"\(model\.float\(\) for MNIST's float32\), or"):
        evaluate_accuracy(Config(hidden_sizes=(8,)).model().double(), data.val_dataloader())
    # a model of two outputs: "k must be ... from 1 to 2, got 3", a k never passed
    two = MLP(2, [8], 0.1, "relu")
    assert [d for d, _ in top_digits(two, X[0])] in ([0, 1], [1, 0])
    # positions beyond a split, or float ones: torch's IndexError
    split = MNISTSplit(torch.zeros(5, 28, 28, dtype=torch.uint8), torch.arange(5),
                       torch.zeros(5, 1, 28, 28, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"^subset: positions from 0 to 5 for a split of 5 "
                                         r"images$"):
        split.subset(torch.arange(6))
    with pytest.raises(ValueError, match=r"^subset: index a split with a position"):
        split.subset(torch.linspace(0, 4, 5))
    assert split.subset(torch.tensor([0, -1])).targets.tolist() == [0, 4]
    # --version said "the following arguments are required: COMMAND"; PRESETS['c'], KeyError 'c'
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip().endswith("0.1.0")
    with pytest.raises(KeyError, match=r"no preset 'c' \(upper case: 'C'\); the presets are A, B"):
        PRESETS["c"]


def test_to_mnist_leaves_out_an_open_circle_and_a_double_underline_and_refuses_two_digits():
    # a circle left open where the pen started, and a second underline, were kept as the
    # digit's; of two digits one was dropped without a word
    rng = np.random.default_rng(0)
    plain = to_mnist(_photo(_seven_on_paper()[0], rng))
    for mark in (lambda pen: pen.arc([60, 60, 340, 340], -30, 300, fill=40, width=8),
                 lambda pen: [pen.line([(110, y), (290, y)], fill=40, width=6)
                              for y in (325, 340)]):
        paper, pen = _seven_on_paper()
        mark(pen)
        assert (to_mnist(_photo(paper, rng)) - plain).abs().max() < 0.05
    seven = np.asarray(_seven_on_paper()[0])
    with pytest.raises(ValueError, match=r"^strokes apart from the digit's are half its size or "
                                         r"ink or more \(a second digit\?"):
        to_mnist(_photo(Image.fromarray(np.hstack([seven, seven])), rng))


def _diverged(weight=float("nan")):
    model = _linear(10)
    torch.nn.init.constant_(model[1].bias, weight)
    return model


def test_probe_22_nan_scores_vat_inputs_another_models_checkpoint_labels_tolerance_nan_png(
        tmp_path):
    from mnist_mlp.evaluation import confusion_matrix
    from mnist_mlp.pad import png_url

    X, y = _images(4), torch.zeros(4, dtype=torch.long)
    # a diverged model was read as answering "0" for every image: an accuracy, silently
    for weight in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"^the model returned NaN or infinite scores for 4 "
                                             r"of 4 images: its weights diverged\?"):
            evaluate_accuracy(_diverged(weight), [(X, y)])
    with pytest.raises(ValueError, match="NaN or infinite scores"):
        ensemble_accuracy([_diverged(), _linear(10)], [(X, y)])
    with pytest.raises(ValueError, match="NaN or infinite scores"):
        fgsm(_diverged(), X, y, 0.1)
    log_probabilities = torch.nn.Sequential(_linear(10), torch.nn.LogSoftmax(dim=1))
    assert 0 <= evaluate_accuracy(log_probabilities, [(X, y)]) <= 1  # -inf may be a score
    # VAT skipped the attacks' input checks: torch's matrix error, a tuple's softmax
    model = MLP(10, [8], 0.1).eval()
    for images, message in ((X[0, 0], r"one image of shape \(28, 28\), not a batch"),
                            (_images(4, 14), "each image has 196 pixels")):
        with pytest.raises(ValueError, match=message):
            virtual_adversarial_loss(model, images, 1.0)
        with pytest.raises(ValueError, match=message):
            vat_direction(model, images)

    class Pair(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = _linear(10)

        def forward(self, X):
            return self.body(X), X

    with pytest.raises(ValueError, match="the model returned a tuple, not a tensor of scores"):
        virtual_adversarial_loss(Pair(), X, 1.0)
    assert virtual_adversarial_loss(model, X.flatten(1), 1.0) >= 0  # a flattened batch reads
    # a finished checkpoint was loaded into a model of other arguments, under the same settings
    checkpoint = tmp_path / "ck.pt"
    fit(MLP(2, [8], 0.1), TinyMNIST(), 1, checkpoint=checkpoint, settings={"run": "mine"})
    with pytest.raises(CheckpointError, match=r"was saved by another model \(af 'sigmoid' "
                                              r"there, 'relu' here; lr 0.1 there, 0.5 here\)"):
        fit(MLP(2, [8], 0.5, af="relu"), TinyMNIST(), 1, checkpoint=checkpoint,
            settings={"run": "mine"})
    # labels that are no class: advice of num_classes=1.5, or a TypeError inside the message
    for labels in ([0.5, 1.0], [-1, 1], ["a", "b"]):
        with pytest.raises(ValueError, match=r"is not a class: classes are whole numbers from 0"):
            confusion_matrix(labels, [0, 1], 10)
    # what was wrong with the labels and images, named: int32, not 'Tensor'; NumPy, not float32
    with pytest.raises(ValueError, match=r"got Tensor of torch.int32 \(4,\) for 4 images"):
        fgsm(model, X, y.int(), 0.1)
    with pytest.raises(ValueError, match=r"got ndarray of float32 \(4, 1, 28, 28\)"):
        fgsm(model, X.numpy(), y, 0.1)
    # a tolerance of most or more skipped the search: `most` came back as the smallest flip
    with pytest.raises(ValueError, match=r"tolerance=10 must be below most=0.5"):
        smallest_flip(model, X[0, 0], tolerance=10)
    with pytest.raises(ValueError, match="holds NaN or infinite pixels"):
        png_url(np.full((28, 28), np.nan))


def test_train_given_two_presets_says_it_takes_one(capsys):
    # argparse's 'python -m mnist_mlp: error: unrecognized arguments: E'
    with pytest.raises(SystemExit) as exit_:
        main(["train", "A", "E", "--epochs", "1"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        "python -m mnist_mlp train: error: train takes one preset, got A and E: train each in a "
        "command of its own (they can share --out)\n")
    with pytest.raises(SystemExit):
        main(["train", "A", "--bogus"])
    assert capsys.readouterr().err.endswith("error: unrecognized arguments: --bogus\n")


def test_a_model_on_the_meta_device_is_named():
    # torch's 'Cannot copy out of meta tensor; no data!' and '.item() on meta tensors'
    with torch.device("meta"):
        model = _linear(10)
    with pytest.raises(ValueError, match=r"^the model's weights are on the 'meta' device"):
        evaluate_accuracy(model, [(_images(2), torch.zeros(2, dtype=torch.long))])
    with pytest.raises(ValueError, match="'meta' device"):
        fgsm(model, _images(2), torch.zeros(2, dtype=torch.long), 0.1)


def test_probe_23_attacks_beyond_eps_int_masks_odd_axes_empty_splits_ragged_lists():
    import matplotlib.pyplot as plt

    from mnist_mlp.evaluation import confusion_matrix
    from mnist_mlp.inspection import notebook3_measures

    model = MLP(10, [8], 0.1).eval()
    X, y = _images(8), torch.zeros(8, dtype=torch.long)
    # an attack of one's own beyond eps was measured "at eps": eps read as grey levels, noise
    # without .sign()
    for attack in (lambda m, X, y, eps: (X + 255 * eps * torch.randn_like(X).sign()).clamp(0, 1),
                   lambda m, X, y, eps: (X + eps * torch.randn_like(X)).clamp(0, 1)):
        with pytest.raises(ValueError, match=r"^the attack changed a pixel by .* more than "
                                             r"eps=0.1\): keep each change within \[-eps, eps\]"):
            accuracy_under_attack(model, [(X, y)], attack, 0.1)
    with pytest.raises(ValueError, match="more than eps="):
        smallest_flip(model, X[0, 0], attack=lambda m, X, y, eps: (X + 0.9).clamp(0, 1))
    for eps in (0.0, 0.1, 1.0):  # the package's attacks stay within eps, rounding included
        accuracy_under_attack(model, [(X, y)], fgsm, eps)
    # an int mask indexed rows 0 and 1 instead of masking pixels
    never = torch.zeros(28, 28, dtype=torch.bool)
    never[0] = True
    for mask in (never.int(), None):
        with pytest.raises(ValueError, match=r"pixels must be a 28 x 28 boolean mask"):
            notebook3_measures(model, None, {}, y, mask)
        with pytest.raises(ValueError, match=r"pixels must be a 28 x 28 boolean mask"):
            weight_scale(model, mask)
    # an empty split: torchvision's grid_sampler traceback
    empty = MNISTSplit(torch.zeros(0, 1, 28, 28, dtype=torch.uint8), torch.zeros(0).long(),
                       torch.zeros(0, 1, 28, 28, dtype=torch.uint8))
    with pytest.raises(ValueError, match="the split is empty"):
        accuracy_when_moved(model, empty, [(1, 0, 0)])
    # a polar or 3-D Axes: seaborn's KeyError 'top', matplotlib's TypeError
    for projection in ("polar", "3d"):
        ax = plt.figure().add_subplot(projection=projection)
        with pytest.raises(ValueError, match=rf"ax must be an ordinary 2-D Axes, got \w+ "
                                             rf"\(projection '{projection}'\)"):
            plot_confusion_matrix(np.eye(10, dtype=int), ax=ax)
    plt.close("all")
    # scikit-learn's messages, not naming the function; booleans counted as classes 1 and 0
    for labels, answers in (([0, 1, 1], [1, 1]), ([], []), ([[0, 1]], [[1, 1]])):
        with pytest.raises(ValueError, match="confusion_matrix takes two equally long, non-empty "
                                             "lists of classes"):
            confusion_matrix(labels, answers, 2)
    with pytest.raises(ValueError, match="a label, False, is not a class"):
        confusion_matrix([True, False], [1, 0], 2)
    # ragged lists: NumPy's 'inhomogeneous shape'; two scalars were one example each
    with pytest.raises(ValueError, match="lists of lists of different lengths"):
        mcnemar([[True], [True, False]], [[True], [False, True]])
    with pytest.raises(ValueError, match=r"got shapes \(\) and \(\)"):
        mcnemar(True, False)
    # "False" printed with the comma; NaN said "got float"; images of two sizes drawn
    with pytest.raises(ValueError, match="comma must be True or False, got 'False'"):
        mean_std([0.9, 0.8], comma="False")
    with pytest.raises(ValueError, match="percent takes a number, got float NaN"):
        percent(float("nan"))
    with pytest.raises(ValueError, match=r"X and X_adv must hold images of one size"):
        attack_grid(X[:2, 0], _images(2, 14)[:, 0], [0, 0], [1, 1], "E", 0.1)
    plt.close("all")
    # a second digit's refusal named a private class at the head of the traceback
    seven = np.asarray(_seven_on_paper()[0])
    with pytest.raises(ValueError) as refused:
        to_mnist(_photo(Image.fromarray(np.hstack([seven, seven])), np.random.default_rng(0)))
    assert type(refused.value) is ValueError


def test_probe_24_in_place_attacks_all_minus_inf_optimizers_datasets_polar_grids_meta(tmp_path):
    import matplotlib.pyplot as plt
    import torchvision

    from mnist_mlp.inspection import first_layer_images

    model = MLP(10, [8], 0.1).eval()
    X, y = _images(8) * 0.5 + 0.25, torch.zeros(8, dtype=torch.long)
    kept = X.clone()

    def in_place(model, X, y, eps):  # a student's FGSM, 3 eps, changing X itself
        X.requires_grad_(True)
        torch.nn.functional.cross_entropy(model(X), y).backward()
        with torch.no_grad():
            X += 3 * eps * X.grad.sign()
            X.clamp_(0, 1)
        return X.detach()

    # the change was measured against the X it had changed (0), and the caller's X changed
    with pytest.raises(ValueError, match=r"changed a pixel by 0.15 \(0.1 more than eps=0.05\)"):
        accuracy_under_attack(model, [(X, y)], in_place, 0.05)
    assert torch.equal(X, kept)
    image = X[0, 0].clone()
    with pytest.raises(ValueError, match="more than eps="):
        smallest_flip(model, image, attack=in_place)
    assert torch.equal(image, kept[0, 0])
    # every score -inf (a diverged model): class 0 by argmax, silently
    minus = torch.nn.Sequential(_linear(10))
    torch.nn.init.constant_(minus[0][1].bias, -float("inf"))
    with pytest.raises(ValueError, match="NaN or infinite scores for 8 of 8 images"):
        evaluate_accuracy(minus, [(X, y)])
    # SGD's state resumed into Adam: torch's KeyError 'betas' at the first step
    checkpoint = tmp_path / "ck.pt"
    fit(MLP(2, [8], 0.1), TinyMNIST(), 1, checkpoint=checkpoint, settings={"r": 1})
    adam = MLP(2, [8], 0.1)
    adam.configure_optimizers = lambda: torch.optim.Adam(adam.parameters(), lr=0.1)
    with pytest.raises(CheckpointError, match=r"saved by another model \(optimizer 'SGD' there, "
                                              r"'Adam' here\)"):
        fit(adam, TinyMNIST(), 2, checkpoint=checkpoint, settings={"r": 1})
    fit(MLP(2, (8,), 0.1), TinyMNIST(), 2, checkpoint=checkpoint, settings={"r": 1})  # (8,): [8]
    # a torchvision dataset: indexed with a list, a TypeError inside torchvision
    fake = torchvision.datasets.FakeData(10, (1, 28, 28), 10,
                                         transform=torchvision.transforms.ToTensor())
    assert [len(b[1]) for b in batch_loader(fake, 4)] == [4, 4, 2]
    assert 0 <= accuracy_under_attack(model, batch_loader(fake, 5), fgsm, 0.1) <= 1
    # polar and 3-D axes drew black blocks; an empty loader gave torch.cat's error
    for projection in ("polar", "3d"):
        ax = plt.figure().add_subplot(projection=projection)
        with pytest.raises(ValueError, match="ax must be an ordinary 2-D Axes"):
            image_grid([X[0, 0].numpy()], axes=[ax])
    plt.close("all")
    with pytest.raises(ValueError, match="data_iter gave no batches"):
        confusion(model, [])
    # weights on 'meta': torch's 'Cannot copy out of meta tensor', or nothing loaded, silently
    with torch.device("meta"):
        ghost = MLP(10, [8], 0.1)
    for call in (lambda: save_weights(ghost, tmp_path / "w.pt"),
                 lambda: load_weights(ghost, tmp_path / "w.pt"),
                 lambda: first_layer_images(ghost)):
        with pytest.raises(ValueError, match="'meta' device"):
            call()
    assert not (tmp_path / "w.pt").exists()


def test_probe_25_masks_foreign_files_light_and_dim_images_and_odd_sizes(tmp_path, monkeypatch):
    import subprocess
    import sys

    import mnist_mlp
    from mnist_mlp.attacks import virtual_adversarial_loss
    from mnist_mlp.digits import fit_to_box
    from mnist_mlp.notebook import NotebookRun
    from mnist_mlp.runs import load_run, runs_to_train

    # a 0/1 integer mask read as positions: a split of images 0 and 1 only, silently
    split = MNISTSplit(torch.zeros(30, 28, 28, dtype=torch.uint8), torch.arange(30) % 10,
                       torch.zeros(30, 1, 28, 28, dtype=torch.uint8))
    threes = split.targets == 3
    for mask in (threes.long(), threes.int()):
        with pytest.raises(ValueError, match=r"30 positions are all 0 or 1: a 0/1 mask\? pass "
                                             r"mask.bool\(\)"):
            split.subset(mask)
        with pytest.raises(TypeError, match="a 0/1 mask"):
            split[mask]
    with pytest.raises(TypeError, match=r"uint8 tensor: pass mask.bool\(\)"):
        split[threes.to(torch.uint8)]  # torch's index_select RuntimeError
    assert len(split.subset(threes)) == 3 and len(split.subset([])) == 0
    assert split.subset(torch.arange(3)).targets.tolist() == [0, 1, 2]
    # train --force deleted a folder's own files (a student's photos) with the run
    config = Config(hidden_sizes=(8,))
    runs = {0: Run("custom", config, 0, 0, True, "cpu")}
    dirs = {0: tmp_path / "out" / "custom-seed0"}
    (dirs[0] / "fotos").mkdir(parents=True)
    (dirs[0] / "config.json").write_text("{}")
    with pytest.raises(RunError, match=r"custom-seed0 holds files that train did not write "
                                       r"\(fotos\): move them out"):
        runs_to_train(dirs, runs, force=True)
    (dirs[0] / "fotos").rmdir()
    with pytest.raises(RunError, match="custom-seed0 already exists: pass --force"):
        runs_to_train(dirs, runs)
    assert runs_to_train(dirs, runs, force=True) == ({0: dirs[0]}, [])  # a run's files only
    # save_weights replaced any file: a run's config.json, a student's notes
    notes = tmp_path / "notes.json"
    notes.write_text('{"keep": 1}')
    with pytest.raises(RunError, match="notes.json exists and is a JSON file, not weights"):
        save_weights(MLP(10, [8], 0.1), notes)
    assert notes.read_text() == '{"keep": 1}'
    save_weights(MLP(10, [8], 0.1), tmp_path / "w.pt")
    save_weights(MLP(10, [8], 0.1), tmp_path / "w.pt")  # weights over weights: as asked
    with pytest.raises(ValueError, match="the path to write must be a str or a Path"):
        save_weights(MLP(10, [8], 0.1), None)  # the refusal above read None: a TypeError
    # dark digits on light paper, and pixels divided by 255 twice: accuracies of nothing read
    X = torch.zeros(8, 1, 28, 28)
    X[:, :, 8:20, 12:16] = 1
    y = torch.arange(8)
    model = MLP(10, [8], 0.1).eval()
    for call in (lambda: evaluate_accuracy(model, [(1 - X, y)]),
                 lambda: accuracy_under_attack(model, [(1 - X, y)], fgsm, 0.1),
                 lambda: smallest_flip(model, 1 - X[0, 0])):
        with pytest.raises(ValueError, match=r"most images' border is light \(dark ink on "
                                             r"light paper\?\).*invert them \(1 - X\)"):
            call()
    for call in (lambda: evaluate_accuracy(model, [(X / 255, y)]),
                 lambda: smallest_flip(model, X[0, 0] / 255)):
        with pytest.raises(ValueError, match="brightest pixel is 0.0039: divided by 255 twice"):
            call()
    for images in (X, torch.zeros_like(X), torch.rand(8, 1, 28, 28), (X - 0.13) / 0.31):
        assert 0 <= evaluate_accuracy(model, [(images, y)]) <= 1  # Normalize'd: as fit takes
    # load_run of "~/run": "does not exist"; None: pathlib's TypeError
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(RunError, match=f"{tmp_path}/nothing does not exist"):
        load_run("~/nothing")
    with pytest.raises(RunError, match="a run is named by its folder.*got NoneType"):
        load_run(None)
    # a 14-pixel model: side=28 it was never given, a 14 x 14 mask refused, a 20-px shift taken
    small = MLP(10, [8], 0.1, num_inputs=196)
    assert first_layer_images(small).shape == (8, 14, 14)
    mask = torch.zeros(14, 14, dtype=torch.bool)
    mask[0] = True
    assert weight_scale(small, mask) > 0
    with pytest.raises(ValueError, match="pixels must be a 14 x 14 boolean mask"):
        weight_scale(small, torch.ones(28, 28, dtype=torch.bool))
    split14 = MNISTSplit(torch.zeros(2, 14, 14, dtype=torch.uint8), torch.arange(2),
                         torch.zeros(2, 1, 14, 14, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"dx must be .*-13.*13"):
        moved(split14, 20)
    # one-image batches, a list of filters, a list of names, uint8 images for VAT
    bn = RegularizedMLP(10, [8], 0.1, batch_norm=True)
    with pytest.raises(ValueError, match="batches of one image only, which have no variance"):
        bn.recompute_statistics([(X[:1], y[:1])])
    with pytest.raises(ValueError, match="resample=.*is not supported"):
        fit_to_box(np.ones((10, 10)), resample=["lanczos"])
    with pytest.raises(ValueError, match="notebook 2 trains E and F, not"):
        NotebookRun.notebook2_model(NotebookRun.__new__(NotebookRun), ["E"])
    with pytest.raises(ValueError, match=r"torch.as_tensor\(X, dtype=torch.float32\) / 255"):
        virtual_adversarial_loss(model, (X * 255).to(torch.uint8), 0.1)
    assert len(dir(mnist_mlp)) == len(set(dir(mnist_mlp)))  # a loaded name listed twice
    # a bad MPLBACKEND: matplotlib's traceback from the command line
    done = subprocess.run([sys.executable, "-m", "mnist_mlp", "train", "--hidden-sizes", "8",
                           "--out", str(tmp_path / "runs")], capture_output=True, text=True,
                          env={**__import__("os").environ, "MPLBACKEND": "nonsense"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "MPLBACKEND='nonsense' is not a matplotlib backend" in done.stderr


def test_probe_26_figures_over_files_unknown_users_checkpoints_of_other_data(tmp_path, capsys):
    import matplotlib.pyplot as plt
    from tiny import TinyData

    from mnist_mlp.checkpoints import CheckpointError
    from mnist_mlp.files import WriteError, write_json
    from mnist_mlp.runs import collect, load_run, save_figure
    from mnist_mlp.training import TrainingDiverged

    # save_figure replaced a run's model.pt or a student's notes with PNG bytes, and wrote PNG
    # under a .pdf name; write_json replaced notes with JSON
    notes = tmp_path / "notas.txt"
    notes.write_text("minhas notas")
    for path in (tmp_path / "model.pt", notes):
        with pytest.raises(ValueError, match=r"matplotlib writes no \.(pt|txt) images"):
            save_figure(plt.figure(), path)
    (tmp_path / "old.png").write_text("not an image")
    with pytest.raises(RunError, match="old.png exists and is a text file, not a PNG image"):
        save_figure(plt.figure(), tmp_path / "old.png")
    assert save_figure(plt.figure(), tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(ValueError, match="save_figure takes a figure .* got NoneType"):
        save_figure(None, tmp_path / "none.png")
    with pytest.raises(WriteError, match="notas.txt exists and is not a JSON file"):
        write_json(notes, {"a": 1})
    assert notes.read_text() == "minhas notas"
    # "~runs" for "~/runs": pathlib's RuntimeError "Could not determine home directory"
    with pytest.raises(RunError, match=r"~nobody_here would be the home folder of a user "
                                       r"'nobody_here', unknown here; did you mean ~/nobody_here"):
        load_run("~nobody_here/C-seed0")
    with pytest.raises(SystemExit):
        main(["train", "C", "--out", "~nobody_here"])
    assert "did you mean ~/nobody_here?" in capsys.readouterr().err
    # a checkpoint resumed with data of another batch size: epochs closed part-way, silently
    checkpoint = tmp_path / "ck.pt"
    fit(MLP(10, [8], 0.1), TinyData(batch_size=16), 1, checkpoint=checkpoint, settings={"r": 1})
    with pytest.raises(CheckpointError, match=r"was saved with \d+ training and \d+ validation "
                                              r"batches per epoch, and this data gives"):
        fit(MLP(10, [8], 0.1), TinyData(batch_size=8), 2, checkpoint=checkpoint,
            settings={"r": 1})
    # a model trained before, checkpointed from epoch 0: resumed, one epoch too many
    trained = MLP(10, [8], 0.1)
    fit(trained, TinyData(), 1)
    with pytest.raises(CheckpointError, match="this model has trained 1 epoch"):
        fit(trained, TinyData(), 2, checkpoint=tmp_path / "new.pt", settings={"r": 1})
    # a huge weight decay was blamed on lr alone
    decayed = RegularizedMLP(10, [8], 0.001, optimizer="adam", weight_decay=1e308)
    with pytest.raises(TrainingDiverged, match=r"lr=0.001, weight_decay=1e\+308: .*or a "
                                               r"smaller weight_decay"):
        fit(decayed, TinyData(), 1)
    with pytest.raises(TrainingDiverged, match=r"overflowed float32 with lr=1e\+200: training "
                                               r"stopped; choose smaller values"):
        fit(RegularizedMLP(10, [8], 1e200), TinyData(), 1)  # SGD: torch's RuntimeError
    # negative zero, a set as xs, collect of nothing, a folder's .DS_Store, a count beyond
    assert (br(-0.0), percent(-1e-9), br(-1e-9, ".2e")) == ("0,0000", "0,00%", "-1,00e-09")
    with pytest.raises(ValueError, match=r"a set has no order: pass sorted\(xs\)"):
        accuracy_curves({0.0, 0.1}, {"E": [0.9, 0.8]}, "eps", "t")
    plt.close("all")
    with pytest.raises(ValueError, match="collect takes the runs read by read_run, got none"):
        collect([])
    with pytest.raises(ValueError, match="count=100, but the layer has 8 units"):
        first_layer_images(MLP(10, [8], 0.1), 100)


def test_probe_26_train_names_the_seeds_a_divergence_left_and_a_gpu_checkpoint(
        tmp_path, capsys, monkeypatch):
    from mnist_mlp import commands
    from mnist_mlp.runs import check_same_checkpoint, checkpoint_of

    monkeypatch.setattr(commands, "MNIST", TinyMNIST)
    assert main(["train", "C", "--hidden", "8", "--epochs", "1", "--lr", "1e30", "--seeds", "0",
                 "1", "2", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: seed 0: the training loss became")
    assert err.endswith("no run was written for it (seeds 1 2 were not trained)")
    # a GPU run's checkpoint, --resume on a CPU: "train with its settings" could not be followed
    run = Run("C", PRESETS["C"], 0)
    path = checkpoint_of(tmp_path / "C-seed0")
    fit(MLP(10, [8], 0.1), TinyMNIST(), 1, checkpoint=path,
        settings={**run.to_dict(), "device": "cuda"})
    with pytest.raises(RunError, match=r"an interrupted run on 'cuda', and this one trains on "
                                       r"'cpu': continue it where it trained \(--device cuda\)"):
        check_same_checkpoint(path, run)


def test_probe_27_attacks_that_train_files_of_another_kind_grey_paper_and_splits(
        tmp_path, capsys, monkeypatch):
    import matplotlib.pyplot as plt

    from mnist_mlp import commands
    from mnist_mlp.files import WriteError, write_json
    from mnist_mlp.runs import save_figure

    # an attack of one's own calling model.train(): answers read in training mode (an accuracy
    # of 0,47 for 0,65 at eps 0), the model left training, its batch statistics moved
    torch.manual_seed(0)
    model = RegularizedMLP(10, [8], 0.1, batch_norm=True, dropout=0.3).eval()
    X = torch.zeros(8, 1, 28, 28)
    X[:, :, 8:20, 12:16] = 1
    y = torch.arange(8)
    before = {k: v.clone() for k, v in model.named_buffers()}

    def my_attack(model, X, y, eps):
        model.train()
        if len(X) > 1:  # batch norm takes no lone image in training mode
            model(X)
        return X

    for call in (lambda: accuracy_under_attack(model, [(X, y)], my_attack, 0.0),
                 lambda: smallest_flip(model, X[0, 0], attack=my_attack)):
        with pytest.raises(ValueError, match=r"my_attack left the model in training mode"):
            call()
        assert not model.training
        assert all(torch.equal(v, before[k]) for k, v in model.named_buffers())
    # evaluate rewrote the figures, then refused a student's evaluation.json half-way
    run = hand_made_run(tmp_path / "E-seed0", [{"epoch": n, "train_loss": 0.5}
                                               for n in range(1, 11)])
    (run / "evaluation.json").write_text("minhas notas")
    monkeypatch.setattr(commands, "MNIST", lambda **kwargs: pytest.fail("MNIST was read"))
    assert main(["evaluate", str(run)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {run / 'evaluation.json'} is a file that is not JSON where evaluate writes a "
        "file: move it away, then run evaluate again")
    # a notebook (JSON) replaced by write_json; weights replaced by a .tif figure
    notebook = tmp_path / "caderno.ipynb"
    notebook.write_text('{"cells": []}')
    with pytest.raises(WriteError, match="caderno.ipynb exists and is not a JSON file"):
        write_json(notebook, {"a": 1})
    save_weights(MLP(10, [8], 0.1), tmp_path / "w.tif")
    with pytest.raises(RunError, match="w.tif exists and is another file, not a TIF image"):
        save_figure(plt.figure(), tmp_path / "w.tif")
    plt.close("all")
    # dark ink on grey paper, and fgsm of images divided by 255 twice
    grey = 0.7 * (1 - X)
    with pytest.raises(ValueError, match="most images' border is light"):
        evaluate_accuracy(model, [(grey, y)])
    with pytest.raises(ValueError, match="divided by 255 twice"):
        fgsm(model, X / 255, y, 0.1)
    # a split's own .to('gpu'), split[True], a mask of another split's length
    split = MNISTSplit(torch.zeros(30, 28, 28, dtype=torch.uint8), torch.arange(30) % 10,
                       torch.zeros(30, 1, 28, 28, dtype=torch.uint8))
    with pytest.raises(ConfigError, match="device must be a torch device"):
        split.to("gpu")
    with pytest.raises(TypeError, match="not True"):
        split[True]
    with pytest.raises(ValueError, match=r"a 0/1 mask\? pass mask.bool\(\) \(and of this "
                                         r"split's length, 30, not 10\)"):
        split.subset((torch.arange(10) == 3).int())
    # a 14-px split moved 2 px: its 28-px `data` (what students see) moved 1 px's worth
    small = MNISTSplit(torch.zeros(1, 28, 28, dtype=torch.uint8), torch.zeros(1).long(),
                       torch.zeros(1, 1, 14, 14, dtype=torch.uint8))
    small.data[0, 10, 10] = small.pixels[0, 0, 5, 5] = 255
    shifted = moved(small, 2)
    assert shifted.pixels[0, 0, 5, 7] > 0 and shifted.data[0, 10, 14] > 0
    assert (br(-1e-5, "8.2f"), br(-1e-5, "+.2f")) == ("    0,00", "+0,00")
