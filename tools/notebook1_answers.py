# ruff: noqa: E501  (the docstring holds whole commands, one per line)
"""The answer key of notebook 1 over several seeds: the committed results/respostas_caderno1.json.

    python -m mnist_mlp train A --lr 0.001 --seeds 0 1 2 3 4 --out runs/respostas1/A-taxa-0.001
    python -m mnist_mlp train A --lr 0.01 --seeds 0 1 2 3 4 --out runs/respostas1/A-taxa-0.01
    python -m mnist_mlp train A --lr 0.5 --seeds 0 1 2 3 4 --out runs/respostas1/A-taxa-0.5
    python -m mnist_mlp train C --batch-size 256 --seeds 0 1 2 3 4 --out runs/respostas1/C-lote-256
    python -m mnist_mlp train B --lr 0.1 --seeds 0 1 2 3 4 --out runs/respostas1/B-taxa-0.1
    python -m mnist_mlp train A --seeds 0 1 2 3 4 --out runs/respostas1/A
    python -m mnist_mlp train E --seeds 0 1 2 3 4 --out runs/respostas1/E
    python -m tools.notebook1_answers runs/respostas1/*/*-seed? --out results/respostas_caderno1.json

(`make respostas` runs these into build/.) Each run is notebook 1's protocol (the validation set
is the 10,000 test images) with one setting changed, as exercises 1, 5, 6 and 7 ask; the group is
the run folder's parent (A-taxa-0.5). For each run: its settings, the validation accuracy and
curves the training recorded, and its confusion matrix's five largest errors (exercise 7).
"""
import sys
from pathlib import Path

from mnist_mlp import MNIST
from mnist_mlp.cpu import flush_denormals
from mnist_mlp.data import batch_loader
from mnist_mlp.evaluation import confusion, most_confused
from mnist_mlp.runs import load_run
from tools.references import arguments, write_runs


def measure(run_dir, batches):
    config, metrics, model = load_run(run_dir)
    cm = confusion(model, batches)
    return {"group": Path(run_dir).parent.name, "run": Path(run_dir).name,
            "preset": config["preset"], "seed": config["seed"],
            "lr": config["lr"], "batch_size": config["batch_size"],
            "val_accuracy": metrics["val_accuracy"], "history": metrics["epochs"],
            "errors": int(cm.sum() - cm.trace()),
            "most confused (count, true, predicted)": [
                [int(n), int(t), int(p)] for n, t, p in most_confused(cm, 5)]}


def main(argv=None):
    args = arguments(__doc__, argv)
    flush_denormals()
    batches = list(batch_loader(MNIST(batch_size=1000).val, 1000))
    write_runs(args.out, __doc__, [measure(d, batches) for d in sorted(args.run_dirs)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
