"""The rule every hyperparameter follows, written once: `MLP`, `RegularizedMLP` and `Config`
check their arguments here, so a bad value gets the same one-line message everywhere."""
import math
from numbers import Integral, Real


class ConfigError(ValueError):
    """A hyperparameter has a value no model can be built with."""


def _whole(value):
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= 0


def _count(value):
    return _whole(value) and value >= 1


def is_number(value):
    """A finite real number, NumPy's scalars included (bool is not one)."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def is_count(value):
    """A positive integer, NumPy's included (bool is not one)."""
    return _count(value)


_number = is_number


POSITIVE = (lambda v: _number(v) and v > 0, "a finite number > 0")
COUNT = (_count, "a positive integer")
NONNEGATIVE_COUNT = (_whole, "a whole number >= 0")
BOOLEAN = (lambda v: isinstance(v, bool), "True or False")
NONNEGATIVE = (lambda v: _number(v) and v >= 0, "a finite number >= 0")
FRACTION = (lambda v: _number(v) and 0 <= v < 1, "in [0, 1)")

# What every generator set_seed seeds accepts (NumPy's legacy seeding is the narrowest).
SEED = (lambda v: _whole(v) and v < 2**32, f"a whole number from 0 to {2**32 - 1}")
TRAIN_IMAGES = 60_000  # in MNIST's training files; val_split holds out fewer

# The names some arguments choose from (the models map each name to its class).
ACTIVATION_NAMES = ("sigmoid", "relu")
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "onecycle")

RULES = {  # argument: (test, what to pass)
    "num_outputs": COUNT,
    "hidden_sizes": (lambda v: isinstance(v, (list, tuple)) and all(map(_count, v)),
                     "a list of positive integers, e.g. [256, 256]"),
    "lr": POSITIVE,
    "batch_size": COUNT,
    "epochs": COUNT,
    "batch_norm": BOOLEAN,
    "noise": NONNEGATIVE,
    "dropout": FRACTION,
    "weight_decay": NONNEGATIVE,
    "label_smoothing": FRACTION,
    "clean_statistics": BOOLEAN,
    "adversarial": (lambda v: _number(v) and 0 <= v <= 1, "in [0, 1] (pixel intensity)"),
    "vat": NONNEGATIVE,
    "vat_xi": POSITIVE,
    "vat_iterations": COUNT,
}


def check_arguments(values, **choices):
    """Raise ConfigError for the first of `values` ({argument: value}) that breaks its rule:
    one of its `choices` (e.g. af=("sigmoid", "relu")) where given, else its RULES entry."""
    for name, value in values.items():
        if name in choices:
            if value not in tuple(choices[name]):  # a tuple: no hashing, so lists are refused
                *first, last = map(repr, choices[name])
                raise ConfigError(f"{name}={value!r} is not supported; use "
                                  + (f"{', '.join(first)} or {last}" if first else last))
        else:
            require(name, value, RULES[name])  # a KeyError here: a new argument needs its rule


def check_split(val_split, validate):
    """ConfigError unless `val_split` is a whole number below 60,000 that `validate` allows."""
    require("validate", validate, BOOLEAN)
    require("val_split", val_split, (lambda v: _whole(v) and v < TRAIN_IMAGES,
                                     f"a whole number from 0 to {TRAIN_IMAGES - 1}"))
    if val_split and not validate:
        raise ConfigError("validate=False trains on all training images: leave val_split 0")


def require(name, value, rule=COUNT):
    """`value` if it keeps `rule` (a positive integer by default), else ConfigError."""
    test, what = rule
    if not test(value):
        raise ConfigError(f"{name} must be {what}, got {value!r}")
    return value
