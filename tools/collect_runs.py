"""Gather run folders of `python -m mnist_mlp train` into one JSON file for the notebooks.

    python tools/collect_runs.py runs/F-seed* --out results/validacao_F.json
    python tools/collect_runs.py runs/G-seed* --ensemble --out results/longo_G.json

Per run it keeps the preset, seed, whole config, per-epoch history, validation and test accuracy,
training seconds and the command that retrains it; beside them, the command that retrains all
the runs (when they differ only by seed) and the environment of this process; with --ensemble,
the test accuracy of the runs' averaged probabilities too. Run it on the machine that trained
the runs: the CPU it records is this machine's.
"""
import argparse
import sys
from pathlib import Path

import torch

from mnist_mlp.config import Config
from mnist_mlp.data import MNIST
from mnist_mlp.download import DataError
from mnist_mlp.evaluation import ensemble_accuracy
from mnist_mlp.experiment import environment
from mnist_mlp.files import write_json
from mnist_mlp.presets import PRESETS
from mnist_mlp.runs import CONFIG, METRICS, RunError, load_run, read_config, read_json

METRIC_KEYS = ("epochs", "val_accuracy", "test_accuracy", "train_seconds")
RUN_KEYS = ("seed", "val_split", "validate", "device")  # what train adds to the Config fields


def read_run(run_dir):
    """One run folder as a dict; RunError if it is not a finished run of `mnist_mlp train`."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"{run_dir} is not a folder; pass run folders written by "
                       "`python -m mnist_mlp train` (e.g. runs/F-seed0)")
    for name in (CONFIG, METRICS):
        if not isinstance(read_json(run_dir / name), dict):
            raise RunError(f"{run_dir / name} must hold a JSON object, as `train` writes it")
    config = read_config(run_dir)  # a run older than a Config field gets its default
    metrics = read_json(run_dir / METRICS)
    missing = [key for key in ("preset", *RUN_KEYS) if key not in config]
    missing += [key for key in METRIC_KEYS if key not in metrics]
    if missing:
        raise RunError(f"{run_dir} lacks {', '.join(missing)} in {CONFIG}/{METRICS}: "
                       "is it a finished run of `python -m mnist_mlp train`?")
    return {"run": run_dir.name, "preset": config["preset"], "seed": config["seed"],
            "config": config, "history": metrics["epochs"],
            "val_accuracy": metrics["val_accuracy"], "test_accuracy": metrics["test_accuracy"],
            "train_seconds": metrics["train_seconds"]}


def flag(name, value):
    """The `train` flag that sets Config field `name` to `value`."""
    option = "--" + name.replace("_", "-")
    if isinstance(value, bool):
        return option if value else "--no-" + option[2:]
    if isinstance(value, list):
        return f"{option} {' '.join(map(str, value))}"
    return f"{option} {value}"


def train_command(runs):
    """The `train` command that retrains these runs, or None if they differ beyond the seed."""
    first = {k: v for k, v in runs[0]["config"].items() if k != "seed"}
    if any({k: v for k, v in r["config"].items() if k != "seed"} != first for r in runs):
        return None
    preset = first["preset"]
    base = PRESETS[preset].to_dict() if preset in PRESETS else Config().to_dict()
    words = ["python -m mnist_mlp train"] + ([preset] if preset in PRESETS else [])
    words += [flag(k, v) for k, v in first.items() if k in base and v != base[k]]
    words.append("--seeds " + " ".join(str(r["seed"]) for r in runs))
    if first["val_split"]:
        words.append(f"--val-split {first['val_split']}")
    if not first["validate"]:
        words.append("--no-validation")
    if first["device"] != "cpu":
        words.append(f"--device {first['device']}")
    return " ".join(words)


def ensemble(run_dirs):
    """The test accuracy of the runs' averaged class probabilities (soft voting)."""
    models = [load_run(run_dir)[2] for run_dir in run_dirs]
    accuracy = ensemble_accuracy(models, MNIST(batch_size=1000).test_dataloader())
    return {"runs": sorted(Path(d).name for d in run_dirs), "test_accuracy": round(accuracy, 6)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR")
    parser.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    parser.add_argument("--ensemble", action="store_true",
                        help="also evaluate the runs' averaged probabilities on the test set")
    args = parser.parse_args(argv)
    try:
        runs = sorted((read_run(d) for d in args.run_dirs), key=lambda r: (r["preset"], r["seed"]))
        for run in runs:  # runs that differ beyond the seed have no common command
            run["command"] = train_command([run])
        # The kernels torch picked here (AVX2, AVX512...): what makes CPUs' numbers differ.
        machine = {**environment(), "cpu_capability": torch.backends.cpu.get_cpu_capability()}
        result = {"command": train_command(runs), "runs": runs}
        if args.ensemble:
            result["ensemble"] = ensemble(args.run_dirs)
        path = write_json(args.out, {**result, "environment": machine})
    except (RunError, DataError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: cannot write {args.out} ({err.strerror or err}); choose another --out",
              file=sys.stderr)
        return 2
    print(f"wrote {path} ({len(runs)} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
