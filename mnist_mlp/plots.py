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
import torch
from matplotlib.axes import Axes
from matplotlib.ticker import Formatter, MaxNLocator

from .checks import BOOLEAN, PIXEL, UNIT, is_number, require
from .formatting import axis_number, br, shared_decimals


class Drawing:
    """What a helper drew: `figure_`, `axes_` (as scikit-learn's displays) and `data`, what
    was drawn (the errors, the images or the confusion matrix)."""

    def __init__(self, figure, axes, data):
        self.figure_, self.axes_, self.data = figure, axes, data

    def __repr__(self):
        width, height = self.figure_.get_size_inches()
        count = len(np.ravel(self.axes_))
        return f"<Drawing: {count} axes on a {width:g} x {height:g} in figure>"


class DecimalCommaFormatter(Formatter):
    """Tick labels as Portuguese prints numbers (−0,50 · 0,25 · 1.000), with one number of
    decimals for the whole axis, so that 0,20 and 0,25 stand side by side, never 0,2 and 0,25."""

    decimals = 0

    def set_locs(self, locs):
        super().set_locs(locs)
        self.decimals = shared_decimals(locs)

    def __call__(self, x, pos=None):
        return axis_number(x, self.decimals)


def one_axes(ax):
    """`ax` if it is one matplotlib Axes, else a ValueError saying what to pass."""
    if not isinstance(ax, Axes):
        raise ValueError(f"ax must be one matplotlib Axes (e.g. plt.subplots()[1], or one of "
                         f"an array of them), got {type(ax).__name__}")
    if ax.name != "rectilinear":  # a polar or 3-D Axes: seaborn's and matplotlib's tracebacks
        raise ValueError(f"ax must be an ordinary 2-D Axes, got {type(ax).__name__} (projection "
                         f"{ax.name!r}): plt.subplots()[1]")
    return ax


def decimal_comma(ax):
    """Portuguese tick labels (`DecimalCommaFormatter`) on both axes of `ax`."""
    one_axes(ax)
    ax.xaxis.set_major_formatter(DecimalCommaFormatter())
    ax.yaxis.set_major_formatter(DecimalCommaFormatter())


def figure_for(figsize):
    """Pyplot's current figure if it is still empty (the caller's size), else a new one."""
    if plt.get_fignums() and not plt.gcf().axes:
        return plt.gcf()
    return plt.figure(figsize=figsize)


def axes_grid(count, axes=None, cols=10, cell=(1.5, 1.9)):
    """`count` axes in rows of `cols`: the given ones (any array shape) or a new grid."""
    if axes is not None:
        flat = list(np.ravel(np.asarray(axes, dtype=object)))
        if not all(isinstance(ax, Axes) for ax in flat):
            raise ValueError(f"axes must be matplotlib axes (e.g. plt.subplots(2, 10)[1]), got "
                             f"{type(axes).__name__}")
        for ax in flat:
            one_axes(ax)  # a polar or 3-D one draws black blocks, no digit
        if len(flat) < count:
            raise ValueError(f"axes holds {len(flat)} axes but {count} images are to be drawn")
        return flat[0].figure, flat
    cols = min(cols, max(1, count))
    rows = max(1, math.ceil(count / cols))
    fig = figure_for((cell[0] * cols, cell[1] * rows))
    return fig, list(np.ravel(fig.subplots(rows, cols, squeeze=False)))


def error_grid(errors, confidences=None, axes=None):
    """(image, true, predicted) triples, ten per row; optional confidence in each title."""
    if isinstance(errors, Drawing):
        errors = errors.data  # visualize_errors' drawing: the errors it drew
    triples = "error_grid takes a list of (image, true, predicted) triples, e.g. "
    if not hasattr(errors, "__iter__"):
        raise ValueError(f"{triples}visualize_errors(model, data).data; got "
                         f"{type(errors).__name__}")
    errors = list(errors)
    if (len(errors) == 2 and confidences is None and isinstance(errors[1], (list, tuple))
            and all(isinstance(e, (tuple, list)) for e in errors[0])):
        raise ValueError("got (errors, confidences), as confident_errors returns them: pass "
                         "them apart, error_grid(errors, confidences)")
    if not all(isinstance(e, (tuple, list)) and len(e) == 3 for e in errors):
        raise ValueError(f"{triples}visualize_errors(model, data).data")
    if confidences is not None:
        if hasattr(confidences, "detach"):
            confidences = confidences.detach().cpu().tolist()
        values = np.asarray(confidences, dtype=object)
        if not (values.ndim == 1 and len(values) == len(errors)
                and all(require("confidence", v, UNIT) is not None for v in values)):
            raise ValueError(f"confidences must hold one fraction per error ({len(errors)}), as "
                             "confident_errors returns them")
    fig, flat = axes_grid(max(1, len(errors)), axes)
    for i, (ax, (img, true_label, pred_label)) in enumerate(zip(flat, errors)):
        ax.imshow(as_image(img), cmap="gray")
        extra = "" if confidences is None else f" ({br(confidences[i], '.0%')})"
        ax.set_title(f"Verdadeiro: {true_label}\nPredito: {pred_label}{extra}", fontsize=9)
    for ax in flat:
        ax.axis("off")
    if not errors:
        flat[0].text(0.5, 0.5, "nenhum erro", ha="center", va="center")
    if axes is None:
        fig.tight_layout()
    return Drawing(fig, flat, errors)


