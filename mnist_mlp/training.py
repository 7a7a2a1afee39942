"""What every model of the package adds to d2l.Classifier: per-epoch metrics, a board redrawn
once per epoch, and a clear stop when the loss stops being finite."""
import math

from d2l import torch as d2l

from .board import EpochBoard
from .formatting import br

AF_NAMES = {"sigmoid": "sigmoide", "relu": "ReLU"}
OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}
# RegularizedMLP's options, in the notebooks' words ("{}" takes the value).
OPTION_NAMES = {"batch_norm": "normalização em lote", "noise": "ruído gaussiano {}",
                "dropout": "dropout {}", "weight_decay": "decaimento de pesos {}",
                "schedule": "ciclo único", "label_smoothing": "suavização de rótulos {}",
                "clean_statistics": "estatísticas sem ruído"}


class TrainingDiverged(FloatingPointError):
    """The training loss became NaN or infinite."""


class History:
    """Per-epoch means (weighted by batch size) of the values a model measures while training.

    `epochs` holds one dict per finished epoch ({"epoch": 1, "train_loss": ..., "val_loss": ...,
    "val_acc": ...}); `on_epoch`, if set, is called with each new one.
    """

    def __init__(self, on_epoch=None):
        self.epochs, self.on_epoch, self._sums = [], on_epoch, {}

    def add(self, name, value, count):
        total, n = self._sums.get(name, (0.0, 0))
        self._sums[name] = (total + value * count, n + count)

    def end_epoch(self):
        row = {"epoch": len(self.epochs) + 1,
               **{name: total / n for name, (total, n) in self._sums.items()}}
        self.epochs.append(row)
        self._sums = {}
        if self.on_epoch:
            self.on_epoch(row)
        return row

    def column(self, name):
        """One value per finished epoch, e.g. history.column("val_loss")."""
        return [row[name] for row in self.epochs]


class Classifier(d2l.Classifier):
    """d2l.Classifier whose training steps feed `history` and `board` (one redraw per epoch)
    and raise TrainingDiverged, naming the epoch and learning rate, on a non-finite loss."""

    def __init__(self):
        super().__init__()
        self.history = History()
        self.board = EpochBoard(self.history)

    def training_step(self, batch):
        loss = self.loss(self(*batch[:-1]), batch[-1])
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingDiverged(
                f"the training loss became {value} in epoch {self.trainer.epoch + 1} with "
                f"lr={self.lr:g}: training stopped; try a lower learning rate")
        self.history.add("train_loss", value, len(batch[-1]))
        if not self.trainer.num_val_batches and self._last_batch(train=True):
            self._end_epoch()  # no validation: the epoch ends with its last training batch
        return loss

    def validation_step(self, batch):
        Y_hat, Y = self(*batch[:-1]), batch[-1]
        self.history.add("val_loss", float(self.loss(Y_hat, Y)), len(Y))
        self.history.add("val_acc", float(self.accuracy(Y_hat, Y)), len(Y))
        if self._last_batch(train=False):
            self._end_epoch()

    def _last_batch(self, train):
        trainer = self.trainer
        if train:
            return (trainer.train_batch_idx + 1) % trainer.num_train_batches == 0
        return (trainer.val_batch_idx + 1) % trainer.num_val_batches == 0

    def _end_epoch(self):
        self.history.end_epoch()
        if self.board.title is None:
            self.board.title = self.describe()
        self.board.update()

    def describe(self):
        """E.g. 'MLP 784-256-256-10 · ReLU · Adam, taxa 0,001', for figure titles; model F's
        options, where set, on the lines below."""
        hp = self.hparams
        sizes = "-".join(map(str, [28 * 28, *hp.get("hidden_sizes", []), hp.get("num_outputs")]))
        af = AF_NAMES.get(hp.get("af"), hp.get("af"))
        optimizer = OPTIMIZER_NAMES.get(hp.get("optimizer"), hp.get("optimizer"))
        lr = br(hp.get("lr", 0), "g")
        rate = f"taxa de pico {lr}" if hp.get("schedule") == "onecycle" else f"taxa {lr}"
        title = f"MLP {sizes} · {af} · {optimizer}, {rate}"
        options = [text.format(br(hp[name], "g")) if "{}" in text else text
                   for name, text in OPTION_NAMES.items()
                   if hp.get(name) and hp[name] != "constant"]
        lines = [title, ""]
        for option in options:  # a line of about the first's length, then the next
            if len(lines[-1]) + len(option) > 80:
                lines.append("")
            lines[-1] += (" · " if lines[-1] else "") + option
        return "\n".join(line for line in lines if line)
