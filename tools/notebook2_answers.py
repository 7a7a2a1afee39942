# ruff: noqa: E501  (the docstring holds whole commands, one per line)
"""The answer key of notebook 2 over five seeds: the committed results/respostas_caderno2.json.

    python -m mnist_mlp train F --noise 0 --seeds 0 1 2 3 4 --val-split 10000 --out runs/respostas2/F-sem-ruido
    python -m mnist_mlp train F --no-batch-norm --seeds 0 1 2 3 4 --val-split 10000 --out runs/respostas2/F-sem-normalizacao
    python -m mnist_mlp train F --label-smoothing 0 --seeds 0 1 2 3 4 --val-split 10000 --out runs/respostas2/F-sem-suavizacao
    python -m mnist_mlp train F --seeds 0 1 2 3 4 --val-split 10000 --out runs/respostas2/F
    python -m tools.notebook2_answers runs/respostas2/*/F-seed? --out results/respostas_caderno2.json

(`make respostas` runs these into build/.) Each run is notebook 2's protocol for F (24 epochs on
50,000 images, validated on the 10,000 held out, as results/validacao_F.json) with one setting
changed, as exercises 1-3 ask, and F itself on the same CPU (results/validacao_F.json's seeds ran
on another); the group is the run folder's parent (F-sem-ruido). For each run:
the settings the exercises change, the validation accuracy, the last epoch's training loss
(exercise 3), the seconds of training and the curves. Reads no test image.
"""
import sys
from pathlib import Path

from mnist_mlp.runs import read_run
from tools.references import arguments, write_runs

SETTINGS = ("noise", "batch_norm", "label_smoothing", "lr", "epochs", "val_split")


def measure(run_dir):
    run = read_run(run_dir, evaluation=False)
    return {"group": Path(run_dir).parent.name, "run": run["run"], "preset": run["preset"],
            "seed": run["seed"], **{key: run["config"][key] for key in SETTINGS},
            "val_accuracy": run["val_accuracy"],
            "last_train_loss": run["history"][-1]["train_loss"],
            "train_seconds": run["train_seconds"], "history": run["history"]}


def main(argv=None):
    args = arguments(__doc__, argv)
    write_runs(args.out, __doc__, [measure(d) for d in sorted(args.run_dirs)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
