"""Accuracy, misclassified digits and the confusion matrix, as in the original notebook."""
import math

import numpy as np
import seaborn as sns
import torch
from matplotlib.figure import Figure
from sklearn.metrics import confusion_matrix

from .board import in_notebook


def model_device(model):
    """The device of the model's first parameter (CPU for a model without any)."""
    return next(model.parameters(), torch.empty(0)).device


def outputs(model, data_iter):
    """Yield (X, y, scores) per batch on the CPU, with the model in eval mode, no gradients."""
    device = model_device(model)
    model.eval()
    with torch.no_grad():
        for X, y in data_iter:
            yield X.cpu(), y.cpu(), model(X.to(device)).cpu()


def predict(model, data_iter):
    """Yield (X, y, y_hat labels) per batch on the CPU, with the model in eval mode."""
    for X, y, scores in outputs(model, data_iter):
        yield X, y, scores.argmax(dim=1)


def evaluate_accuracy(model, data_iter):
    """Fraction of correctly classified examples; the model is left in training mode."""
    correct = total = 0
    for _, y, y_hat in predict(model, data_iter):
        correct += int((y_hat == y).sum())
        total += y.numel()
    model.train()
    if total == 0:
        raise ValueError("data_iter yielded no examples")
    return correct / total


def collect_errors(model, data_iter, max_errors):
    """Up to `max_errors` misclassified (image, true label, predicted label), in data order."""
    errors = []
    for X, y, y_hat in predict(model, data_iter):
        for i in torch.nonzero(y_hat != y).flatten().tolist():
            errors.append((X[i], int(y[i]), int(y_hat[i])))
            if len(errors) == max_errors:
                return errors
    return errors


def visualize_errors(model, dataset, max_errors=10):
    """Grid of the first misclassified validation digits, titled with true and predicted labels."""
    if isinstance(max_errors, bool) or not isinstance(max_errors, int) or max_errors < 1:
        raise ValueError(f"max_errors must be a positive integer, got {max_errors!r}")
    errors = collect_errors(model, dataset.val_dataloader(), max_errors)
    model.train()
    return error_grid(errors)


def error_grid(errors, confidences=None):
    """Figure of (image, true, predicted) triples, ten per row; optional confidence in titles."""
    cols = min(10, max(1, len(errors)))
    rows = max(1, math.ceil(len(errors) / cols))
    fig = Figure(figsize=(1.5 * cols, 1.9 * rows))
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for i, (ax, (img, true_label, pred_label)) in enumerate(zip(axes, errors)):
        ax.imshow(img.squeeze(0).numpy(), cmap="gray")
        extra = "" if confidences is None else f" ({confidences[i]:.0%})"
        ax.set_title(f"Verdadeiro: {true_label}\nPredito: {pred_label}{extra}", fontsize=9)
    for ax in axes:
        ax.axis("off")
    if not errors:
        axes[0].text(0.5, 0.5, "nenhum erro", ha="center", va="center")
    fig.tight_layout()
    return fig


def confident_errors(model, data_iter, max_errors):
    """The misclassified examples the model was surest of: (errors, confidences), surest first."""
    found = []
    for X, y, scores in outputs(model, data_iter):
        conf, y_hat = torch.softmax(scores, dim=1).max(dim=1)
        for i in torch.nonzero(y_hat != y).flatten().tolist():
            found.append((float(conf[i]), X[i], int(y[i]), int(y_hat[i])))
    found.sort(key=lambda item: -item[0])
    found = found[:max_errors]
    return [item[1:] for item in found], [item[0] for item in found]


def most_confused(cm, k=5):
    """The k largest off-diagonal cells of a confusion matrix: (count, true, predicted)."""
    pairs = [(int(cm[t, p]), t, p) for t in range(len(cm)) for p in range(len(cm)) if t != p]
    return sorted(pairs, key=lambda item: (-item[0], item[1], item[2]))[:k]


def per_class_scores(cm):
    """Precision, recall, F1 and support per class, from a confusion matrix."""
    cm = np.asarray(cm, dtype=float)
    hits, predicted, actual = np.diag(cm), cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, actual, out=np.zeros_like(hits), where=actual > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(hits), where=both > 0)
    return precision, recall, f1, actual.astype(int)


def plot_confusion_matrix(cm, normalize=False):
    """Heatmap of a confusion matrix with Portuguese axis labels; returns the figure.

    With `normalize`, each row is divided by its total: the share of each true digit.
    """
    fig = Figure(figsize=(8, 6.5))
    ax = fig.subplots()
    if normalize:
        rates = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        sns.heatmap(rates, annot=True, fmt=".2f", cmap="Blues", ax=ax, vmin=0, vmax=1)
    else:
        sns.heatmap(cm, annot=True, fmt="d", cmap="Blues", ax=ax)
    ax.set_xlabel("Predito")
    ax.set_ylabel("Verdadeiro")
    ax.set_title("Matriz de Confusão")
    fig.tight_layout()
    return fig


def confusion(model, data_iter, num_classes=10):
    """Confusion matrix (rows: true label, columns: predicted) over a data iterator."""
    true, pred = [], []
    for _, y, y_hat in predict(model, data_iter):
        true.append(y)
        pred.append(y_hat)
    model.train()
    return confusion_matrix(torch.cat(true).numpy(), torch.cat(pred).numpy(),
                            labels=range(num_classes))


def show_confusion_matrix(model, dataset):
    """Confusion matrix of the model on the validation set: displayed, and returned (10 x 10)."""
    cm = confusion(model, dataset.val_dataloader(), getattr(model, "num_outputs", 10))
    if in_notebook():
        from IPython.display import display
        display(plot_confusion_matrix(cm))
    return cm
