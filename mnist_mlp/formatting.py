"""Numbers as the Portuguese narratives print them: decimal comma, dot between thousands."""
import math

import numpy as np

MINUS = "\N{MINUS SIGN}"  # typeset minus, as in print; a hyphen is too short beside digits


def br(value, spec=".4f"):
    """`format(value, spec)` with the decimal comma: br(0.98712, ".2%") -> '98,71%'."""
    return format(value, spec).translate(str.maketrans(",.", ".,"))


def percent(value, decimals=2):
    """A fraction as a percentage: percent(0.98712) -> '98,71%'."""
    return br(value, f".{decimals}%")


def mean_std(values, spec=".4f", comma=True):
    """'mean ± sample standard deviation' of the values (just the value when there is one),
    with the decimal comma the notebooks print, or with `comma=False` the command line's point."""
    values = np.asarray(values, dtype=float)
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
