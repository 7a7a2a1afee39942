"""Numbers as the Portuguese narratives print them: decimal comma, dot between thousands."""
import math
from numbers import Real

import numpy as np

from .checks import BOOLEAN, NONNEGATIVE_COUNT, is_number, require, type_hint

MINUS = "\N{MINUS SIGN}"  # typeset minus, as in print; a hyphen is too short beside digits


def br(value, spec=".4f"):
    """`format(value, spec)` with the decimal comma: br(0.98712, ".2%") -> '98,71%'."""
    if not (isinstance(value, Real) or getattr(value, "ndim", None) == 0):  # a 0-d tensor formats
        raise ValueError(f"br takes a number, got {value!r:.60}{type_hint(value)}" + (
            " (a run trained without validation has no validation accuracy)"
            if value is None else " (pass float(x))" if isinstance(value, str) else ""))
    if not isinstance(spec, str):  # br(x, 2), as percent(x, 2) takes its decimals
        raise ValueError(f"br's spec is a format such as '.2f' or '.2%', got {spec!r}: for "
                         "decimals of a percentage use percent(x, 2)")
    text = format(value, spec)
    if "-" in text and "0" in text and not any(c in "123456789" for c in text):
        text = format(abs(value) * 0.0, spec)  # -0.0, -1e-9 rounded: '0,0000', not '-0,0000'
    return text.translate(str.maketrans(",.", ".,"))


def percent(value, decimals=2):
    """A fraction as a percentage: percent(0.98712) -> '98,71%'."""
    if not is_number(value):
        raise ValueError(f"percent takes a number, got {type(value).__name__}{type_hint(value)}"
                         + (" NaN" if isinstance(value, float) and math.isnan(value) else ""))
    if not -1 <= value <= 1:  # 98.7 would print as 9870,00%
        raise ValueError(f"percent takes a fraction (0.9871 -> '98,71%'), got {value!r}: "
                         "divide a percentage by 100")
    require("decimals", decimals, NONNEGATIVE_COUNT)
    return br(value, f".{decimals}%")


def mean_std(values, spec=".4f", comma=True):
    """'mean ± sample standard deviation' of the values (just the value when there is one),
    with the decimal comma the notebooks print, or with `comma=False` the command line's point."""
    if hasattr(values, "detach"):  # a tensor that requires grad: numpy() refuses it
        values = values.detach().cpu()
    elif isinstance(values, (list, tuple)):  # losses or accuracies, 0-d tensors one by one
        values = [v.detach().cpu() if hasattr(v, "detach") else v for v in values]
    try:  # None (a run without validation) or text fail here; a scalar has no len
        numbers = np.asarray(values, dtype=float)
        ok = numbers.ndim == 1 and numbers.size and np.isfinite(numbers).all()
    except (TypeError, ValueError, RuntimeError):
        ok = False
    if not ok:
        raise ValueError("mean_std takes a non-empty list of finite numbers, e.g. the seeds' "
                         f"accuracies, got {str(values)[:80]}")
    try:
        format(numbers[0], spec)
    except (TypeError, ValueError):
        raise ValueError(f"spec must be a format string for numbers such as '.4f', got "
                         f"{spec!r}") from None
    if spec.endswith("%") and not (np.abs(numbers) <= 1).all():  # 98.1 as 9810,00%
        raise ValueError("a '%' spec takes fractions (0.981 -> '98,10%'): divide percentages by "
                         "100")
    require("comma", comma, BOOLEAN)  # "False" is true
    values = numbers
    number = br if comma else format
    if values.size == 1:
        return number(values[0], spec)
    return f"{number(values.mean(), spec)} ± {number(values.std(ddof=1), spec)}"


def shared_decimals(values, most=6):
    """The fewest decimals that write every value exactly: [0.2, 0.25, 0.3] -> 2."""
    finite = [float(v) for v in values if math.isfinite(v)]
    for decimals in range(most + 1):
        # Tick positions carry float noise (0.6000000000000001): compare with a tolerance.
        if all(abs(v - round(v, decimals)) <= 1e-9 * max(1.0, abs(v)) for v in finite):
            return decimals
    return most


def axis_number(value, decimals):
    """A tick label: axis_number(-0.5, 2) -> '−0,50', axis_number(1135, 0) -> '1.135'."""
    if round(value, decimals) == 0:
        value = 0.0  # never '−0,0'
    return br(value, f",.{decimals}f").replace("-", MINUS)


def briefly(value):
    """`value` as JSON's reader gave it, or what it is where that would take over 40
    characters (a line cut inside a text's quotes reads as a damaged message)."""
    text = repr(value)
    if len(text) <= 40:
        return text
    kind, unit = {str: ("a text", "character"), list: ("a list", "value"),
                  dict: ("an object", "key")}.get(type(value), (None, None))
    if kind is None:
        return f"a {type(value).__name__}"
    return f"{kind} of {len(value)} {unit}{'s' * (len(value) != 1)}"


def contrast(there, here, keys=None):
    """Where two settings dicts differ, for a message: 'hidden_sizes [8] there, [16] here',
    for `keys` (by default every key whose values differ), three at most."""
    if keys is None:
        keys = sorted(key for key in {*there, *here} if there.get(key) != here.get(key))
    shown = [f"{key} {briefly(there.get(key))} there, {briefly(here.get(key))} here"
             for key in keys[:3]]
    return "; ".join(shown) + (f"; and {len(keys) - 3} more" if len(keys) > 3 else "")
