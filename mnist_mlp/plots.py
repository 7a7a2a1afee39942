"""Drawing helpers in the style of scikit-learn's displays: draw on given axes or on pyplot's.

Every helper takes `ax=` (or `axes=`). Without it the drawing goes on pyplot's current figure
when that figure is still empty, else on a new pyplot figure; either way pyplot knows it, so it
shows once in a notebook wherever the call stands and `plt.savefig` saves it. Helpers return a
`Drawing`, not the Figure: a notebook shows a Figure returned by a cell's last line a second time.
"""
import math

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns


class Drawing:
    """What a helper drew: `figure_`, `axes_` and the data shown; other attributes (`savefig`,
    `axes`, ...) are the figure's."""

    def __init__(self, figure, axes, **data):
        self.figure_, self.axes_ = figure, axes
        self.__dict__.update(data)

    def __getattr__(self, name):
        if name.startswith("_") or name == "figure_":  # copy/pickle probes; no recursion
            raise AttributeError(name)
        return getattr(self.figure_, name)

    def __repr__(self):
        width, height = self.figure_.get_size_inches()
        count = len(np.ravel(self.axes_))
        return f"<Drawing: {count} axes on a {width:g} x {height:g} in figure>"


def figure_for(figsize):
    """Pyplot's current figure if it is still empty (the caller's size), else a new one."""
    if plt.get_fignums() and not plt.gcf().axes:
        return plt.gcf()
    return plt.figure(figsize=figsize)


def axes_grid(count, axes=None, cols=10, cell=(1.5, 1.9)):
    """`count` axes in rows of `cols`: the given ones (any array shape) or a new grid."""
    if axes is not None:
        flat = list(np.ravel(axes))
        if len(flat) < count:
            raise ValueError(f"axes holds {len(flat)} axes but {count} images are to be drawn")
        return flat[0].figure, flat
    cols = min(cols, max(1, count))
    rows = max(1, math.ceil(count / cols))
    fig = figure_for((cell[0] * cols, cell[1] * rows))
    return fig, list(np.ravel(fig.subplots(rows, cols, squeeze=False)))


def error_grid(errors, confidences=None, axes=None):
    """(image, true, predicted) triples, ten per row; optional confidence in each title."""
    fig, flat = axes_grid(max(1, len(errors)), axes)
    for i, (ax, (img, true_label, pred_label)) in enumerate(zip(flat, errors)):
        ax.imshow(img.squeeze(0).numpy(), cmap="gray")
        extra = "" if confidences is None else f" ({confidences[i]:.0%})"
        ax.set_title(f"Verdadeiro: {true_label}\nPredito: {pred_label}{extra}", fontsize=9)
    for ax in flat:
        ax.axis("off")
    if not errors:
        flat[0].text(0.5, 0.5, "nenhum erro", ha="center", va="center")
    if axes is None:
        fig.tight_layout()
    return Drawing(fig, flat, errors=errors)


def image_grid(images, titles=(), axes=None, cols=10, cmap="gray"):
    """Images (tensors or arrays, 2-D or 1 x H x W) in rows of `cols`, each with its title."""
    fig, flat = axes_grid(len(images), axes, cols=cols, cell=(1.2, 1.4 if titles else 1.2))
    for i, (ax, img) in enumerate(zip(flat, images)):
        img = np.asarray(img).squeeze()
        limit = np.abs(img).max() if cmap != "gray" else None
        ax.imshow(img, cmap=cmap, vmin=-limit if limit else None, vmax=limit)
        if i < len(titles):
            ax.set_title(titles[i], fontsize=9)
    for ax in flat:
        ax.axis("off")
    if axes is None:
        fig.tight_layout()
    return Drawing(fig, flat, images=images)


def plot_confusion_matrix(cm, normalize=False, ax=None):
    """Heatmap of a confusion matrix with Portuguese labels; rows divided by their totals
    (the share of each true digit) with `normalize`."""
    if ax is None:
        ax = figure_for((8, 6.5)).subplots()
    if normalize:
        rates = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        sns.heatmap(rates, annot=True, fmt=".2f", cmap="Blues", ax=ax, vmin=0, vmax=1)
    else:
        sns.heatmap(cm, annot=True, fmt="d", cmap="Blues", ax=ax)
    ax.set_xlabel("Predito")
    ax.set_ylabel("Verdadeiro")
    ax.set_title("Matriz de Confusão")
    ax.figure.tight_layout()
    return Drawing(ax.figure, ax, confusion_matrix=cm)
