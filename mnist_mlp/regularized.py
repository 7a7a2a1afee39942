"""Model F's MLP: the original's layers with batch normalisation, Gaussian noise, dropout,
weight decay, a one-cycle learning rate and label smoothing, each off by default."""
import functools

import torch
from torch import nn
from torch.nn import functional as F

from .model import ACTIVATIONS
from .training import Classifier

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "onecycle")


class RegularizedMLP(Classifier):
    """Flatten [-> noise] -> (Linear [-> BatchNorm] [-> noise] -> activation [-> Dropout]) per
    hidden size -> Linear. With every option off it is `MLP`, layer for layer."""

    def __init__(self, num_outputs, hidden_sizes, lr, af="sigmoid", optimizer="sgd",
                 batch_norm=False, noise=0.0, dropout=0.0, weight_decay=0.0,
                 schedule="constant", label_smoothing=0.0):
        super().__init__()
        self.save_hyperparameters()
        if af not in ACTIVATIONS:
            raise ValueError(f"activation af={af!r} is not supported; use 'sigmoid' or 'relu'")
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer={optimizer!r} is not supported; use one of {OPTIMIZERS}")
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule={schedule!r} is not supported; use one of {SCHEDULES}")
        layers, width = [nn.Flatten()], 28 * 28
        if noise:
            layers.append(GaussianNoise(noise))
        for size in hidden_sizes:
            if batch_norm:  # the normalisation's shift replaces the layer's bias
                layers += [nn.Linear(width, size, bias=False), nn.BatchNorm1d(size)]
            else:
                layers.append(nn.Linear(width, size))
            if noise:
                layers.append(GaussianNoise(noise))
            layers.append(ACTIVATIONS[af]())
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, num_outputs))
        self.net = nn.Sequential(*layers)

    def loss(self, Y_hat, Y, averaged=True):
        smoothing = self.label_smoothing if self.training else 0.0  # validation: plain loss
        return F.cross_entropy(Y_hat, Y, reduction="mean" if averaged else "none",
                               label_smoothing=smoothing)

    def configure_optimizers(self):
        """SGD, Adam or AdamW with weight decay; with schedule='onecycle', lr is the peak."""
        if self.optimizer == "sgd":
            optim = torch.optim.SGD(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        else:
            Adam = torch.optim.Adam if self.optimizer == "adam" else torch.optim.AdamW
            optim = Adam(self.parameters(), lr=self.lr, weight_decay=self.weight_decay,
                         fused=True)
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

    def state_dict(self):
        return {"optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict()}

    def load_state_dict(self, state):
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])


class GaussianNoise(nn.Module):
    """Adds N(0, std²) noise in training, nothing in evaluation: a regulariser, as dropout.

    Rasmus et al. 2015 (Ladder networks) train their supervised baseline MLP this way, with
    noise on the inputs and on every batch-normalised hidden layer.
    """

    def __init__(self, std):
        super().__init__()
        if not std >= 0.0:
            raise ValueError(f"noise standard deviation must be >= 0, got {std!r}")
        self.std = std

    def forward(self, X):
        if not self.training or self.std == 0:
            return X
        return torch.add(X, _standard_normal_like(X), alpha=self.std)  # never in place

    def extra_repr(self):
        return f"std={self.std}"


NOISE_TABLE_SIZE = 1 << 24  # 16.8 million values, 64 MB
NOISE_TABLE_SEED = 20151116  # fixed: the training seed picks the offsets, not the table


@functools.cache
def _noise_table():
    """NOISE_TABLE_SIZE standard-normal float32 values, drawn once per process.

    torch's CPU generator is serial, about 3.5 ns a value: fresh noise was 17 % of an epoch of
    model F. A window of this table at an offset drawn from torch's global generator (the
    "noise table" of Salimans et al. 2017) costs one addition; the training seed, through the
    offsets, still decides every draw.
    """
    generator = torch.Generator().manual_seed(NOISE_TABLE_SEED)
    return torch.randn(NOISE_TABLE_SIZE, generator=generator)


def _standard_normal_like(X):
    """N(0, 1) values shaped as X: on the CPU a read-only view into the table, fresh elsewhere."""
    n = X.numel()
    if X.device.type != "cpu" or not X.is_floating_point() or n > NOISE_TABLE_SIZE // 8:
        return torch.randn_like(X)
    start = int(torch.randint(NOISE_TABLE_SIZE - n + 1, ()))
    return _noise_table()[start:start + n].view(X.shape).to(X.dtype)
