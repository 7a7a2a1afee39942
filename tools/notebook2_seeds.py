# ruff: noqa: E501  (the docstring holds whole commands, one per line)
"""Notebook 2's measurements over several seeds: the committed results/sementes_caderno2.json.

    python -m mnist_mlp train E --seeds 0 1 2 3 4 5 6 7 8 9 --val-split 10000 --out runs/caderno3
    python -m mnist_mlp train F --seeds 0 1 2 3 4 5 6 7 8 9 --no-validation --epochs 20 --out runs/caderno3
    python -m tools.notebook2_seeds runs/caderno3/*-seed? --out results/sementes_caderno2.json

(`make references` runs these into build/; notebook 3's E and F runs serve all three notebooks.)

For each run, what notebook 2 reads of its own three seeds: the test accuracy, the last epoch's
training loss and, for F, the confidence of its surest error. For each three F networks the
notebook trains together (seeds 3N, 3N + 1, 3N + 2: its ensemble with MNIST_MLP_SEED=N), the
ensemble's test accuracy, McNemar's paired test of the ensemble against each network on the same
10,000 images, and how many errors the three share. These are fixed measurements: the notebook
quotes them and asserts nothing about its own ensemble.
"""
import sys
from pathlib import Path

from mnist_mlp import MNIST
from mnist_mlp.cpu import flush_denormals
from mnist_mlp.data import batch_loader
from mnist_mlp.evaluation import confident_errors, correct, ensemble_correct, mcnemar
from mnist_mlp.runs import load_run
from tools.references import arguments, write_runs


def measure(run_dir, batches):
    config, metrics, model = load_run(run_dir)
    right = correct(model, batches)
    row = {"run": Path(run_dir).name, "preset": config["preset"], "seed": config["seed"],
           "test_accuracy": float(right.double().mean()), "history": metrics["epochs"]}
    if config["preset"] == "F":
        _, confidences = confident_errors(model, batches, 1)
        row["most confident error"] = confidences[0]
    return row, model, right


def ensembles(f_runs, batches):
    """Each notebook ensemble the runs hold: against each network, paired on the test images."""
    by_seed = {row["seed"]: (row, model, right) for row, model, right in f_runs}
    out = []
    for first in range(0, max(by_seed) + 1, 3):
        if not all(seed in by_seed for seed in range(first, first + 3)):
            continue
        trio = [by_seed[seed] for seed in range(first, first + 3)]
        together = ensemble_correct([model for _, model, _ in trio], batches)
        wrong = [~right for _, _, right in trio]
        out.append({
            "seeds": [row["seed"] for row, _, _ in trio],
            "test_accuracies": [row["test_accuracy"] for row, _, _ in trio],
            "ensemble_accuracy": float(together.double().mean()),
            "mcnemar (ensemble only, network only, p)": [
                list(mcnemar(together, right)) for _, _, right in trio],
            "errors": [int(w.sum()) for w in wrong],
            "errors all three share": int((wrong[0] & wrong[1] & wrong[2]).sum())})
    return out


def main(argv=None):
    args = arguments(__doc__, argv)
    flush_denormals()
    batches = list(batch_loader(MNIST(batch_size=1000).test, 1000))
    measured = [measure(d, batches) for d in sorted(args.run_dirs)]
    f_runs = [m for m in measured if m[0]["preset"] == "F"]
    write_runs(args.out, __doc__, [row for row, _, _ in measured],
               ensembles=ensembles(f_runs, batches))
    return 0


if __name__ == "__main__":
    sys.exit(main())
