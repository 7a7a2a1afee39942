"""EpochBoard: d2l's curves, averaged the same way, drawn once per epoch."""
from unittest import mock

import pytest
from d2l import torch as d2l

from mnist_mlp.board import EpochBoard


def feed(board, epochs=2, train_batches=6, val_batches=3):
    """Plot like d2l's Classifier: train loss twice an epoch, validation once."""
    for epoch in range(epochs):
        for i in range(train_batches):
            step = epoch * train_batches + i + 1
            board.draw(step / train_batches, float(step), "train_loss", every_n=train_batches // 2)
        for i in range(val_batches):
            board.draw(epoch + 1, 0.5, "val_loss", every_n=val_batches)
            board.draw(epoch + 1, 0.9 + 0.01 * i, "val_acc", every_n=val_batches)


def test_points_are_averaged_like_d2l():
    ours, theirs = EpochBoard(display=False), d2l.ProgressBoard(display=False)
    feed(ours)
    feed(theirs)
    for label, points in theirs.data.items():
        assert ours.data[label] == [(p.x, p.y) for p in points]
    assert len(ours.data["train_loss"]) == 4 and len(ours.data["val_acc"]) == 2


def test_draws_once_per_epoch_and_updates_one_display():
    board = EpochBoard(display=True)
    with mock.patch("IPython.display.display") as display:
        feed(board, epochs=3)
    assert display.call_count == 1  # first epoch; later epochs update that display
    assert display.return_value.update.call_count == 2
    lines = board.fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["train_loss", "val_loss", "val_acc"]
    assert len(lines[2].get_xdata()) == 3


def test_not_displayed_outside_a_notebook():
    board = EpochBoard()
    assert board.display is False
    feed(board)
    assert board.fig is None
    assert board.render().axes[0].get_xlabel() == "epoch"


def test_without_validation_the_board_still_closes_each_epoch():
    """MNIST(validate=False): d2l skips validation; the board redraws once per epoch anyway."""
    from mnist_mlp import MLP, MNIST
    from mnist_mlp.experiment import fit, set_seed
    data = MNIST(batch_size=1000, validate=False)
    assert data.val is None and data.val_dataloader() is None and len(data.train) == 60000
    set_seed(0)
    model = MLP(10, [16], 0.1, af="relu")
    epochs = []
    model.board = EpochBoard(display=False, on_epoch=lambda board: epochs.append(
        len(board.data["train_loss"])))
    fit(model, data, max_epochs=2)
    assert epochs == [2, 4] and "val_loss" not in model.board.data
    with pytest.raises(ValueError, match="validate=False trains on all training images"):
        MNIST(validate=False, val_split=100)
