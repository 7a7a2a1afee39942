"""A d2l ProgressBoard that redraws once per epoch, as PNG, in place."""
from d2l import torch as d2l
from matplotlib.figure import Figure


def in_notebook():
    """True inside a Jupyter kernel, where figures can be displayed."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class EpochBoard(d2l.ProgressBoard):
    """Same curves as d2l's board, at a fraction of the cost.

    d2l's board re-renders after every averaged point and stacks new lines on old ones, so
    drawing grows with every epoch; this one averages with running sums, redraws once the
    epoch's validation points are in, and updates a single display in place (one output
    per cell, which nbval can compare) instead of clear_output.
    """

    def __init__(self, figsize=(3.5, 2.5), display=None, on_epoch=None, **kwargs):
        super().__init__(figsize=figsize, display=in_notebook() if display is None else display,
                         **kwargs)
        self.data, self._pending, self._handle = {}, {}, None
        self.on_epoch = on_epoch  # called with the board once an epoch's points are in
        # Without validation (MNIST(validate=False)) an epoch ends with its last training
        # point; MLP sets this to its plot_train_per_epoch when the Trainer has no val batches.
        self.train_points_per_epoch = None

    def draw(self, x, y, label, every_n=1):
        """Add a point to `label`'s window; append its mean when `every_n` points are in."""
        sum_x, sum_y, count = self._pending.get(label, (0.0, 0.0, 0))
        sum_x, sum_y, count = sum_x + x, sum_y + float(y), count + 1
        if count < every_n:
            self._pending[label] = (sum_x, sum_y, count)
            return
        self._pending[label] = (0.0, 0.0, 0)
        self.data.setdefault(label, []).append((sum_x / count, sum_y / count))
        if label.startswith("val_") and self._epoch_complete() or (
                self.train_points_per_epoch and label.startswith("train_")
                and len(self.data[label]) % self.train_points_per_epoch == 0):
            if self.display:
                self.show()
            if self.on_epoch:
                self.on_epoch(self)

    def _epoch_complete(self):
        return all(count == 0 for label, (_, _, count) in self._pending.items()
                   if label.startswith("val_"))

    def render(self):
        """Draw all curves on the board's figure and return it."""
        if self.fig is None:
            self.fig = Figure(figsize=self.figsize)
        axes = self.axes or (self.fig.axes[0] if self.fig.axes else self.fig.subplots())
        axes.cla()
        for (label, points), ls, color in zip(self.data.items(), self.ls, self.colors):
            axes.plot([p[0] for p in points], [p[1] for p in points], linestyle=ls,
                      color=color, label=label)
        if self.xlim:
            axes.set_xlim(self.xlim)
        if self.ylim:
            axes.set_ylim(self.ylim)
        axes.set_xlabel(self.xlabel or "epoch")
        axes.set_ylabel(self.ylabel)
        axes.set_xscale(self.xscale)
        axes.set_yscale(self.yscale)
        if self.data:
            axes.legend()
        axes.grid(alpha=0.3)
        self.fig.tight_layout()
        return self.fig

    def show(self):
        """Display the figure, replacing the board's previous display of it."""
        from IPython.display import display
        self.render()
        if self._handle is None:
            self._handle = display(self.fig, display_id=True)
        else:
            self._handle.update(self.fig)
