"""Which test images each run gets wrong, kept so that a later model can be compared with these
runs pairwise on the same images (McNemar) without retraining them.

    python -m tools.wrong_images build/runs-long/J-seed? --out results/erros_teste_J.json

Reads the test set: run it only on runs whose test reading is due (after `evaluate`). For each
run: its name, preset and seed, the number of test images, and the indices (0-9,999, MNIST's
test order) of those it classifies wrongly.
"""
import sys
from pathlib import Path

from mnist_mlp import MNIST
from mnist_mlp.cpu import flush_denormals
from mnist_mlp.data import batch_loader
from mnist_mlp.evaluation import correct
from mnist_mlp.runs import load_run
from tools.references import arguments, write_runs


def wrong_images(run_dir, batches):
    config, _, model = load_run(run_dir)
    right = correct(model, batches)
    return {"run": Path(run_dir).name, "preset": config["preset"], "seed": config["seed"],
            "test_images": len(right),
            "wrong": [int(i) for i in (~right).nonzero().flatten()]}


def main(argv=None):
    args = arguments(__doc__, argv)
    flush_denormals()
    batches = list(batch_loader(MNIST(batch_size=1000).test, 1000))
    write_runs(args.out, __doc__, [wrong_images(d, batches) for d in sorted(args.run_dirs)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
