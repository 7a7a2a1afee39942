"""The multilayer perceptron of the original notebook, as a d2l Classifier."""
import math
import numbers

import torch
from d2l import torch as d2l
from torch import nn
from torch.nn import functional as F

from .board import EpochBoard
from .cpu import has_bf16
from .layers import Dropout, GaussianNoise
from .optim import FusedAdam

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = (None, "onecycle")
PRECISIONS = ("float32", "bfloat16")


class MLP(d2l.Classifier):
    """Flatten [-> Dropout] [-> Noise] -> (Linear [-> BatchNorm] [-> Noise] -> activation
    [-> Dropout]) per hidden size -> Linear.

    The first four arguments are the original notebook's. The keyword-only ones default to
    its behaviour (plain SGD, no regularisation); model F of the second notebook uses them.
    """

    def __init__(self, num_outputs, hidden_sizes, lr, af="sigmoid", *, optimizer="sgd",
                 num_inputs=784, dropout=0.0, weight_decay=0.0, schedule=None,
                 label_smoothing=0.0, input_dropout=0.0, batch_norm=False, noise=0.0,
                 precision="float32"):
        super().__init__()
        self.save_hyperparameters()
        self.hidden_sizes = _check_arguments(self.hparams)
        layers, width = [nn.Flatten()], num_inputs
        if input_dropout:
            layers.append(Dropout(input_dropout))
        if noise:
            layers.append(GaussianNoise(noise))
        for size in self.hidden_sizes:
            if batch_norm:  # the normalisation's shift replaces the layer's bias
                layers += [nn.Linear(width, size, bias=False), nn.BatchNorm1d(size)]
            else:
                layers.append(nn.Linear(width, size))
            if noise:
                layers.append(GaussianNoise(noise))
            layers.append(ACTIVATIONS[af]())
            if dropout:
                layers.append(Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, num_outputs))
        self.net = nn.Sequential(*layers)
        self.board = EpochBoard()

    def forward(self, X):
        if math.prod(X.shape[1:]) != self.num_inputs:
            size = math.prod(X.shape[1:])
            raise ValueError(f"each input has {size} values but this MLP expects num_inputs="
                             f"{self.num_inputs}; pass MLP(..., num_inputs={size}) for images "
                             f"of shape {tuple(X.shape[1:])}")
        if self.precision == "float32":
            return self.net(X)  # entering even a disabled autocast costs ~3 % of an E epoch
        # bfloat16 matrix products where the hardware has them (checked in _check_arguments).
        with torch.autocast(X.device.type, dtype=torch.bfloat16):
            return self.net(X).float()

    def loss(self, Y_hat, Y, averaged=True):
        return F.cross_entropy(Y_hat, Y, reduction="mean" if averaged else "none",
                               label_smoothing=self.label_smoothing if self.training else 0.0)

    def configure_optimizers(self):
        """SGD as in d2l (model A), or Adam / AdamW; optionally a one-cycle learning rate."""
        if getattr(self, "trainer", None) and not self.trainer.num_val_batches:
            self.board.train_points_per_epoch = self.plot_train_per_epoch
        params = list(self.parameters())
        if self.optimizer == "sgd":
            optim = torch.optim.SGD(params, lr=self.lr, weight_decay=self.weight_decay)
        elif FusedAdam.supports(params):
            # torch's fused kernel (one pass over all tensors), called with less Python around it
            optim = FusedAdam(params, lr=self.lr, weight_decay=self.weight_decay,
                              decoupled=self.optimizer == "adamw")
        else:
            Adam = torch.optim.Adam if self.optimizer == "adam" else torch.optim.AdamW
            optim = Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        if self.schedule == "onecycle":
            steps = self.trainer.max_epochs * self.trainer.num_train_batches
            return ScheduledOptimizer(optim, torch.optim.lr_scheduler.OneCycleLR(
                optim, max_lr=self.lr, total_steps=steps))
        return optim


class ScheduledOptimizer:
    """An optimizer whose step() also advances its learning-rate scheduler.

    d2l's Trainer only calls `zero_grad()` and `step()`; this keeps its loop unchanged.
    """

    def __init__(self, optimizer, scheduler):
        self.optimizer, self.scheduler = optimizer, scheduler

    def zero_grad(self, set_to_none=True):
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def step(self):
        self.optimizer.step()
        self.scheduler.step()

    @property
    def param_groups(self):
        return self.optimizer.param_groups


def _check_arguments(hp):
    """Return hidden_sizes as a list of ints; raise ValueError naming any unusable argument."""
    def whole(value):
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)

    if not whole(hp["num_outputs"]) or hp["num_outputs"] < 2:
        raise ValueError(f"num_outputs must be an integer >= 2, got {hp['num_outputs']!r}")
    if not whole(hp["num_inputs"]) or hp["num_inputs"] < 1:
        raise ValueError(f"num_inputs must be a positive integer, got {hp['num_inputs']!r}")
    sizes = hp["hidden_sizes"]
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        sizes = [sizes]
    sizes = list(sizes)
    if not all(whole(s) and s >= 1 for s in sizes):
        raise ValueError("hidden_sizes must be a list of positive integers, e.g. [256, 256]; "
                         f"got {hp['hidden_sizes']!r}")
    lr = hp["lr"]
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (
            math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if hp["af"] not in ACTIVATIONS:
        raise ValueError(f"activation af={hp['af']!r} is not supported; use one of "
                         + ", ".join(repr(name) for name in ACTIVATIONS))
    if hp["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"optimizer={hp['optimizer']!r} is not supported; use one of "
                         + ", ".join(repr(name) for name in OPTIMIZERS))
    if hp["schedule"] not in SCHEDULES:
        raise ValueError(f"schedule={hp['schedule']!r} is not supported; use None or 'onecycle'")
    if hp["precision"] not in PRECISIONS:
        raise ValueError(f"precision={hp['precision']!r} is not supported; use 'float32' or "
                         "'bfloat16'")
    if hp["precision"] == "bfloat16" and not (has_bf16() or torch.cuda.is_available()):
        raise ValueError("precision='bfloat16' needs a CPU with AVX512_BF16 or AMX, which this "
                         "one lacks (or a GPU); use precision='float32'")
    if not isinstance(hp["batch_norm"], bool):
        raise ValueError(f"batch_norm must be True or False, got {hp['batch_norm']!r}")
    for name in ("dropout", "label_smoothing", "input_dropout"):
        if not 0.0 <= hp[name] < 1.0:
            raise ValueError(f"{name} must be in [0, 1), got {hp[name]!r}")
    if not hp["noise"] >= 0:
        raise ValueError(f"noise must be a standard deviation >= 0, got {hp['noise']!r}")
    if hp["weight_decay"] < 0:
        raise ValueError(f"weight_decay must be >= 0, got {hp['weight_decay']!r}")
    return [int(s) for s in sizes]
