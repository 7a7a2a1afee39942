"""What model F's i.i.d. Gaussian noise costs per training step, in one process.

Times F's training step (forward, backward, fused AdamW) on one random batch of 256 three ways,
alternating 8 rounds of 30 steps: the noise as F draws it (fresh standard normals from torch's
generator for every step and layer), a fixed noise (each layer adds the same table, drawn
once: the additions without the draws), and no noise. Then the draw of one step's standard
normals alone. Prints medians and minima in ms.

    .venv/bin/python -m benchmarks.noise_cost
"""
import statistics
import time

import torch
from torch import nn

from mnist_mlp.cpu import flush_denormals

flush_denormals()  # before torch's first parallel operation, as the notebooks do
from mnist_mlp.presets import PRESETS  # noqa: E402
from mnist_mlp.regularized import GaussianNoise  # noqa: E402


class FixedNoise(nn.Module):
    """Adds std times one table of standard normals, drawn at the first call: no draws."""

    def __init__(self, std):
        super().__init__()
        self.std, self.table = std, None

    def forward(self, X):
        if self.table is None:
            self.table = torch.randn_like(X)
        return torch.add(X, self.table, alpha=self.std)


def main(rounds=8, steps=30):
    torch.manual_seed(0)
    model = PRESETS["F"].model().train()
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05, fused=True)
    X, y = torch.rand(256, 1, 28, 28), torch.randint(10, (256,))
    std = PRESETS["F"].noise
    # The same layers (shared parameters, one optimizer); only the noise modules differ.
    nets = {"noise on": model.net,
            "fixed noise, no draws": nn.Sequential(*[
                FixedNoise(std) if isinstance(m, GaussianNoise) else m for m in model.net]),
            "noise off": nn.Sequential(*[
                nn.Identity() if isinstance(m, GaussianNoise) else m for m in model.net])}

    def step(net):
        optim.zero_grad()
        model.loss(net(X), y).backward()
        optim.step()

    ms = {key: [] for key in nets}
    for _ in range(rounds):
        for key, net in nets.items():
            step(net)  # one untimed step after the switch
            start = time.perf_counter()
            for _ in range(steps):
                step(net)
            ms[key].append((time.perf_counter() - start) / steps * 1e3)
    values = 28 * 28 + sum(PRESETS["F"].hidden_sizes)  # the noise on pixels and each layer
    draws = torch.empty(256, values)
    start = time.perf_counter()
    for _ in range(100):
        torch.randn_like(draws)
    for key, times in ms.items():
        print(f"F step, {key}: median {statistics.median(times):.1f} ms, "
              f"min {min(times):.1f} ms")
    print(f"one step's {256 * values:,} standard normals alone: "
          f"{(time.perf_counter() - start) / 100 * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
