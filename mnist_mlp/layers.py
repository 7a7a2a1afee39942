"""Training-time noise layers: dropout with cheap masks, and additive Gaussian noise."""
import functools
import math

import torch
from torch import nn
from torch.nn import functional as F

_LEVELS = 1 << 16  # masks compare 16 random bits per element against the keep probability


def _random_levels(n, dtype):
    """n values uniform over the integers -32768 ... 32767, as `dtype`.

    torch's CPU generator costs about the same per call whatever the width it returns: one
    64-bit draw split into four 16-bit values is much cheaper per value than bernoulli_.
    """
    bits = torch.empty(-(-n // 4), dtype=torch.int64).random_(-(1 << 63), (1 << 63) - 1)
    return bits.view(torch.int16)[:n].to(dtype)


def keep_mask(shape, p, dtype=torch.float32):
    """A tensor of 0 and 1/(1 - p) in which each element is 0 with probability p.

    p is rounded to a multiple of 1/65536. torch's bernoulli_ costs about 2 ms for
    256 x 1024 elements on this project's CPUs, this a quarter of that.
    """
    kept = round((1.0 - p) * _LEVELS)
    levels = _random_levels(math.prod(shape), dtype)
    # threshold - level >= 1 exactly when level < threshold: clamp gives 1 there, 0 elsewhere.
    mask = (kept - _LEVELS // 2 - levels).clamp_(0, 1)
    return mask.mul_(_LEVELS / kept).view(shape)


class Dropout(nn.Module):
    """nn.Dropout(p) with `keep_mask` on the CPU; elsewhere (GPU) torch's own kernel."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p!r}")
        self.p = p

    def forward(self, X):
        if not self.training or self.p == 0:
            return X
        if X.device.type != "cpu":
            return F.dropout(X, self.p, training=True)
        return X * keep_mask(X.shape, self.p, X.dtype)

    def extra_repr(self):
        return f"p={self.p}"


class GaussianNoise(nn.Module):
    """Adds N(0, std²) noise in training, nothing in evaluation: a regulariser, as dropout.

    Rasmus et al. 2015 (Ladder networks) train their supervised baseline MLP this way, with
    noise on the inputs and on every batch-normalised hidden layer. On the CPU the noise is read
    from `noise_table()` at a random offset: see there.
    """

    def __init__(self, std):
        super().__init__()
        if not std >= 0.0:
            raise ValueError(f"noise standard deviation must be >= 0, got {std!r}")
        self.std = std

    def forward(self, X):
        if not self.training or self.std == 0:
            return X
        return torch.add(X, standard_normal_like(X), alpha=self.std)

    def extra_repr(self):
        return f"std={self.std}"


NOISE_TABLE_SIZE = 1 << 24  # 16.8 million values, 64 MB
NOISE_TABLE_SEED = 20151116  # fixed: the training seed picks the offsets, not the table


@functools.cache
def noise_table():
    """NOISE_TABLE_SIZE standard-normal float32 values, drawn once per process.

    torch's CPU generator is serial, about 3.5 ns a value: fresh noise for model F was 17 % of
    its epoch. Reading a window of this table at an offset drawn from torch's global generator
    (the "noise table" of Salimans et al. 2017, evolution strategies) costs one addition. Each
    window is a sample of independent N(0, 1) values; two windows overlap at shifted positions
    only by chance, and the training seed, through the offsets, still decides every draw.
    """
    generator = torch.Generator().manual_seed(NOISE_TABLE_SEED)
    return torch.randn(NOISE_TABLE_SIZE, generator=generator)


def standard_normal_like(X):
    """N(0, 1) noise shaped as X: a window of `noise_table()` on the CPU, fresh elsewhere.

    On the CPU the result is a view into the table: use it out of place, never modify it.
    """
    n = X.numel()
    if X.device.type != "cpu" or not X.is_floating_point() or n > NOISE_TABLE_SIZE // 8:
        return torch.randn_like(X)
    start = int(torch.randint(NOISE_TABLE_SIZE - n + 1, ()))
    return noise_table()[start:start + n].view(X.shape).to(X.dtype)
