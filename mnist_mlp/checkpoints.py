"""Training that an interrupt does not waste: d2l's Trainer saving its whole state after every
epoch, and resuming from it as if it had never stopped."""
import random
import time
from pathlib import Path

import numpy as np
import torch
from d2l import torch as d2l

from .config import Config
from .files import damage, expanded, replacing
from .formatting import contrast


class CheckpointError(RuntimeError):
    """A checkpoint cannot be read, or belongs to a run of other settings."""


KEYS = {"settings", "epochs", "seconds", "model", "optimizer", "scheduler", "history", "batch_idx",
        "rng"}  # what _save writes, with "hparams" and "batches" (older checkpoints lack them)
START_OVER = "delete it to start that run over"  # train --resume says what applies to it
OTHER_PATH = "pass another checkpoint path (this file is left as it is)"


def read_checkpoint(path, advice=START_OVER, other=OTHER_PATH):
    """The dict saved in `path`; CheckpointError if it is not a readable checkpoint (`advice`:
    what to do about one of this package that is cut short; `other`: about another file, which
    the command line, taking no checkpoint path, says its own way)."""
    if Path(path).is_dir():
        raise CheckpointError(f"{path} is a folder: name the checkpoint's file, e.g. "
                              f"{Path(path) / 'treino.checkpoint.pt'}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for a truncated or foreign file
        # a checkpoint cut short (a full disk) or another file passed by mistake: both apply
        raise CheckpointError(f"{path} is not a readable checkpoint ({err.__class__.__name__}): "
                              f"if it is this run's, cut short, {advice}; if it is another "
                              f"file, {other}") from None
    if what := damage(path):  # a flipped bit: resumed with another number
        raise CheckpointError(f"{path} is corrupt ({what}): if it is this run's, {advice}; if "
                              f"it is another file, {other}")
    if isinstance(state, dict) and state and all(isinstance(v, torch.Tensor)
                                                  for v in state.values()):
        raise CheckpointError(f"{path} holds a model's weights (save_weights), not a training "
                              f"checkpoint (load them with load_weights): {other}")
    if not isinstance(state, dict) or not set(state) >= KEYS:
        raise CheckpointError(f"{path} is not a training checkpoint of this package: {other}")
    return state


class CheckpointedTrainer(d2l.Trainer):
    """d2l.Trainer that writes `path` after every epoch (weights, optimizer, schedule, history,
    random generators, seconds) and, if `path` exists, continues from it: the epochs after the
    last saved one are the ones an uninterrupted run would have trained."""

    def __init__(self, path, settings, max_epochs, num_gpus=0):
        super().__init__(max_epochs=max_epochs, num_gpus=num_gpus)
        self.path, self.settings = expanded(path), settings
        self.seconds = 0.0  # training time of the saved epochs, then of all

    def fit(self, model, data):
        """d2l's fit, starting after the checkpoint's last epoch and saving after each one."""
        self.prepare_data(data)
        self.prepare_model(model)
        self.optim = model.configure_optimizers()
        self.epoch = self.train_batch_idx = self.val_batch_idx = 0
        if not self.path.exists() and model.history.epochs:  # its epochs, counted from 0 here
            raise CheckpointError(f"this model has trained {len(model.history.epochs)} "
                                  f"epoch(s) already, which {self.path} would not count: build "
                                  "a new model to train with a checkpoint from its first epoch")
        first = self._restore(model) if self.path.exists() else 0
        if first > self.max_epochs:  # its weights would come back as if trained for max_epochs
            raise CheckpointError(f"{self.path} holds {first} epochs, more than max_epochs="
                                  f"{self.max_epochs}: train to {first} or more, or {START_OVER}")
        for epoch in range(first, self.max_epochs):
            self.epoch = epoch  # d2l's models read trainer.epoch
            start = time.perf_counter()
            self.fit_epoch()
            self.seconds += time.perf_counter() - start
            self._save(model, self.epoch + 1)

    def _save(self, model, epochs):
        scheduler = getattr(model, "scheduler", None)
        state = {"settings": self.settings, "epochs": epochs, "seconds": self.seconds,
                 "model": model.state_dict(), "optimizer": self.optim.state_dict(),
                 "scheduler": scheduler.state_dict() if scheduler else None,
                 "history": model.history.epochs,
                 "batch_idx": [self.train_batch_idx, self.val_batch_idx],
                 "rng": random_state(), "hparams": self._arguments(model),
                 "batches": [self.num_train_batches, self.num_val_batches]}
        with replacing(self.path) as tmp, open(tmp, "wb") as file:  # as save_weights does
            torch.save(state, file)

    def _arguments(self, model):
        """The model's class and arguments, and the optimizer's class: another's state would
        load (SGD's into Adam) and fail at the first step."""
        return {**model_arguments(model), "optimizer": type(self.optim).__name__}

    def _restore(self, model):
        state = read_checkpoint(self.path)
        # saved before a Config field existed: its default; both sides alike, so that a
        # hand-written {"lr": 0.01} is not padded on one side only
        saved, asked = (Config.with_defaults(state["settings"]),
                        Config.with_defaults(self.settings))
        if saved != asked:
            raise CheckpointError(f"{self.path} was saved with other settings ("
                                  f"{contrast(saved, asked)}): pass "
                                  f"the same settings, or {OTHER_PATH}")
        # the settings describe the run as its caller says; the model's own arguments (lr, af,
        # ...) may differ under the same words: a finished checkpoint would be taken silently
        mine = self._arguments(model)
        if (theirs := state.get("hparams", mine)) != mine:  # older checkpoints: not recorded
            raise CheckpointError(f"{self.path} was saved by another model ("
                                  f"{contrast(theirs, mine)}): pass the same model, or "
                                  f"{OTHER_PATH}")
        check_schedule_length(self.path, state["scheduler"], getattr(model, "scheduler", None),
                              self.num_train_batches)
        # older checkpoints: not recorded. Batches counted on across epochs of another length
        # would close an epoch part-way (its history rows cut, its losses dropped)
        batches = [self.num_train_batches, self.num_val_batches]
        if (saved := state.get("batches", batches)) != batches:
            raise CheckpointError(f"{self.path} was saved with {saved[0]} training and "
                                  f"{saved[1]} validation batches per epoch, and this data gives "
                                  f"{batches[0]} and {batches[1]}: resume it with the "
                                  f"batch_size and val_split it was trained with, or "
                                  f"{START_OVER}")
        try:
            model.load_state_dict(state["model"])
            self.optim.load_state_dict(state["optimizer"])
            if state["scheduler"] is not None:
                model.scheduler.load_state_dict(state["scheduler"])
            model.history.epochs = list(state["history"])
            model.history.discard_epoch()  # an epoch interrupted in this kernel
            self.train_batch_idx, self.val_batch_idx = state["batch_idx"]
            self.seconds = state["seconds"]
            set_random_state(state["rng"])
        except (KeyError, RuntimeError, TypeError, ValueError) as err:
            # the same settings: another model's, or an older package's (code changed since)
            raise CheckpointError(f"{self.path} does not fit this model or its optimizer "
                                  f"({type(err).__name__}): if it is another model's, "
                                  f"{OTHER_PATH}; if it is this run's, {START_OVER}") from None
        return state["epochs"]


def model_arguments(model):
    """The model's class and the arguments it was built with (d2l's `hparams`), those a
    checkpoint can hold (numbers, text, their lists), for telling another model's checkpoint."""
    def plain(value):
        return (value is None or isinstance(value, (bool, int, float, str))
                or isinstance(value, (list, tuple)) and all(map(plain, value)))

    def listed(value):  # (8,) and [8] build the same model, as Config holds them alike
        return [listed(v) for v in value] if isinstance(value, (list, tuple)) else value

    return {"model": type(model).__name__,
            **{k: listed(v) for k, v in getattr(model, "hparams", {}).items() if plain(v)}}


def check_schedule_length(path, saved, scheduler, batches):
    """CheckpointError unless a saved one-cycle schedule is as long as this run's (epochs times
    batches per epoch): its learning rate was planned for its own length, and torch stops at its
    last step ("Tried to step ...") part-way into an epoch."""
    planned = saved.get("total_steps") if isinstance(saved, dict) else None
    if scheduler is None or planned is None or planned == scheduler.total_steps:
        return
    asked, epochs = scheduler.total_steps, scheduler.total_steps // batches
    raise CheckpointError(f"{path} follows a one-cycle schedule of {planned} steps, and this run "
                          f"has {asked} ({epochs} epoch{'s' * (epochs != 1)} of {batches} "
                          "batches): resume "
                          "it with the max_epochs, batch_size and val_split it was trained with, "
                          f"or {START_OVER}")


def random_state():
    """The generators a training draws from (torch's, CUDA's, NumPy's, Python's), saveable
    with torch.save(weights_only=True)."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()  # noqa: NPY002
    return {"torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss],
            "python": random.getstate()}


def set_random_state(state):
    """Put back what random_state() returned. CUDA's generators are put back only where CUDA is
    available, one per device this machine has: a checkpoint saved on a GPU machine resumes on a
    CPU-only one (whose training never draws from CUDA's generators) or on one with fewer GPUs."""
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        for device, cuda_state in enumerate(state["cuda"][:torch.cuda.device_count()]):
            torch.cuda.set_rng_state(cuda_state, device)
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))  # noqa: NPY002
    random.setstate(state["python"])