def as_image(img):
    """A tensor or array as an array for imshow, H x W (or H x W x 3 or 4 in colour; weights
    that require grad draw as values)."""
    if isinstance(img, (str, tuple)):  # a path; an (image, label) item or an error triple
        raise ValueError("each image must be one array or tensor, got "
                         + (f"the path {img!r}: open it first, [to_mnist(Image.open(path))]"
                            if isinstance(img, str) else
                            f"a tuple of {len(img)} (an (image, label) item?): pass item[0]"))
    array = np.asarray(img.detach().cpu() if hasattr(img, "detach") else img).squeeze()
    if not (array.ndim == 2 or array.ndim == 3 and array.shape[-1] in (3, 4)):
        raise ValueError(f"an image must be H x W (or 1 x H x W, or H x W x 3 in colour), got "
                         f"shape {array.shape}: "
                         "reshape it, e.g. x.reshape(28, 28), or draw a layer's weights with "
                         "first_layer_images(model)")
    return array


def image_grid(images, titles=(), axes=None, cols=10, cmap="gray", colorbar=None):
    """Images (tensors, arrays or PIL images: H x W, 1 x H x W or H x W x 3) in rows of `cols`,
    each with its title (`titles` may be shorter, e.g. the first row's column headers).

    With a diverging `cmap` (weights), all images share one scale symmetric about zero;
    `colorbar="label"` adds one colour bar for the whole grid.
    """
    require("cols", cols)  # a positive integer
    if isinstance(images, Drawing):
        images = images.data  # image_grid's or first_layer_images' drawing: its images
    if isinstance(images, dict):
        raise ValueError("image_grid takes a list of images, got a dict: pass "
                         "list(d.values()) and titles=list(d)")
    if isinstance(images, (torch.utils.data.Dataset, torch.utils.data.DataLoader)):
        raise ValueError(f"image_grid takes images, got a {type(images).__name__}: e.g. "
                         "[data.test[i][0] for i in range(10)], or X[:10] of a batch")
    if isinstance(images, str) or getattr(images, "ndim", 3) < 3:  # a path; one image's rows
        raise ValueError(f"image_grid takes a list of images, got {type(images).__name__} "
                         f"{tuple(getattr(images, 'shape', ()))}: pass one image as [image], "
                         "flat images as x.reshape(-1, 28, 28), a file as "
                         "[to_mnist(Image.open(path))]")
    if isinstance(titles, str) or not (titles is None or hasattr(titles, "__iter__")):
        raise ValueError(f"titles must be a list, one title per image, got {titles!r}")
    titles = [] if titles is None else [
        str(t) for t in (titles.tolist() if hasattr(titles, "tolist") else titles)]  # labels too
    images = list(images)  # a generator (map(to_mnist, photos)) has no len
    if len(titles) > len(images):  # fewer are allowed: a first row's column headers
        raise ValueError(f"titles has {len(titles)} entries for {len(images)} images: give "
                         "at most one title per image")
    if colorbar is not None and not isinstance(colorbar, str):
        raise ValueError(f"colorbar is the colour bar's label (text), got {colorbar!r}")
    fig, flat = axes_grid(len(images), axes, cols=cols, cell=(1.2, 1.4 if titles else 1.2))
    # weights that require grad (first_layer_images of a model in training) draw as values
    arrays = [as_image(img) for img in images]
    limit = max(float(np.abs(a).max()) for a in arrays) if cmap != "gray" and arrays else None
    shown = None
    for i, (ax, img) in enumerate(zip(flat, arrays)):
        shown = ax.imshow(img, cmap=cmap, vmin=-limit if limit else None, vmax=limit)
        if i < len(titles):
            ax.set_title(titles[i], fontsize=9)
    for ax in flat:
        ax.axis("off")
    if axes is None:
        fig.tight_layout()
    if colorbar and shown is not None:
        bar = fig.colorbar(shown, ax=flat, fraction=0.02, pad=0.01)
        bar.set_label(colorbar)
        bar.ax.yaxis.set_major_formatter(DecimalCommaFormatter())
    return Drawing(fig, flat, images)


