"""Accuracy, misclassified digits and the confusion matrix, as in the original notebook.

The drawing itself lives in `plots`; these helpers compute what is drawn."""
import numpy as np
import torch
from sklearn.metrics import confusion_matrix

from .plots import error_grid, plot_confusion_matrix


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


def ensemble_accuracy(models, data_iter):
    """Accuracy of the models' averaged class probabilities (soft voting); models left training.

    Each model sees the same batches; their softmax outputs are averaged before the argmax.
    """
    models = list(models)
    if not models:
        raise ValueError("ensemble_accuracy needs at least one model")
    correct = total = 0
    with torch.no_grad():
        for model in models:
            model.eval()
        for X, y in data_iter:
            probs = sum(torch.softmax(m(X.to(model_device(m))).cpu(), dim=1) for m in models)
            correct += int((probs.argmax(dim=1) == y.cpu()).sum())
            total += y.numel()
    for model in models:
        model.train()
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


def visualize_errors(model, dataset, max_errors=10, axes=None):
    """Grid of the first misclassified validation digits, titled with true and predicted labels.

    Drawn on `axes` (at least `max_errors` of them) or on pyplot's figure; returns the Drawing.
    """
    if isinstance(max_errors, bool) or not isinstance(max_errors, int) or max_errors < 1:
        raise ValueError(f"max_errors must be a positive integer, got {max_errors!r}")
    errors = collect_errors(model, dataset.val_dataloader(), max_errors)
    model.train()
    return error_grid(errors, axes=axes)


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


def confusion(model, data_iter, num_classes=10):
    """Confusion matrix (rows: true label, columns: predicted) over a data iterator."""
    true, pred = [], []
    for _, y, y_hat in predict(model, data_iter):
        true.append(y)
        pred.append(y_hat)
    model.train()
    return confusion_matrix(torch.cat(true).numpy(), torch.cat(pred).numpy(),
                            labels=range(num_classes))


def show_confusion_matrix(model, dataset, ax=None):
    """Confusion matrix on the validation set, drawn on `ax` or pyplot's figure; returns it."""
    cm = confusion(model, dataset.val_dataloader(), getattr(model, "num_outputs", 10))
    plot_confusion_matrix(cm, ax=ax)
    return cm
