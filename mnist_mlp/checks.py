"""The rule every hyperparameter follows, written once: `MLP`, `RegularizedMLP` and `Config`
check their arguments here, so a bad value gets the same one-line message everywhere."""
import math
import re
import struct
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral, Real


class ConfigError(ValueError):
    """A hyperparameter has a value no model can be built with."""


def is_number(value):
    """A finite real number, NumPy's scalars included (bool is not one, nor a Fraction: torch's
    optimizers and operators refuse it, nor a subnormal float, which the CPU reads as 0 once
    `cpu.flush_denormals` has run)."""
    return (isinstance(value, Real) and not isinstance(value, (bool, Fraction))
            and math.isfinite(value) and not is_subnormal(value))


EXPONENT_BITS, MANTISSA_BITS = 0x7FF << 52, (1 << 52) - 1  # of a float64
TOO_SMALL = " (a number under 2.2e-308, too small to compute with)"


def is_subnormal(value):
    """A float nearer 0 than the smallest normal one (2.2e-308), but not 0: read from its bits
    (no exponent, some mantissa), which a CPU flushing subnormals cannot change."""
    if not isinstance(value, float):
        return False
    bits = struct.unpack("<Q", struct.pack("<d", value))[0]
    return bits & EXPONENT_BITS == 0 and bits & MANTISSA_BITS != 0


def is_whole(value):
    """An integer, NumPy's included (bool is not one)."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def is_count(value):
    """A positive integer, NumPy's included (bool is not one)."""
    return is_whole(value) and value >= 1


@dataclass(frozen=True)
class Interval:
    """A rule for numbers, as scikit-learn's `Interval`: `whole` numbers (integers) or finite
    reals, between `low` and `high` (None: unbounded), each end `closed` or not. `holds(v)`
    tests a value (NumPy's scalars too), `text` says what to pass, `parse` reads a command
    line's or an environment variable's text; `test, text = rule` unpacks it."""

    whole: bool
    low: float | None = None
    high: float | None = None
    closed: str = "both"  # "both", "left", "right" or "neither"
    note: str = ""  # said after the range, e.g. "(pixel intensity)"

    def holds(self, value):
        if not (is_whole(value) if self.whole else is_number(value)):
            return False
        left, right = self.closed in ("both", "left"), self.closed in ("both", "right")
        return ((self.low is None or value > self.low or (left and value == self.low))
                and (self.high is None or value < self.high or (right and value == self.high)))

    @property
    def text(self):
        kind, note = ("a whole number", "") if self.whole else ("a finite number", "")
        note = f" {self.note}" if self.note else note
        if self.high is None:
            if self.whole and self.low == 1:
                return "a positive integer" + note
            sign = ">=" if self.closed in ("both", "left") else ">"
            return f"{kind} {sign} {self.low:g}{note}"
        if self.whole:
            return f"{kind} from {self.low} to {self.high}{note}"
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        return f"in {left}{self.low:g}, {self.high:g}{right}{note}"

    def parse(self, text):
        """The value in `text` if it keeps the rule, else ValueError 'must be ..., got ...'."""
        text = str(text).strip()
        try:  # ASCII digits only: int() and float() would also take '١', '1_000' and '+5'
            value = (int(text) if re.fullmatch(r"-?[0-9]+", text) else None) if self.whole \
                else (float(text) if text.isascii() and "_" not in text else None)
        except ValueError:
            value = None
        # '1e-400', or '1e-310' where subnormals are flushed: read as 0, though not 0
        vanished = value == 0 and re.search("[1-9]", re.split("[eE]", text)[0])
        if value is None or vanished or not self.holds(value):
            raise ValueError(f"must be {self.text}, got {text!r}"
                             + (TOO_SMALL if vanished else type_hint(value)))
        return value

    def __iter__(self):  # (test, text), the form require() takes
        return iter((self.holds, self.text))


@dataclass(frozen=True)
class Options:
    """A rule for one of a few names, as scikit-learn's `StrOptions`."""

    names: tuple

    def holds(self, value):
        return isinstance(value, str) and value in self.names

    @property
    def text(self):
        *first, last = map(repr, self.names)
        return f"{', '.join(first)} or {last}" if first else last

    def __iter__(self):
        return iter((self.holds, self.text))