def counts_table(cm, example="show_confusion_matrix(model, data)"):
    """`cm` as a square array of counts, else a ValueError saying what is off: a normalised
    matrix would be drawn and ranked as 0 and 1 (its fractions cut to whole numbers)."""
    cm = np.asarray(cm.data if isinstance(cm, Drawing) else cm)  # a drawing: its table
    if not (cm.ndim == 2 and cm.shape[0] == cm.shape[1] and cm.size):
        raise ValueError(f"expected a square table of counts, got shape {cm.shape}: e.g. "
                         f"{example}")
    if cm.dtype == bool or not np.issubdtype(cm.dtype, np.number):
        raise ValueError(f"expected a table of counts, got {cm.dtype} values: e.g. {example}")
    if not (np.isfinite(cm).all() and (cm >= 0).all() and (cm == np.round(cm)).all()):
        raise ValueError("expected counts (whole numbers from 0), got fractions, negatives or "
                         f"NaN: pass the matrix before normalising it, e.g. {example}")
    return cm


def plot_confusion_matrix(cm, errors_only=False, ax=None, title=None):
    """Heatmap of a confusion matrix in counts (rows: true digit, columns: predicted), titled
    `title` (by default the original's "Matriz de Confusão", or "Erros (fora da diagonal)").

    With `errors_only` the diagonal is left blank, so the colours scale to the errors alone.
    """
    require("errors_only", errors_only, BOOLEAN)  # "False" is a true string
    ax = one_axes(figure_for((8, 6.5)).subplots() if ax is None else ax)
    cm = counts_table(cm)
    mask = np.eye(len(cm), dtype=bool) if errors_only else None
    counts = np.vectorize(lambda n: br(int(n), ",d"))(cm)  # 1.135, as pt-BR writes it
    sns.heatmap(cm, annot=counts, fmt="", cmap="Blues", ax=ax, mask=mask,
                cbar_kws={"format": DecimalCommaFormatter(), "ticks": MaxNLocator(integer=True)})
    ax.set_xlabel("Dígito predito")
    ax.set_ylabel("Dígito verdadeiro")
    ax.set_title(title or ("Erros (fora da diagonal)" if errors_only else "Matriz de Confusão"))
    ax.figure.tight_layout()
    return Drawing(ax.figure, ax, cm)


