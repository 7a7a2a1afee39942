"""One schema for every hyperparameter: presets are instances, the CLI's flags come from its
fields, run files store all of them, and values are checked once, here."""
import dataclasses
import inspect
import math
from dataclasses import dataclass, field, fields

from .model import ACTIVATIONS
from .regularized import OPTIMIZERS, SCHEDULES, RegularizedMLP


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


CHECKS = {  # kind: (test, what the value must be)
    "sizes": (lambda v: isinstance(v, tuple) and len(v) > 0 and all(map(_positive_int, v)),
              "a list of positive integers, e.g. [256, 256]"),
    "positive": (lambda v: _number(v) and v > 0, "a positive number"),
    "count": (_positive_int, "a positive integer"),
    "flag": (lambda v: isinstance(v, bool), "True or False"),
    "nonnegative": (lambda v: _number(v) and v >= 0, "a number >= 0"),
    "fraction": (lambda v: _number(v) and 0 <= v < 1, "in [0, 1)"),
}


def _field(default, kind, help, choices=None):
    return field(default=default, metadata={"kind": kind, "help": help, "choices": choices})


@dataclass(frozen=True)
class Config:
    """The hyperparameters of one run; the defaults are the original notebook's model A."""

    hidden_sizes: tuple = _field((128,), "sizes", "hidden layer sizes, e.g. 256 256")
    lr: float = _field(0.1, "positive", "learning rate (the peak with onecycle)")
    af: str = _field("sigmoid", "choice", "activation", tuple(ACTIVATIONS))
    optimizer: str = _field("sgd", "choice", "optimizer", OPTIMIZERS)
    batch_size: int = _field(64, "count", "examples per batch")
    epochs: int = _field(10, "count", "passes over the training images")
    batch_norm: bool = _field(False, "flag", "batch normalisation after each hidden product")
    noise: float = _field(0.0, "nonnegative", "std of the Gaussian noise added in training to "
                          "the pixels and to each hidden layer's product")
    dropout: float = _field(0.0, "fraction", "dropout after each hidden layer, in [0, 1)")
    weight_decay: float = _field(0.0, "nonnegative", "weight decay (decoupled with adamw)")
    schedule: str = _field("constant", "choice", "learning-rate schedule", SCHEDULES)
    label_smoothing: float = _field(0.0, "fraction", "label smoothing, in [0, 1)")

    def __post_init__(self):
        sizes = self.hidden_sizes
        if isinstance(sizes, (list, tuple)):
            object.__setattr__(self, "hidden_sizes", tuple(sizes))
        for f in fields(self):
            value, choices = getattr(self, f.name), f.metadata["choices"]
            if choices is not None:
                if value not in choices:
                    raise ValueError(f"{f.name}={value!r} is not supported; use one of "
                                     + ", ".join(map(repr, choices)))
                continue
            test, what = CHECKS[f.metadata["kind"]]
            if not test(value):
                raise ValueError(f"{f.name} must be {what}, got {value!r}")

    def model(self, num_outputs=10):
        """An untrained model with these hyperparameters."""
        accepted = inspect.signature(RegularizedMLP).parameters
        return RegularizedMLP(num_outputs, **{f.name: getattr(self, f.name) for f in fields(self)
                                              if f.name in accepted})

    def to_dict(self):
        """Every field, JSON-ready."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
                for f in fields(self)}

    @classmethod
    def from_dict(cls, values):
        """The Config in a dict that holds every field (other keys are ignored)."""
        missing = [f.name for f in fields(cls) if f.name not in values]
        if missing:
            raise ValueError("missing hyperparameters: " + ", ".join(missing))
        return cls(**{f.name: values[f.name] for f in fields(cls)})

    def replace(self, **changes):
        """A copy with `changes` applied (and checked)."""
        return dataclasses.replace(self, **changes)
