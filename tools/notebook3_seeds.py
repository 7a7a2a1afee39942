"""Notebook 3's measurements over several seeds: the committed results/sementes_caderno3.json.

    python -m mnist_mlp train E --seeds 0 1 2 3 4 --val-split 10000 --out runs/caderno3
    python -m mnist_mlp train F --seeds 0 1 2 3 4 --no-validation --epochs 20 --out runs/caderno3
    python -m tools.notebook3_seeds runs/caderno3/*-seed? --out results/sementes_caderno3.json

(`make references` runs these, and the same for seeds 5-9 into sementes_caderno*_5-9.json,
the failure budget's other half, and notebook 1's, into build/.)

For each run (models E and F as notebook 2 trains them), it measures what notebook 3 measures
of its own models (mnist_mlp.inspection.notebook3_measures) and, for E, how the first layer's
weights of rarely and often inked pixels grew; the notebook reads the spread between seeds
from this file to word its claims; tools/budget.py, the chance that its checks fail.
"""
import sys
from pathlib import Path

import torch

from mnist_mlp import MNIST
from mnist_mlp.config import Config
from mnist_mlp.experiment import set_seed
from mnist_mlp.inspection import (
    first_layer,
    notebook3_measures,
    sklearn_versions,
    weight_scale,
)
from mnist_mlp.runs import load_run
from tools.references import arguments, write_runs


def ink_groups(train):
    """Notebook 3's pixel groups: never inked, inked in under 1 % of the images, in 10 % or more."""
    inked = (train.pixels[:, 0] > 0).float().mean(dim=0)
    return {"never": inked == 0, "rare": (inked > 0) & (inked < 0.01), "frequent": inked >= 0.1}


def measure(run_dir, test, versions, labels, groups):
    config, _, model = load_run(run_dir)
    result = {"run": Path(run_dir).name, "preset": config["preset"], "seed": config["seed"],
              **notebook3_measures(model, test, versions, labels, groups["never"])}
    if not config["batch_norm"]:  # E: weights of pixels never inked never move from their draw
        set_seed(config["seed"])
        drawn = first_layer(Config.from_dict(config).model()).weight.detach()
        column = groups["never"].flatten()
        result["never-inked weights as drawn"] = torch.equal(
            first_layer(model).weight.detach()[:, column], drawn[:, column])
        result["rare / frequent weight scale"] = (weight_scale(model, groups["rare"])
                                                  / weight_scale(model, groups["frequent"]))
    return result


def main(argv=None):
    args = arguments(__doc__, argv)
    mnist = MNIST(batch_size=1000)
    versions, labels = sklearn_versions()
    groups = ink_groups(mnist.train)
    write_runs(args.out, __doc__, [measure(d, mnist.test, versions, labels, groups)
                                   for d in sorted(args.run_dirs)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
