"""Figures speak Portuguese: tick labels, axis words and board titles, read back from drawings."""
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from mnist_mlp import MLP
from mnist_mlp.formatting import MINUS, axis_number, shared_decimals
from mnist_mlp.plots import decimal_comma, error_grid, plot_confusion_matrix
from mnist_mlp.regularized import RegularizedMLP


def tick_labels(axis):
    """The labels matplotlib draws on `axis` (a figure draw fixes the ticks first)."""
    axis.figure.canvas.draw()
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def decimals(label):
    return len(label.split(",")[1]) if "," in label else 0


@pytest.mark.parametrize("value, places, text", [
    (-0.5, 1, "−0,5"), (0.25, 2, "0,25"), (0.2, 2, "0,20"), (1135, 0, "1.135"),
    (-1e-17, 1, "0,0"), (-2500.5, 1, "−2.500,5"),
])
def test_axis_number_uses_comma_dot_and_the_minus_sign(value, places, text):
    assert axis_number(value, places) == text


def test_shared_decimals_fit_every_tick_of_an_axis():
    assert shared_decimals([0.2, 0.25, 0.30000000000000004]) == 2
    assert shared_decimals([0.0, 0.2, 0.4, 0.6000000000000001]) == 1
    assert shared_decimals([0, 200, 400]) == 0


def test_negative_ticks_have_the_minus_sign_and_the_decimal_comma():
    fig, ax = plt.subplots()
    ax.plot([-1, 1], [-0.5, 0.5])
    ax.set_yticks([-0.5, 0.0, 0.5])
    decimal_comma(ax)
    labels = tick_labels(ax.yaxis)
    assert labels == ["−0,5", "0,0", "0,5"]
    assert not any("-" in label or "." in label for label in tick_labels(ax.xaxis))
    assert any(label.startswith(MINUS) for label in tick_labels(ax.xaxis))


@pytest.mark.parametrize("low, high", [(0.2, 0.3), (0.9, 0.985), (0.05, 2.3), (-0.55, 0.75)])
def test_one_axis_writes_every_tick_with_the_same_number_of_decimals(low, high):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [low, high])
    decimal_comma(ax)
    labels = tick_labels(ax.yaxis)
    assert len({decimals(label) for label in labels}) == 1, labels
    values = [float(label.replace(MINUS, "-").replace(",", ".")) for label in labels]
    assert len(set(values)) == len(values), labels  # no two ticks read alike


def test_fixed_ticks_0_2_and_0_25_read_0_20_and_0_25():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0.2, 0.3])
    ax.set_yticks([0.2, 0.25, 0.3])
    decimal_comma(ax)
    assert tick_labels(ax.yaxis) == ["0,20", "0,25", "0,30"]


def test_colour_bars_count_in_whole_numbers_with_the_thousands_dot():
    cm = np.diag([980, 1135]) + np.array([[0, 2], [3, 0]])
    bar = plot_confusion_matrix(cm).axes_.collections[0].colorbar
    labels = tick_labels(bar.ax.yaxis)
    assert any(re.fullmatch(r"1\.\d{3}", label) for label in labels), labels
    assert all("," not in label for label in labels)
    few = plot_confusion_matrix(np.array([[5, 1], [3, 5]]), errors_only=True)
    labels = tick_labels(few.axes_.collections[0].colorbar.ax.yaxis)
    assert labels == sorted(set(labels), key=int) and "," not in "".join(labels)


def test_confusion_matrix_and_error_grid_say_verdadeiro_and_predito():
    ax = plot_confusion_matrix(np.eye(10, dtype=int)).axes_
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Dígito predito", "Dígito verdadeiro")
    grid = error_grid([(np.zeros((28, 28)), 4, 9)], confidences=[0.87])
    assert grid.axes_[0].get_title() == "Verdadeiro: 4\nPredito: 9 (87%)"  # the original's


def board_after(model, epochs):
    """The model's board after `epochs` epochs of made-up metrics (no training needed)."""
    for epoch in range(epochs):
        model.history.add("train_loss", 1.0 / (epoch + 1), 64)
        model.history.add("val_loss", 0.8 / (epoch + 1), 64)
        model.history.add("val_acc", 0.9 + 0.004 * epoch, 64)
        model._end_epoch()
    return model.board.render()


@pytest.mark.parametrize("epochs", [1, 2, 3, 7, 20])
def test_board_epoch_ticks_are_whole_epochs(epochs):
    figure = board_after(MLP(2, [8], 0.1, af="relu"), epochs)
    for ax in figure.axes:
        labels = tick_labels(ax.xaxis)
        assert labels and all(label.isdigit() for label in labels), labels
        assert {int(label) for label in labels} <= set(range(0, epochs + 2))
    for ax in figure.axes:  # the losses, then the accuracy
        labels = tick_labels(ax.yaxis)
        assert len({decimals(label) for label in labels}) == 1, labels
        assert not any("." in label for label in labels), labels


def test_board_title_names_the_learning_rate_taxa():
    figure = board_after(MLP(2, [8], 0.1, af="relu"), 1)
    assert figure._suptitle.get_text() == "MLP 784-8-2 · ReLU · SGD, taxa 0,1"
    model = MLP(2, [8], 0.1, af="relu")
    model.board.name = "Modelo C"
    assert board_after(model, 1)._suptitle.get_text().startswith("Modelo C · MLP 784-8-2")


def test_model_f_title_names_every_option_it_uses():
    model = RegularizedMLP(10, [1000, 500], 0.003, af="relu", optimizer="adamw",
                           batch_norm=True, noise=0.3, weight_decay=0.05, schedule="onecycle",
                           label_smoothing=0.1)
    first, *rest = model.describe().split("\n")
    assert first == "MLP 784-1000-500-10 · ReLU · AdamW, taxa de pico 0,003"
    options = " · ".join(rest)
    for words in ("normalização em lote", "ruído gaussiano 0,3", "decaimento de pesos 0,05",
                  "ciclo único", "suavização de rótulos 0,1"):
        assert words in options
    assert "dropout" not in options and all(len(line) <= 90 for line in rest)
