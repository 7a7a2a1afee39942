"""What model F's i.i.d. Gaussian noise costs per training step, in one process.

Times F's training step (forward, backward, fused AdamW) on one random batch of 256 with the
noise layers on (std 0.3) and off (std 0), alternating 8 rounds of 30 steps, and the draw of
one step's standard normals alone. Prints medians and minima in ms.

    .venv/bin/python benchmarks/noise_cost.py
"""
import statistics
import time

import torch

from mnist_mlp.cpu import flush_denormals

flush_denormals()  # before torch's first parallel operation, as the notebooks do
from mnist_mlp.presets import PRESETS  # noqa: E402
from mnist_mlp.regularized import GaussianNoise  # noqa: E402


def main(rounds=8, steps=30):
    torch.manual_seed(0)
    model = PRESETS["F"].model().train()
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05, fused=True)
    X, y = torch.rand(256, 1, 28, 28), torch.randint(10, (256,))
    noise = [m for m in model.modules() if isinstance(m, GaussianNoise)]

    def step():
        optim.zero_grad()
        model.loss(model(X), y).backward()
        optim.step()

    ms = {"noise on": [], "noise off": []}
    for _ in range(rounds):
        for key in ms:
            for layer in noise:
                layer.std = PRESETS["F"].noise if key == "noise on" else 0.0
            step()  # one untimed step after the switch
            start = time.perf_counter()
            for _ in range(steps):
                step()
            ms[key].append((time.perf_counter() - start) / steps * 1e3)
    values = 28 * 28 + sum(PRESETS["F"].hidden_sizes)  # the noise on pixels and each layer
    draws = torch.empty(256, values)
    start = time.perf_counter()
    for _ in range(100):
        torch.randn_like(draws)
    for key, times in ms.items():
        print(f"F step, {key}: median {statistics.median(times):.1f} ms, min {min(times):.1f} ms")
    print(f"one step's {256 * values:,} standard normals alone: "
          f"{(time.perf_counter() - start) / 100 * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
