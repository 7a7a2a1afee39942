"""What Classifier adds to d2l's: per-epoch history, one board redraw an epoch, divergence."""
from unittest import mock

import pytest
import torch
from d2l import torch as d2l
from tiny import TinyData

from mnist_mlp import MLP, TrainingDiverged
from mnist_mlp.experiment import fit, set_seed
from mnist_mlp.training import History


def trained(epochs=3, validate=True, **kwargs):
    set_seed(0)
    model = MLP(2, [8], 0.1, af="relu", **kwargs)
    fit(model, TinyData(validate=validate), max_epochs=epochs)
    return model


def test_history_means_are_weighted_by_batch_size():
    history, seen = History(), []
    history.on_epoch = seen.append
    history.add("val_acc", 1.0, 30)
    history.add("val_acc", 0.0, 10)
    history.add("train_loss", 2.0, 5)
    row = history.end_epoch()
    assert row == {"epoch": 1, "val_acc": 0.75, "train_loss": 2.0} and seen == [row]
    history.add("val_acc", 0.5, 1)
    assert history.end_epoch() == {"epoch": 2, "val_acc": 0.5}
    assert history.column("val_acc") == [0.75, 0.5]


def test_one_row_per_epoch_with_the_losses_d2l_computes():
    model = trained(epochs=3)
    assert [row["epoch"] for row in model.history.epochs] == [1, 2, 3]
    assert set(model.history.epochs[0]) == {"epoch", "train_loss", "val_loss", "val_acc"}
    X, y = TinyData().X, TinyData().y
    model.eval()
    with torch.no_grad():
        final = float(model.loss(model(X), y))
    assert model.history.epochs[-1]["val_loss"] == pytest.approx(final, rel=1e-5)


def test_without_validation_each_epoch_still_ends():
    model = trained(epochs=2, validate=False)
    assert [sorted(row) for row in model.history.epochs] == [["epoch", "train_loss"]] * 2
    figure = model.board.render()
    assert len(figure.axes) == 1  # no accuracy panel without validation


def test_board_draws_once_per_epoch_in_one_display_in_portuguese():
    """Its title and tick labels: tests/test_figures.py."""
    set_seed(0)
    model = MLP(2, [8], 0.1, af="relu")
    model.board.display = True
    with mock.patch("IPython.display.display") as display:
        fit(model, TinyData(), max_epochs=3)
    assert display.call_count == 1  # first epoch; later epochs update that display
    assert display.return_value.update.call_count == 2
    loss_ax, acc_ax = model.board.fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == [
        "perda de treino", "perda de validação"]
    assert [line.get_label() for line in acc_ax.get_lines()] == ["acurácia de validação"]
    assert loss_ax.get_xlabel() == "época" and len(acc_ax.get_lines()[0].get_xdata()) == 3


def test_not_displayed_outside_a_notebook():
    model = trained(epochs=1)
    assert model.board.display is False and model.board.fig is None


def test_a_loss_that_stops_being_finite_ends_training_in_that_epoch():
    set_seed(0)
    model = MLP(2, [64], 1e10, af="relu")
    with pytest.raises(TrainingDiverged, match=r"nan in epoch 1 with lr=1e\+10: .*lower learning"):
        d2l.Trainer(max_epochs=5).fit(model, TinyData())
    assert model.trainer.epoch == 0 and model.history.epochs == []


def test_set_seed_takes_numpy_integers_as_python_ints():
    import numpy as np

    from mnist_mlp.experiment import set_seed

    # Regression: np.int64 passed the seed rule, then random.seed raised a TypeError.
    set_seed(np.int64(3))
    drawn = torch.rand(3)
    set_seed(3)
    assert torch.equal(drawn, torch.rand(3))


def test_a_validation_loss_that_is_not_finite_ends_training_too():
    # Regression: only the training loss was checked; a NaN validation loss went on to
    # metrics.json (a JSON error) and the checkpoint was left for --resume to fail on again.
    class NaNWhenEvaluated(MLP):
        def forward(self, X):
            scores = super().forward(X)
            return scores if self.training else scores * float("nan")

    set_seed(0)
    model = NaNWhenEvaluated(2, [8], 0.1, af="relu")
    with pytest.raises(TrainingDiverged, match=r"the validation loss became nan in epoch 1"):
        d2l.Trainer(max_epochs=3).fit(model, TinyData())
    assert model.history.epochs == []
