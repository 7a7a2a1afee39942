# ruff: noqa: E501  (the docstring holds whole commands, one per line)
"""Notebook 4's measurements over several seeds: the committed results/sementes_caderno4.json.

    python -m mnist_mlp train E --seeds 0 1 2 3 4 --val-split 10000 --out runs/caderno3
    python -m mnist_mlp train F --seeds 0 1 2 3 4 --no-validation --epochs 20 --out runs/caderno3
    python -m mnist_mlp train F --seeds 0 1 2 3 4 --no-validation --epochs 5 --adversarial 0.1 --out runs/caderno4/adversarial
    python -m mnist_mlp train F --seeds 0 1 2 3 4 --no-validation --epochs 5 --out runs/caderno4/cinco-epocas
    python -m tools.notebook4_seeds runs/caderno3/*-seed? runs/caderno4/*/*-seed? --out results/sementes_caderno4.json

(`make references` runs these, and the same for seeds 5-9 into sementes_caderno*_5-9.json,
the failure budget's other half, into build/; notebook 3's E and F runs serve both notebooks.)

For each run it measures what notebook 4 measures of its own models
(mnist_mlp.attacks.notebook4_measures): accuracy on the test images under FGSM for each eps,
and under PGD with the cross-entropy and with the margin, and how far eps = 0.1 can move each
first-layer neuron's input (section 5); the notebook reads the spread between
seeds from this file to word its claims; tools/budget.py, the chance that its checks fail.
Nothing is chosen from these figures.
"""
import sys
from pathlib import Path

from mnist_mlp import MNIST
from mnist_mlp.attacks import notebook4_measures
from mnist_mlp.cpu import flush_denormals
from mnist_mlp.data import to_float
from mnist_mlp.inspection import first_layer
from mnist_mlp.runs import load_run
from tools.references import arguments, write_runs


def reach(model, test, eps=0.1):
    """Notebook 4's section 5: for each first-layer neuron, how far a change of at most eps per
    pixel, kept in [0, 1], can move its input w·x (up: pixels with w > 0 rise, the others
    fall), over the standard deviation of that input; on the first 1,000 test images, the
    median over neurons of the mean over images, and the fraction of neurons above 1."""
    weights = first_layer(model).weight.detach()
    X = to_float(test.pixels[:1000]).flatten(1)
    shift = (1 - X).clamp(max=eps) @ weights.clamp(min=0).T + X.clamp(max=eps) @ (
        -weights).clamp(min=0).T
    ratio = shift.mean(dim=0) / (X @ weights.T).std(dim=0)
    return {"median": float(ratio.median()), "fraction above 1": float((ratio > 1).float().mean())}


def measure(run_dir, test):
    config, metrics, model = load_run(run_dir)
    model.eval()
    name = config["preset"] + (" adversarial" if config.get("adversarial") else "") + (
        f" {config['epochs']} epochs" if config["preset"] == "F" else "")
    return {"run": f"{Path(run_dir).parent.name}/{Path(run_dir).name}", "model": name,
            "seed": config["seed"], "train_seconds": metrics.get("train_seconds"),
            "epochs": config["epochs"], **notebook4_measures(model, test, seed=config["seed"]),
            "first-layer reach at eps 0.1": reach(model, test)}


def main(argv=None):
    args = arguments(__doc__, argv)
    flush_denormals()
    test = MNIST(batch_size=1000).test
    write_runs(args.out, __doc__, [measure(d, test) for d in sorted(args.run_dirs)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
