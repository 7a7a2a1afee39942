"""The training curves: d2l's ProgressBoard, drawn from a model's History once per epoch."""
from d2l import torch as d2l
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .formatting import br
from .plots import decimal_comma

LABELS = {"train_loss": "perda de treino", "val_loss": "perda de validação",
          "val_acc": "acurácia de validação"}
# The words of the titles and tables, in the notebooks' Portuguese.
AF_NAMES = {"sigmoid": "sigmoide", "relu": "ReLU"}
OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}
# RegularizedMLP's options ("{}" takes the value).
OPTION_NAMES = {"batch_norm": "normalização em lote", "noise": "ruído gaussiano {}",
                "dropout": "dropout {}", "weight_decay": "decaimento de pesos {}",
                "schedule": "ciclo único", "label_smoothing": "suavização de rótulos {}",
                "clean_statistics": "estatísticas sem ruído",
                "adversarial": "treino adversarial (FGSM, ε {})",
                "vat": "treino adversarial virtual {}"}


def describe(hparams, optimizer=None):
    """A model's title, e.g. 'MLP 784-256-256-10 · ReLU · Adam, taxa 0,001', from its `hparams`;
    its options, where set, on the lines below. `optimizer`, the one training uses, names it
    (so a class changed by d2l.add_to_class is named right); else hparams' or d2l's SGD."""
    hp = hparams
    sizes = "-".join(map(str, [hp.get("num_inputs", 28 * 28), *hp.get("hidden_sizes", []),
                               hp.get("num_outputs")]))
    af = AF_NAMES.get(hp.get("af"), hp.get("af"))
    if optimizer is not None:
        name = type(optimizer).__name__
    else:
        name = OPTIMIZER_NAMES.get(hp.get("optimizer", "sgd"), hp.get("optimizer"))
    lr = br(hp.get("lr", 0), "g")
    rate = f"taxa de pico {lr}" if hp.get("schedule") == "onecycle" else f"taxa {lr}"
    title = f"MLP {sizes} · {af} · {name}, {rate}"
    options = [text.format(br(hp[key], "g")) if "{}" in text else text
               for key, text in OPTION_NAMES.items() if hp.get(key) and hp[key] != "constant"
               and (key != "clean_statistics" or hp.get("batch_norm"))]  # idle without it
    lines = [title, ""]
    for option in options:  # a line of about the first's length, then the next
        if len(lines[-1]) + len(option) > 80:
            lines.append("")
        lines[-1] += (" · " if lines[-1] else "") + option
    return "\n".join(line for line in lines if line)


def in_notebook():
    """True inside a Jupyter kernel, where figures can be displayed."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class EpochBoard(d2l.ProgressBoard):
    """Loss (left) and validation accuracy (right) per epoch, each on its own scale, in one
    display that is updated in place (one output per cell, which nbval can compare).

    d2l's board re-renders after every averaged point; this one is redrawn by its model at the
    end of each epoch, from the model's `history`, so what it shows is what the results record.
    """

    def __init__(self, history, title=None, figsize=(7.5, 2.8), display=None, name=None):
        super().__init__(figsize=figsize, display=in_notebook() if display is None else display)
        self.history, self.title, self._handle = history, title, None
        self.name = name  # e.g. "Modelo A": put before the title, so the figure names its model
        self.loss_label = "perda (entropia cruzada)"  # the left axis

    def draw(self, x, y, label, every_n=1):
        """d2l's per-batch points are not drawn: the curves come from `history`."""

    def update(self):
        """Redraw after an epoch; in a notebook, replace the previous display of the figure."""
        if not self.display:
            return
        from IPython.display import display
        self.render()
        if self._handle is None:
            self._handle = display(self.fig, display_id=True)
        else:
            self._handle.update(self.fig)

    def render(self):
        """Draw the curves on the board's figure and return it."""
        rows = self.history.epochs
        has_accuracy = any("val_acc" in row for row in rows)
        if self.fig is None:
            self.fig = Figure(figsize=self.figsize)
        self.fig.clear()
        axes = self.fig.subplots(1, 2 if has_accuracy else 1, squeeze=False)[0]
        for name, style in (("train_loss", "-"), ("val_loss", "--"), ("val_acc", "-.")):
            points = [(row["epoch"], row[name]) for row in rows if name in row]
            if points:
                ax = axes[1] if name == "val_acc" else axes[0]
                ax.plot(*zip(*points), style, marker="o", markersize=3, label=LABELS[name],
                        color="C2" if name == "val_acc" else None)
        axes[0].set_ylabel(self.loss_label)
        if has_accuracy:
            axes[1].set_ylabel("acurácia")
        for ax in axes:
            ax.set_xlabel("época")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # no epoch 1,5
            if self.xlim:
                ax.set_xlim(self.xlim)
            ax.grid(alpha=0.3)
            if ax.lines:
                ax.legend(fontsize=8)
            decimal_comma(ax)
        heading = " · ".join(filter(None, [self.name, self.title]))
        if heading:
            self.fig.suptitle(heading, fontsize=10)
        self.fig.tight_layout()
        return self.fig
