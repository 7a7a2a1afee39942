# ruff: noqa: E501  (the docstring holds whole commands, one per line)
"""Two recipes compared on the same test images, seed by seed (McNemar's exact test), from the
files of tools/wrong_images.py: the committed results/pareado_J.json.

    python -m mnist_mlp train I --seeds 0 --no-validation --out runs/pareado
    python -m mnist_mlp train H --seeds 0 --no-validation --out runs/pareado
    python -m mnist_mlp evaluate runs/pareado/I-seed0 runs/pareado/H-seed0
    python -m tools.wrong_images runs/pareado/I-seed0 runs/pareado/H-seed0 --out results/erros_teste_I_H.json
    python -m tools.paired_wrong results/erros_teste_J.json results/erros_teste_I_H.json --out results/pareado_J.json

The first file's runs are each compared with every run of the second that has the same seed
(another recipe, another network): `only_first` counts the test images only the first run gets
right, `only_second` those only the second gets right, and `p` is McNemar's exact two-sided
p-value. Reads no image: the files already hold, per run, the test images it gets wrong.
"""
import argparse
import json
import sys
from pathlib import Path

from mnist_mlp.evaluation import mcnemar
from tools.references import write_runs


def right(run):
    """Per test image, whether the run gets it right."""
    wrong = set(run["wrong"])
    return [i not in wrong for i in range(run["test_images"])]


def compare(first, second):
    only_first, only_second, p = mcnemar(right(first), right(second))
    return {"first": first["run"], "second": second["run"], "seed": first["seed"],
            "first_accuracy": 1 - len(first["wrong"]) / first["test_images"],
            "second_accuracy": 1 - len(second["wrong"]) / second["test_images"],
            "only_first": only_first, "only_second": only_second, "p": p}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    first, second = (json.loads(path.read_text())["runs"] for path in (args.first, args.second))
    pairs = [compare(a, b) for a in first for b in second
             if a["seed"] == b["seed"] and a["preset"] != b["preset"]]
    if not pairs:
        parser.error("no run of the first file has a run of another recipe with its seed in the "
                     "second")
    write_runs(args.out, __doc__, pairs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
