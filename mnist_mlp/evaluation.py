"""Accuracy, misclassified digits and the confusion matrix, as in the original notebook.

The three helpers of the original come first, each with its own loop over the batches, in
evaluation mode and without gradients; they leave the model in the mode they found it in,
even when a batch raises. The rest serves notebook 2 and the command line.
"""
import numpy as np
import torch
from sklearn.metrics import confusion_matrix

from .plots import error_grid, plot_confusion_matrix


def evaluate_accuracy(model, data_iter):
    """Fraction of the examples in `data_iter` that the model classifies correctly."""
    was_training, device = model.training, device_of(model)
    model.eval()  # batch normalisation and dropout as in inference
    correct = total = 0
    try:
        with torch.no_grad():
            for X, y in data_iter:
                y_hat = model(X.to(device)).argmax(dim=1).cpu()
                correct += int((y_hat == y.cpu()).sum())
                total += y.numel()
    finally:
        model.train(was_training)
    if total == 0:
        raise ValueError("data_iter yielded no examples")
    return correct / total


def visualize_errors(model, dataset, max_errors=10, axes=None):
    """The first `max_errors` misclassified validation digits, titled with the true and the
    predicted label; drawn on `axes` or on pyplot's figure. Returns the Drawing."""
    if isinstance(max_errors, bool) or not isinstance(max_errors, int) or max_errors < 1:
        raise ValueError(f"max_errors must be a positive integer, got {max_errors!r}")
    was_training, device = model.training, device_of(model)
    model.eval()
    errors = []  # (image, true label, predicted label)
    try:
        with torch.no_grad():
            for X, y in dataset.val_dataloader():
                y_hat = model(X.to(device)).argmax(dim=1).cpu()
                wrong = y_hat != y.cpu()
                errors += zip(X.cpu()[wrong], y.cpu()[wrong].tolist(), y_hat[wrong].tolist())
                if len(errors) >= max_errors:
                    break
    finally:
        model.train(was_training)
    return error_grid(errors[:max_errors], axes=axes)


def show_confusion_matrix(model, dataset, ax=None):
    """Confusion matrix on the validation set, drawn on `ax` or pyplot's figure; returns it."""
    was_training, device = model.training, device_of(model)
    model.eval()
    y_true, y_pred = [], []
    try:
        with torch.no_grad():
            for X, y in dataset.val_dataloader():
                y_pred += model(X.to(device)).argmax(dim=1).tolist()
                y_true += y.tolist()
    finally:
        model.train(was_training)
    cm = confusion_matrix(y_true, y_pred, labels=range(10))
    plot_confusion_matrix(cm, ax=ax)  # seaborn's heatmap, labelled in Portuguese
    return cm


def device_of(model):
    """The device of the model's first parameter (the CPU for a model without any)."""
    return next(model.parameters(), torch.empty(0)).device


def outputs(model, data_iter):
    """Yield (X, y, scores) per batch on the CPU, in evaluation mode without gradients; the
    model's mode is restored once the batches are exhausted (or the loop is left)."""
    was_training, device = model.training, device_of(model)
    model.eval()
    try:
        with torch.no_grad():
            for X, y in data_iter:
                yield X.cpu(), y.cpu(), model(X.to(device)).cpu()
    finally:
        model.train(was_training)


def predict(model, data_iter):
    """Yield (X, y, predicted labels) per batch on the CPU."""
    for X, y, scores in outputs(model, data_iter):
        yield X, y, scores.argmax(dim=1)


def confusion(model, data_iter, num_classes=10):
    """Confusion matrix (rows: true label, columns: predicted) over a data iterator."""
    true, pred = [], []
    for _, y, y_hat in predict(model, data_iter):
        true.append(y)
        pred.append(y_hat)
    return confusion_matrix(torch.cat(true).numpy(), torch.cat(pred).numpy(),
                            labels=range(num_classes))


def ensemble_accuracy(models, data_iter):
    """Accuracy of the models' averaged class probabilities (soft voting).

    Each model sees the same batches; their softmax outputs are averaged before the argmax.
    """
    models = list(models)
    if not models:
        raise ValueError("ensemble_accuracy needs at least one model")
    batches = list(data_iter)
    probs = [torch.cat([torch.softmax(scores, dim=1) for _, _, scores in outputs(m, batches)])
             for m in models]
    y = torch.cat([y.cpu() for _, y in batches])
    return float((sum(probs).argmax(dim=1) == y).float().mean())


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