POSITIVE = Interval(whole=False, low=0, closed="neither")
COUNT = Interval(whole=True, low=1)
NONNEGATIVE_COUNT = Interval(whole=True, low=0)
BOOLEAN = (lambda v: isinstance(v, bool), "True or False")
NONNEGATIVE = Interval(whole=False, low=0)
FRACTION = Interval(whole=False, low=0, high=1, closed="left")  # dropout, label smoothing
UNIT = Interval(whole=False, low=0, high=1)  # accuracies
PIXEL = Interval(whole=False, low=0, high=1, note="(pixel intensity)")  # an attack's eps

# What every generator set_seed seeds accepts (NumPy's legacy seeding is the narrowest).
SEED = Interval(whole=True, low=0, high=2**32 - 1)
TRAIN_IMAGES = 60_000  # in MNIST's training files; val_split holds out fewer

# The names some arguments choose from (the models map each name to its class).
ACTIVATION_NAMES = ("sigmoid", "relu")
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "onecycle")

RULES = {  # argument: its rule (an Interval, Options, or a (test, what to pass) pair)
    "num_outputs": COUNT,
    "num_inputs": COUNT,
    "hidden_sizes": (lambda v: isinstance(v, (list, tuple)) and all(map(is_count, v)),
                     "a list of positive integers, e.g. [256, 256]"),
    "lr": POSITIVE,
    "batch_size": Interval(whole=True, low=1, high=60_000),  # at most MNIST's training images
    "epochs": COUNT,
    "batch_norm": BOOLEAN,
    "noise": NONNEGATIVE,
    "dropout": FRACTION,
    "weight_decay": NONNEGATIVE,
    "label_smoothing": FRACTION,
    "clean_statistics": BOOLEAN,
    "adversarial": PIXEL,
    "vat": NONNEGATIVE,
    "vat_xi": POSITIVE,
    "vat_iterations": COUNT,
}


def check_arguments(values, **choices):
    """Raise ConfigError for the first of `values` ({argument: value}) that breaks its rule:
    one of its `choices` (e.g. af=("sigmoid", "relu")) where given, else its RULES entry."""
    for name, value in values.items():
        if name in choices:
            rule = Options(tuple(choices[name]))
            if not rule.holds(value):
                raise ConfigError(f"{name}={value!r} is not supported; use {rule.text}")
        else:
            require(name, value, RULES[name])  # a KeyError here: a new argument needs its rule


def check_split(val_split, validate):
    """ConfigError unless `val_split` is a whole number below 60,000 that `validate` allows."""
    require("validate", validate, BOOLEAN)
    # two training images at least: a lone one is left out of its epoch (batch norm)
    require("val_split", val_split, Interval(whole=True, low=0, high=TRAIN_IMAGES - 2))
    if val_split and not validate:
        raise ConfigError("validate=False trains on all training images: leave val_split 0")


def type_hint(value, what=""):
    """What to pass instead of a value whose type, not its size, breaks a rule (`what` it asks
    for): a Fraction, a tensor or array (of one element, `(y_hat == y).float().mean()`, or where
    a list goes), NumPy's bool."""
    if what.startswith("a list") and hasattr(value, "tolist"):
        return " (a tensor or array: pass x.tolist())"
    if isinstance(value, Fraction):
        return f" (float({value}) is one)"
    if is_subnormal(value):
        return TOO_SMALL
    if type(value).__name__ in ("bool", "bool_") and not isinstance(value, bool):  # NumPy's
        return " (pass bool(x))"
    count = value.numel() if hasattr(value, "numel") else getattr(value, "size", None)
    if not isinstance(value, Real) and hasattr(value, "item") and count == 1:
        return " (a tensor or array: pass x.item())"
    return ""


def refuse_class(value):
    """ConfigError if `value` is a class where its object goes (`MNIST` for `MNIST()`)."""
    if isinstance(value, type):
        raise ConfigError(f"got the class {value.__name__}: build it first, e.g. data = "
                          f"{value.__name__}()")


def require(name, value, rule=COUNT):
    """`value` if it keeps `rule` (a positive integer by default), else ConfigError."""
    test, what = rule
    if not test(value):
        hint = type_hint(value, what)
        raise ConfigError(f"{name} must be {what}, got {value!r}{hint}")
    return value
