"""Numbers as the Portuguese narratives print them: decimal comma, dot between thousands."""
import numpy as np


def br(value, spec=".4f"):
    """`format(value, spec)` with the decimal comma: br(0.98712, ".2%") -> '98,71%'."""
    return format(value, spec).translate(str.maketrans(",.", ".,"))


def percent(value, decimals=2):
    """A fraction as a percentage: percent(0.98712) -> '98,71%'."""
    return br(value, f".{decimals}%")


def mean_std(values, spec=".4f"):
    """'mean ± sample standard deviation' of the values (just the value when there is one)."""
    values = np.asarray(values, dtype=float)
    if values.size == 1:
        return br(values[0], spec)
    return f"{br(values.mean(), spec)} ± {br(values.std(ddof=1), spec)}"
