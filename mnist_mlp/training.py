"""What every model of the package adds to d2l.Classifier: per-epoch metrics, a board redrawn
once per epoch, and a clear stop when the loss stops being finite."""
import math

import torch
from d2l import torch as d2l

from .board import EpochBoard, describe


class TrainingDiverged(FloatingPointError):
    """The training loss became NaN or infinite."""


PENALTIES = ("weight_decay", "noise", "adversarial", "vat")  # what may diverge besides lr


class History:
    """Per-epoch means (weighted by batch size) of the values a model measures while training.

    `epochs` holds one dict per finished epoch ({"epoch": 1, "train_loss": ..., "val_loss": ...,
    "val_acc": ...}); `on_epoch`, if set, is called with each new one. Values may be tensors on
    any device: they are kept there and read once per epoch, so a GPU step never waits.
    """

    def __init__(self, on_epoch=None):
        self.epochs, self.on_epoch, self._values = [], on_epoch, {}

    def add(self, name, value, count):
        value = value.detach() if hasattr(value, "detach") else value
        self._values.setdefault(name, []).append((value, count))

    def mean(self, name):
        """The mean of `name` so far in the epoch under way (it reads the values once)."""
        values, counts = zip(*self._values[name])
        if hasattr(values[0], "detach"):  # one stack, one read: no wait per step
            values = torch.stack(values).double().cpu().tolist()
        return sum(v * n for v, n in zip(values, counts)) / sum(counts)

    def discard_epoch(self):
        """Forget the values of the epoch under way (one interrupted before its end)."""
        self._values = {}

    def end_epoch(self):
        row = {"epoch": len(self.epochs) + 1,
               **{name: self.mean(name) for name in self._values}}
        self.epochs.append(row)
        self._values = {}
        if self.on_epoch:
            self.on_epoch(row)
        return row

    def column(self, name):
        """One value per finished epoch, e.g. history.column("val_loss")."""
        names = {key for row in self.epochs for key in row}
        if self.epochs and name not in names:  # Python's bare KeyError otherwise
            raise ValueError(f"no {name!r} in this history (it has {', '.join(sorted(names))})"
                             + (": a model trained without validation has no val_ columns"
                                if name.startswith("val") else ""))
        return [row[name] for row in self.epochs]


def check_batch_for_training(model, batch):
    """ValueError, in one line, for a first batch the model cannot train on: a batch as the
    evaluation helpers take it (`check_batch`: finite floats, not 0-255, integer labels), the
    images' dtype and size and the labels against the model (as `fit` checks before it starts),
    and batch normalisation given one image."""
    # evaluation draws with seaborn: imported when training starts
    from .evaluation import check_batch, fits

    if len(batch) != 2:  # not (images, labels): the model's own business
        return
    # 0-255 images train to chance without a word, float labels are torch's traceback: as
    # the evaluation helpers refuse them, before the first step
    X, y = check_batch(batch, training=True)  # a model may learn other images
    fits((X, y), model)
    check_batch_norm(model, len(X))


def has_batch_norm(model):
    """Whether any layer of `model` normalises by the batch's statistics in training."""
    return any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())


def check_batch_norm(model, batch_size):
    """ValueError if `model` would train by batch normalisation on batches of one image."""
    if batch_size == 1 and has_batch_norm(model):
        raise ValueError("batch normalisation cannot train on batches of one image: use a "
                         "batch_size of 2 or more")


class Classifier(d2l.Classifier):
    """d2l.Classifier whose training steps feed `history` and `board` (one redraw per epoch)
    and raise TrainingDiverged, naming the epoch and learning rate, when an epoch's training
    loss is not finite."""

    def __init__(self):
        super().__init__()
        self.history = History()
        self.board = EpochBoard(self.history)

    def training_step(self, batch):
        if self.trainer.train_batch_idx % self.trainer.num_train_batches == 0:
            check_batch_for_training(self, batch)  # d2l.Trainer's route too: one line, not torch's
            self.history.discard_epoch()  # what an interrupted epoch (Ctrl-C) had added
        Y_hat = self(*batch[:-1])
        loss = self.loss(Y_hat, batch[-1])
        self.history.add("train_loss", loss, len(batch[-1]))
        if self._last_batch(train=True):
            self._check_finite()
            if not self.trainer.num_val_batches:
                self._end_epoch()  # no validation: the epoch ends with its last training batch
        # a loss gone NaN is told at the epoch's end (TrainingDiverged); the attacks a penalty
        # runs would refuse the model's NaN scores first, in other words
        penalty = self.penalty(batch, Y_hat) if torch.isfinite(loss) else None
        return loss if penalty is None else loss + penalty

    def penalty(self, batch, Y_hat):
        """A term added to the training loss, or None; `Y_hat` are the batch's scores. E.g.
        virtual adversarial training (RegularizedMLP's `vat`), or an attack's loss."""
        return None

    def validation_step(self, batch):
        Y_hat, Y = self(*batch[:-1]), batch[-1]
        self.history.add("val_loss", self.loss(Y_hat, Y), len(Y))
        self.history.add("val_acc", self.accuracy(Y_hat, Y), len(Y))
        if self._last_batch(train=False):
            self._check_finite("val_loss")  # a blow-up in the epoch's last step shows here
            self._end_epoch()

    def _check_finite(self, name="train_loss"):
        value = self.history.mean(name)
        if not math.isfinite(value):
            what = "training" if name == "train_loss" else "validation"
            # a huge weight decay or penalty diverges too: named beside lr when it is set
            terms = {k: v for k in PENALTIES
                     if isinstance(v := self.hparams.get(k), (int, float)) and v}
            given = "".join(f", {k}={v:g}" for k, v in terms.items())
            smaller = f" or a smaller {' / '.join(terms)}" if terms else ""
            raise TrainingDiverged(
                f"the {what} loss became {value} in epoch {self.trainer.epoch + 1} with "
                f"lr={self.lr:g}{given}: training stopped; try a lower learning rate{smaller}")

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
        options, where set, on the lines below. The optimizer is the one training uses."""
        trainer = getattr(self, "trainer", None)
        optim = getattr(trainer, "optim", None)
        return describe(self.hparams, optim)