def attack_grid(X, X_adv, before, after, name, eps, axes=None):
    """Ataques lado a lado: em cima cada imagem de `X`, no meio a mudança `X_adv - X`
    (vermelho: mais claro; azul: mais escuro), embaixo a imagem atacada; os títulos dão a
    resposta do modelo `name` antes (`before`) e depois (`after`)."""
    # generators (x for x in X) have no len; lists and tensors are kept as they are
    X, X_adv, before, after = (v if hasattr(v, "__len__") else list(v)
                               for v in (X, X_adv, before, after))
    count = len(X)
    if not len(X_adv) == len(before) == len(after) == count:
        raise ValueError(f"X, X_adv, before and after must be equally long (one per image), got "
                         f"{len(X)}, {len(X_adv)}, {len(before)} and {len(after)}")
    require("eps", eps, PIXEL)  # 8, not 8/255: the change's colours would be blank
    if not count:
        raise ValueError("no images to draw: X is empty")
    sizes = {tuple(np.shape(x)) for x in (*X, *X_adv)}
    if len(sizes) > 1:  # NumPy's "operands could not be broadcast" while drawing the change
        raise ValueError(f"X and X_adv must hold images of one size, got sizes "
                         f"{', '.join(map(str, sorted(sizes)))}")
    for name_, answers in (("before", before), ("after", after)):
        array = np.asarray(answers.detach().cpu() if hasattr(answers, "detach") else answers)
        if array.shape != (count,) or not all(is_number(a) and a == int(a) for a in array):
            raise ValueError(f"{name_} must hold one digit per image, got shape {array.shape}: "
                             "e.g. scores.argmax(dim=1)")
    if axes is None:
        fig = figure_for((1.5 * max(count, 1), 5))
        axes = fig.subplots(3, max(count, 1), squeeze=False)
    else:
        grid = np.asarray(axes, dtype=object)
        if grid.ndim == 2 and grid.shape == (count, 3) and count != 3:  # one row per image
            grid = grid.T
        flat = list(np.ravel(grid))
        shaped = grid.ndim != 2 or grid.shape == (3, count)  # a flat list: read row by row
        if len(flat) != 3 * count or not shaped or not all(isinstance(ax, Axes) for ax in flat):
            raise ValueError(f"axes must hold 3 x {count} matplotlib axes (original, change, "
                             f"attacked), got {len(flat)}"
                             + (f" of type {type(flat[0]).__name__}" if flat else "")
                             + (f" in a {grid.shape[0]} x {grid.shape[1]} grid"
                                if grid.ndim == 2 else "")
                             + f": e.g. plt.subplots(3, {count})[1]")
        axes = flat
    axes = np.asarray(axes, dtype=object).reshape(3, -1)
    for col in range(count):
        image, attacked = as_image(X[col]), as_image(X_adv[col])
        if min(image.min(), attacked.min()) < 0 or max(image.max(), attacked.max()) > 1:
            raise ValueError("the images must be in [0, 1], as MNIST's loaders give them: "
                             "divide 0-255 pixels by 255")
        axes[0, col].imshow(image, cmap="gray", vmin=0, vmax=1)
        axes[0, col].set_title(f"{name} lê {int(before[col])}")
        axes[1, col].imshow(attacked - image, cmap="RdBu_r", vmin=-eps, vmax=eps)
        axes[2, col].imshow(attacked, cmap="gray", vmin=0, vmax=1)
        axes[2, col].set_title(f"{name} lê {int(after[col])}")
    for ax in axes.flat:
        ax.set_axis_off()
    fig = axes.flat[0].figure
    fig.suptitle(f"Modelo {name}: original, mudança (ε = {br(eps, 'g')}) e dígito atacado")
    return Drawing(fig, axes, (X, X_adv))


def numbers(name, values, count):
    """`values` (a list, an array or a tensor, of numbers or 0-d tensors) as `count` floats,
    else a ValueError that names `name`."""
    if isinstance(values, (dict, str)) or not hasattr(values, "__len__"):
        raise ValueError(f"{name} must be a list of numbers, one per x, got "
                         f"{type(values).__name__}: e.g. list(values.values())")
    try:
        array = np.array([float(v) for v in values], dtype=float)
    except (TypeError, ValueError, RuntimeError):  # text, lists, tensors of several values
        raise ValueError(f"{name} must hold numbers") from None
    if len(array) != count:
        raise ValueError(f"{name} has {len(array)} values for {count} xs")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return array


def accuracy_curves(xs, curves, xlabel, title, ax=None, ylabel="acurácia no teste"):
    """Uma curva de acurácia por modelo ({nome: acurácias}, nos mesmos `xs`), de 0 a 1."""
    if not isinstance(curves, dict):
        raise ValueError(f"curves must be a dict {{model name: accuracies}}, got "
                         f"{type(curves).__name__}: e.g. {{'E': [0.98, 0.7], 'F': [0.99, 0.8]}}")
    if isinstance(xs, (str, dict, set, frozenset)) or not hasattr(xs, "__iter__"):
        raise ValueError(f"xs must be a list of x values, one per accuracy, got "
                         f"{type(xs).__name__}" + (" (a set has no order: pass sorted(xs))"
                                                   if isinstance(xs, (set, frozenset)) else ""))
    # tensors of xs, or xs that require grad (a sweep's eps), draw as their values
    xs = [x.item() if hasattr(x, "item") and getattr(x, "ndim", 1) == 0 else x
          for x in (xs.detach().cpu().tolist() if hasattr(xs, "detach") else xs)]
    curves = {name: numbers(f"curves[{name!r}]", accuracies, len(xs))
              for name, accuracies in curves.items()}
    if not all(((a >= 0) & (a <= 1)).all() for a in curves.values()):  # 0-1 axis: off the chart
        raise ValueError("the accuracies must be fractions from 0 to 1 (0.98, not 98): "
                         "divide percentages by 100")
    ax = one_axes(figure_for((6.4, 3.6)).subplots() if ax is None else ax)
    for name, accuracies in curves.items():
        ax.plot(xs, accuracies, "o-", label=f"modelo {name}")
    ax.set(title=title, ylim=(0, 1), xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    ax.grid(alpha=0.3)
    decimal_comma(ax)
    return Drawing(ax.figure, ax, curves)
