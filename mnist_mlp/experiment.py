"""Train-and-record helpers shared by the notebooks, the command line and the benchmark."""
import io
import math
import os
import platform
import random
import time
import warnings
from importlib import metadata

import numpy as np
import torch
from d2l import torch as d2l

from .checkpoints import CheckpointedTrainer
from .checks import NONNEGATIVE_COUNT, SEED, refuse_class, require
from .cpu import cpu_name
from .data import MNISTSplit, batch_loader
from .files import file_to_write
from .training import TrainingDiverged, check_batch_norm

LIBRARIES = ("torch", "torchvision", "d2l", "numpy", "matplotlib", "seaborn", "scikit-learn")


def set_seed(seed):
    """Seed Python, NumPy and torch: model initialisation and batch order follow from it.
    ConfigError, before any generator moves, for a seed that is not a whole number in SEED."""
    seed = int(require("seed", seed, SEED))  # a NumPy integer too: random.seed takes only int
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002  (the global RNG is what user code draws from)
    torch.manual_seed(seed)


def fit(model, data, max_epochs, num_gpus=0, checkpoint=None, settings=None):
    """Train with d2l's Trainer; return the trainer and the wall-clock seconds it took.

    On a GPU the dataset moves there first (`MNIST.to`), so no batch crosses the bus. With
    `checkpoint` (a path), the state is saved there after every epoch and, if the file exists
    (for the same `settings`), training continues from it; the seconds include the saved ones.
    A model with `clean_statistics` ends with `recompute_statistics` over the training images,
    in order and in training-size batches, inside the seconds.
    """
    require("max_epochs", max_epochs)  # a positive integer
    require("num_gpus", num_gpus, NONNEGATIVE_COUNT)  # d2l would compare '1' with a count
    if num_gpus > torch.cuda.device_count():  # d2l takes what there is, silently: the CPU
        warnings.warn(f"num_gpus={num_gpus}, but torch sees {torch.cuda.device_count()} GPU(s): "
                      "training on what there is (on Colab, choose a GPU runtime: Runtime > "
                      "Change runtime type)", stacklevel=2)
    if checkpoint is not None and settings is None:  # None == None would resume any checkpoint
        raise ValueError("fit(checkpoint=...) needs settings=..., what the run is (e.g. "
                         "run.to_dict()), so that another run's checkpoint is refused")
    check_inputs(model, data)
    if checkpoint is not None:
        checkpoint = file_to_write(checkpoint)  # "ckpts/": not a file named ckpts
        settings = plain_settings(settings)
    trainer = (d2l.Trainer(max_epochs=max_epochs, num_gpus=num_gpus) if checkpoint is None else
               CheckpointedTrainer(checkpoint, settings, max_epochs=max_epochs, num_gpus=num_gpus))
    if trainer.gpus and hasattr(data, "to"):
        data.to(trainer.gpus[0])
    start = time.perf_counter()
    try:
        trainer.fit(model, data)
    except RuntimeError as err:  # SGD's step with lr=1e200: torch's "converted to type float"
        if "without overflow" not in str(err):
            raise
        given = ", ".join(f"{k}={v:g}" for k in ("lr", "weight_decay")
                          if isinstance(v := model.hparams.get(k), (int, float)) and v)
        raise TrainingDiverged(f"a training step overflowed float32 with {given}: training "
                               "stopped; choose smaller values") from None
    seconds = trainer.seconds if checkpoint is not None else time.perf_counter() - start
    start = time.perf_counter()
    if model.hparams.get("clean_statistics") and model.hparams.get("batch_norm"):
        model.recompute_statistics(training_batches(data))
    return trainer, seconds + time.perf_counter() - start


def training_batches(data):
    """The training images in order, in training-size batches: the package's split batched by
    indexing; any other Dataset (items one at a time) by a DataLoader; else (a d2l module built
    on get_tensorloader, no `.train`) its train_dataloader()."""
    train, size = getattr(data, "train", None), getattr(data, "batch_size", 64)
    if isinstance(train, MNISTSplit):
        return batch_loader(train, size)
    if isinstance(train, torch.utils.data.Dataset):
        return torch.utils.data.DataLoader(train, batch_size=size)
    return data.train_dataloader()


def plain_settings(settings):
    """`settings` as a checkpoint can hold them (a Config or a Run: their dict), else a
    ValueError: torch reads checkpoints back with weights_only=True, which refuses other objects,
    so every epoch's checkpoint would be written and none could be resumed."""
    settings = settings.to_dict() if hasattr(settings, "to_dict") else settings
    buffer = io.BytesIO()
    try:
        torch.save(settings, buffer)
        buffer.seek(0)
        torch.load(buffer, weights_only=True)
    except Exception:
        raise ValueError("settings must be plain values (dicts, lists, text, Python numbers), "
                         f"e.g. config.to_dict(); got {type(settings).__name__} holding others"
                         ) from None
    return settings


def check_inputs(model, data):
    """ValueError, before any training starts, for a model and data that do not go together:
    not a model and an MNIST, images of another size than the first layer takes (an MNIST made
    with resize= and a model without num_inputs=), or fewer outputs than digits."""
    refuse_class(data)
    if not isinstance(model, torch.nn.Module) or not hasattr(data, "train_dataloader"):
        raise ValueError(f"fit takes a model and the MNIST object, got {type(model).__name__} "
                         f"and {type(data).__name__}: e.g. fit(model, MNIST(), 10)")
    if not isinstance(model, d2l.Module):  # d2l's Trainer calls its board, training_step...
        raise ValueError(f"fit trains a d2l model (a d2l.Module, e.g. MLP(...)), got "
                         f"{type(model).__name__}: subclass d2l.Classifier with your layers as "
                         "self.net, as MLP does")
    layers = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    train = getattr(data, "train", None)
    if hasattr(train, "__len__") and len(train) < 2:  # a shuffled epoch leaves a lone one out
        raise ValueError(f"the training split holds {len(train)} image"
                         f"{'s' * (len(train) != 1)} (an empty subset or mask?): keep at least "
                         "two, one batch")
    targets = getattr(train, "targets", None)
    if layers and targets is not None and len(targets):
        top = int(targets.max())
        if layers[-1].out_features <= top:
            raise ValueError(f"the model has {layers[-1].out_features} outputs, the labels go "
                             f"up to {top}: build it with num_outputs={top + 1}")
    dtype = next(model.parameters(), torch.empty(0)).dtype
    if dtype != torch.float32:  # MNIST's batches are float32: torch's dtype error at step 1
        raise ValueError(f"the model's weights are {dtype} and MNIST's images float32: train "
                         "it as built (float32), e.g. without .double()")
    check_batch_norm(model, getattr(data, "batch_size", None))
    # d2l's nn.LazyLinear takes any size until its first batch (its in_features 0)
    from .evaluation import is_lazy  # evaluation draws with seaborn: loaded as training starts

    first = layers[0] if layers and not is_lazy(layers[0]) else None
    pixels = getattr(getattr(data, "train", None), "pixels", None)
    if first is not None and pixels is not None and pixels[0].numel() != first.in_features:
        side = math.isqrt(first.in_features)
        sized = f" (MNIST(resize={side}))" if side * side == first.in_features else ""
        raise ValueError(f"the images have {pixels[0].numel()} pixels, the model's first layer "
                         f"takes {first.in_features}: build the data at the model's size{sized} "
                         f"or the model at the data's (num_inputs={pixels[0].numel()})")


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


