"""Give runs trained before `clean_statistics` joined model F's recipe what `train` now ends with.

    python tools/clean_statistics.py build/runs-long/G-seed* --out build/runs-clean

For each run folder of `python -m mnist_mlp train` whose config lacks clean statistics, it
rebuilds the run's training images from its config.json (`val_split`, `validate`), recomputes
batch normalisation's statistics on them without noise (`RegularizedMLP.recompute_statistics`,
in the same batches as `train`), evaluates validation and test again and writes the run to
OUT/NAME with `clean_statistics` set: the same files `train` with the new recipe writes, the
training's seconds excepted (the pass takes about a second). The runs read are left as they are.
"""
import argparse
import sys
from pathlib import Path

from mnist_mlp.cli import accuracies
from mnist_mlp.data import MNIST, batch_loader
from mnist_mlp.download import DataError
from mnist_mlp.runs import RunError, check_writable, load_run, write_run


def add_clean_statistics(run_dir, out):
    """Write `run_dir` with clean statistics to `out`; return its new metrics."""
    config, metrics, model = load_run(run_dir)
    if config["clean_statistics"]:
        raise RunError(f"{run_dir} already has clean statistics: nothing to add")
    if not config["batch_norm"]:
        raise RunError(f"{run_dir} has no batch normalisation: no statistics to recompute")
    data = MNIST(batch_size=config["batch_size"], val_split=config["val_split"],
                 validate=config["validate"])
    model.recompute_statistics(batch_loader(data.train, data.batch_size))
    metrics = {**metrics, **accuracies(model, data, config["validate"])}  # as `train` does
    model.history.epochs = metrics["epochs"]  # the board draws the run's own curves
    write_run(out, {**config, "clean_statistics": True}, metrics, model, model.board.render())
    return metrics


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write runs in")
    args = parser.parse_args(argv)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        check_writable(args.out)
        for run_dir in args.run_dirs:
            metrics = add_clean_statistics(run_dir, args.out / run_dir.name)
            validation = ("" if metrics["val_accuracy"] is None
                          else f"validation {metrics['val_accuracy']:.4f}, ")
            print(f"{args.out / run_dir.name}: {validation}test {metrics['test_accuracy']:.4f}")
    except (RunError, DataError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: cannot write in {args.out} ({err.strerror or err}); choose another --out",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
