"""How precise VAT's direction is in float32, for xi over several decades: results/vat_xi.json.

    python -m tools.vat_xi --out results/vat_xi.json

The power iteration of virtual adversarial training takes the gradient of a divergence at a
point xi from each image. In float32, a perturbation of size xi changes the network's sums by
about xi over their size; near float32's relative precision (1.2e-7) the gradient is rounding.
This trains a network of preset I's shape by I's recipe for a few epochs on the 50,000 / 10,000
split (no test image is read), then, on the first training batches, in training mode (batch
statistics of the batch, as the training step sees them) and inside `vat_passes()`, computes
each image's direction in float32 and in float64 from the same random start, and records the
cosine between them: its median and its 10th percentile per xi. The protocol of docs/vat.md
chooses xi from this file before any pilot.
"""
import argparse
import copy
import sys
import time
from pathlib import Path

import torch

from mnist_mlp import MNIST
from mnist_mlp.attacks import vat_direction
from mnist_mlp.cpu import flush_denormals
from mnist_mlp.experiment import environment, fit, set_seed
from mnist_mlp.files import write_json
from mnist_mlp.presets import PRESETS

XIS = (1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)


def cosines(model, batches, xi, iterations=1, seed=0):
    """Per image, the cosine between the float32 direction and the float64 one."""
    wide = copy.deepcopy(model).double()
    found = []
    for i, (X, _) in enumerate(batches):
        pair = []
        for net, images in ((model, X), (wide, X.double())):
            with net.vat_passes():
                generator = torch.Generator().manual_seed(seed + i)  # the same start for both
                pair.append(vat_direction(net, images, xi, iterations, generator=generator))
        found.append((pair[0].double() * pair[1]).flatten(1).sum(dim=1))
    return torch.cat(found)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=2, help="of 50,000 images (default 2)")
    parser.add_argument("--batches", type=int, default=8, help="of 128 images (default 8)")
    args = parser.parse_args(argv)
    flush_denormals()
    config = PRESETS["I"].replace(epochs=args.epochs)
    set_seed(0)
    model = config.model()
    model.board.display = False
    data = MNIST(batch_size=config.batch_size, val_split=10_000)
    start = time.perf_counter()
    fit(model, data, max_epochs=config.epochs)
    seconds = time.perf_counter() - start
    model.train()  # the training step's mode: batch statistics of each batch
    batches = [batch for _, batch in zip(range(args.batches), data.train_dataloader())]
    rows = []
    for xi in XIS:
        c = cosines(model, batches, xi)
        rows.append({"xi": xi, "median": float(c.median()),
                     "10th percentile": float(c.quantile(0.1)), "min": float(c.min())})
        print(f"xi {xi:g}: median {rows[-1]['median']:.4f}, "
              f"10th percentile {rows[-1]['10th percentile']:.4f}")
    write_json(args.out, {
        "command": "python -m tools.vat_xi " + " ".join(argv if argv is not None else sys.argv[1:]),
        "network": {"preset": "I", "epochs of 50,000": args.epochs, "seed": 0,
                    "train_seconds": round(seconds, 1),
                    "val_accuracy": model.history.epochs[-1]["val_acc"]},
        "images": args.batches * config.batch_size, "iterations": 1, "cosines": rows,
        "environment": environment()})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
