"""Train-and-record helpers shared by the notebooks, the command line and the benchmark."""
import os
import platform
import random
import time
from importlib import metadata

import numpy as np
import torch
from d2l import torch as d2l

from .checkpoints import CheckpointedTrainer
from .checks import NONNEGATIVE_COUNT, require
from .cpu import cpu_name
from .data import batch_loader
from .files import write_json

LIBRARIES = ("torch", "torchvision", "d2l", "numpy", "matplotlib", "seaborn", "scikit-learn")
# What every generator set_seed seeds accepts (NumPy's legacy seeding is the narrowest).
SEED = (lambda v: NONNEGATIVE_COUNT[0](v) and v < 2**32, f"a whole number from 0 to {2**32 - 1}")


def set_seed(seed):
    """Seed Python, NumPy and torch: model initialisation and batch order follow from it.
    ConfigError, before any generator moves, for a seed that is not a whole number in SEED."""
    seed = int(require("seed", seed, SEED))  # a NumPy integer too: random.seed takes only int
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002  (the global RNG is what user code draws from)
    torch.manual_seed(seed)


class Stopwatch:
    """`with Stopwatch() as clock: ...`, then `clock.seconds` (wall-clock)."""

    def __enter__(self):
        self.start, self.seconds = time.perf_counter(), None
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def fit(model, data, max_epochs, num_gpus=0, checkpoint=None, settings=None):
    """Train with d2l's Trainer; return the trainer and the wall-clock seconds it took.

    On a GPU the dataset moves there first (`MNIST.to`), so no batch crosses the bus. With
    `checkpoint` (a path), the state is saved there after every epoch and, if the file exists
    (for the same `settings`), training continues from it; the seconds include the saved ones.
    A model with `clean_statistics` ends with `recompute_statistics` over the training images,
    in order and in training-size batches, inside the seconds.
    """
    trainer = (d2l.Trainer(max_epochs=max_epochs, num_gpus=num_gpus) if checkpoint is None else
               CheckpointedTrainer(checkpoint, settings, max_epochs=max_epochs, num_gpus=num_gpus))
    if trainer.gpus and hasattr(data, "to"):
        data.to(trainer.gpus[0])
    with Stopwatch() as clock:
        trainer.fit(model, data)
    with Stopwatch() as finish:
        if model.hparams.get("clean_statistics"):
            model.recompute_statistics(batch_loader(data.train, data.batch_size))
    seconds = trainer.seconds if checkpoint is not None else clock.seconds
    return trainer, seconds + finish.seconds


def hyperparameters(model):
    """The arguments the model was built with (d2l's `hparams`), JSON-ready."""
    return {key: list(value) if isinstance(value, tuple) else value
            for key, value in model.hparams.items()}


def record(name, model, val_accuracy, train_seconds, epochs, **extra):
    """One row of results: every hyperparameter of the model and what its training gave."""
    return {"name": name, **hyperparameters(model), "epochs": epochs, **extra,
            "val_accuracy": round(float(val_accuracy), 4),
            "train_seconds": round(float(train_seconds), 2)}


def save_results(records, path):
    """Write the records and the environment that produced them as JSON; return the path."""
    return write_json(path, {"models": list(records), "environment": environment()})


def environment():
    """Library versions and the machine, to store beside every result."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"python": platform.python_version(), "libraries": versions,
            "machine": platform.machine(), "cpu": cpu_name(), "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


