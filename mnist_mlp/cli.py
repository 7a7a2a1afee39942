"""`python -m mnist_mlp`: list presets, train runs, evaluate and compare them."""
import argparse
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import fields
from pathlib import Path

import matplotlib
import torch

from .checkpoints import CheckpointError, read_checkpoint
from .checks import ConfigError
from .config import Config
from .cpu import flush_denormals
from .data import MNIST
from .download import DataError
from .evaluation import (
    confident_errors,
    confusion,
    evaluate_accuracy,
    most_confused,
    per_class_scores,
)
from .experiment import fit, set_seed
from .files import write_json
from .plots import error_grid, plot_confusion_matrix
from .presets import PRESETS
from .runs import (
    METRICS,
    RunError,
    check_writable,
    load_run,
    read_config,
    read_json,
    save_figure,
    write_run,
)
from .training import TrainingDiverged

NAMES = [f.name for f in fields(Config)]
TRAIN_IMAGES = 60_000


class UsageError(Exception):
    """The command line asks for something that cannot be done; nothing was started."""


def cmd_presets(args):
    print("| preset | " + " | ".join(NAMES) + " |\n|---|" + "---|" * len(NAMES))
    for name, config in PRESETS.items():
        values = config.to_dict()
        print(f"| {name} | " + " | ".join(str(values[key]) for key in NAMES) + " |")
    return 0


def train_config(args):
    """The preset (model A's values without one), overridden by every flag given."""
    if args.preset is None and args.hidden_sizes is None:
        raise UsageError("give a preset (one of " + ", ".join(PRESETS) + ") or --hidden-sizes")
    preset = args.preset.upper() if args.preset else None
    if preset is not None and preset not in PRESETS:
        raise UsageError(f"unknown preset {args.preset!r}; valid presets: " + ", ".join(PRESETS))
    if args.no_validation and args.val_split:
        raise UsageError("--no-validation trains on all 60,000 training images: drop --val-split")
    if args.val_split >= TRAIN_IMAGES:
        raise UsageError(f"--val-split must be below {TRAIN_IMAGES}, got {args.val_split}")
    given = {name: getattr(args, name) for name in NAMES if getattr(args, name) is not None}
    return preset or "custom", PRESETS.get(preset, Config()).replace(**given)


def progress(total_epochs):
    """A history callback printing one line per finished epoch, with the time left."""
    start, trained = time.perf_counter(), 0

    def report(row):
        nonlocal trained
        trained += 1  # epochs this process trained (a resumed run starts later than epoch 1)
        bar = "#" * round(20 * row["epoch"] / total_epochs)
        values = "  ".join(f"{key} {value:.4f}" for key, value in row.items() if key != "epoch")
        elapsed = time.perf_counter() - start
        left = elapsed / trained * (total_epochs - row["epoch"])
        eta = f", ~{left / 60:.0f} min left" if left >= 90 else ""
        print(f"  epoch {row['epoch']:>3}/{total_epochs} [{bar:<20}] {values}  "
              f"({elapsed:.0f} s{eta})", flush=True)
    return report


def run_dirs(args, preset, run):
    """{seed: run directory}, refused before any training if one holds a run and no --force;
    with --resume, the seeds whose run of this same configuration is finished are left out."""
    seeds = args.seeds or [args.seed]
    if len(set(seeds)) < len(seeds):
        raise UsageError(f"--seeds lists a seed twice: {' '.join(map(str, seeds))}")
    dirs = {seed: args.out / f"{preset}-seed{seed}" for seed in seeds}
    if args.resume:
        for seed, path in list(dirs.items()):
            if path.exists():
                check_same_run(path, {**run, "seed": seed})
                print(f"{path} is finished: kept (--resume)")
                del dirs[seed]
            elif checkpoint_of(path).exists():
                check_same_checkpoint(checkpoint_of(path), {**run, "seed": seed})
    taken = [str(path) for path in dirs.values() if path.exists()]
    if not args.resume:
        taken += [str(checkpoint_of(path)) for path in dirs.values()
                  if checkpoint_of(path).exists()]
    if taken and not args.force:
        one = len(taken) == 1
        raise UsageError(f"{', '.join(taken)} already exist{'s' if one else ''}: pass --force "
                         f"to replace {'it' if one else 'them'}, --resume to keep finished "
                         "runs and continue interrupted ones, or choose another --out")
    return dirs


def checkpoint_of(run_dir):
    """Where the run's training state is saved after each epoch until the run is written."""
    return run_dir.with_name(run_dir.name + ".checkpoint.pt")


def check_same_checkpoint(path, run):
    """UsageError unless `path` is a checkpoint of exactly `run` (what --resume continues)."""
    try:
        found = read_checkpoint(path)["settings"]
    except CheckpointError as err:
        raise UsageError(f"--resume: {err}") from None
    if differ := other_settings(found, run):
        raise UsageError(f"--resume: {path} is an interrupted run with other settings "
                         f"({', '.join(differ)}); choose another --out or pass --force to "
                         "start it over")


def other_settings(found, run):
    """The settings of `run` that `found` (a saved run's or checkpoint's) does not share."""
    return sorted(key for key in run if found.get(key) != run[key])


def check_same_run(path, run):
    """UsageError unless `path` holds a finished run of exactly `run` (what --resume keeps)."""
    try:
        read_json(path / METRICS)
        found = read_config(path)
    except RunError as err:
        raise UsageError(f"--resume: {path} is not a finished run ({err}); delete it or pass "
                         "--force to train it again") from None
    if differ := other_settings(found, run):
        raise UsageError(f"--resume: {path} holds a run with other settings ({', '.join(differ)}"
                         "); choose another --out or pass --force to replace it")


def cmd_train(args):
    preset, config = train_config(args)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device is visible to torch here")
    settings = {"preset": preset, **config.to_dict(), "val_split": args.val_split,
                "validate": not args.no_validation, "device": args.device}
    dirs = run_dirs(args, preset, settings)
    if not dirs:
        print("every seed is finished: nothing to train")
        return 0
    check_writable(args.out)
    flush_denormals()
    data = MNIST(batch_size=config.batch_size, val_split=args.val_split,
                 validate=not args.no_validation)
    for seed, run_dir in dirs.items():
        run = {**settings, "seed": seed}
        checkpoint = checkpoint_of(run_dir)
        if args.force:
            checkpoint.unlink(missing_ok=True)  # start over, as asked
        resumed = checkpoint.exists()
        print(f"training {preset} (seed {seed}) -> {run_dir}"
              + (f", continuing from {checkpoint}" if resumed else ""))
        set_seed(seed)
        model = config.model()
        model.history.on_epoch = progress(config.epochs)
        try:
            _, seconds = fit(model, data, config.epochs, num_gpus=int(args.device == "cuda"),
                             checkpoint=checkpoint, settings=run)
        except TrainingDiverged:
            checkpoint.unlink(missing_ok=True)  # resuming would diverge again
            raise
        metrics = {"epochs": model.history.epochs, "train_seconds": round(seconds, 2),
                   **accuracies(model, data, run["validate"])}
        write_run(run_dir, run, metrics, model, model.board.render(), replace=args.force)
        checkpoint.unlink()  # the run holds all it had
        held_out = "test set" if not args.val_split else f"{args.val_split} held-out images"
        validation = ("no validation; " if metrics["val_accuracy"] is None else
                      f"validation accuracy {metrics['val_accuracy']:.4f} ({held_out}); ")
        print(f"  {validation}test accuracy {metrics['test_accuracy']:.4f}; {seconds:.0f} s")
    return 0


def accuracies(model, data, validate):
    """The validation (None without validation) and test accuracies a run records."""
    return {"val_accuracy": evaluate_accuracy(model, data.val_dataloader()) if validate else None,
            "test_accuracy": evaluate_accuracy(model, data.test_dataloader())}


def cmd_evaluate(args):
    config, metrics, model = load_run(args.run_dir)
    data = MNIST(batch_size=256)
    cm = confusion(model, data.test_dataloader())
    accuracy = cm.trace() / cm.sum()
    precision, recall, f1, support = per_class_scores(cm)
    print(f"{args.run_dir}: test accuracy {accuracy:.4f} ({cm.sum() - cm.trace()} errors "
          f"in {cm.sum()})\n")
    print("| digit | precision | recall | F1 | support |\n|---|---|---|---|---|")
    for d in range(10):
        print(f"| {d} | {precision[d]:.4f} | {recall[d]:.4f} | {f1[d]:.4f} | {support[d]} |")
    pairs = most_confused(cm, 5)
    print("\nmost confused (true -> predicted): "
          + "; ".join(f"{t} -> {p} ({n})" for n, t, p in pairs))
    errors, confidences = confident_errors(model, data.test_dataloader(), args.errors)
    written = [save_figure(plot_confusion_matrix(cm), args.run_dir / "confusion_matrix.png"),
               save_figure(plot_confusion_matrix(cm, errors_only=True),
                           args.run_dir / "confusion_errors.png"),
               save_figure(error_grid(errors, confidences), args.run_dir / "errors.png", dpi=90)]
    summary = {"test_accuracy": float(accuracy), "confusion_matrix": cm.tolist(),
               "per_class": {str(d): {"precision": float(precision[d]), "recall": float(recall[d]),
                                      "f1": float(f1[d]), "support": int(support[d])}
                             for d in range(10)},
               "most_confused": [{"true": t, "predicted": p, "count": n} for n, t, p in pairs]}
    write_json(args.run_dir / "evaluation.json", summary)
    print("wrote " + ", ".join(str(path) for path in written) + " and evaluation.json")
    return 0


def cmd_compare(args):
    groups = defaultdict(list)
    for run_dir in args.run_dirs:
        config = read_config(run_dir)  # older runs get the defaults of newer fields
        metrics = read_json(Path(run_dir) / METRICS)
        key = tuple(sorted((k, str(v)) for k, v in config.items() if k != "seed"))
        groups[key].append((config, metrics))
    print("| run | architecture | optimizer, lr | seeds | validation accuracy | "
          "test accuracy | s per run |\n|---|---|---|---|---|---|---|")
    for runs in groups.values():
        config = runs[0][0]
        arch = "-".join(map(str, [784, *config["hidden_sizes"], 10]))
        print(f"| {config['preset']} | {arch} {config['af']} | {config['optimizer']}, "
              f"{config['lr']} | {len(runs)} | {_mean_std([m['val_accuracy'] for _, m in runs])} "
              f"| {_mean_std([m['test_accuracy'] for _, m in runs])} | "
              f"{statistics.mean(m['train_seconds'] for _, m in runs):.0f} |")
    return 0


def _mean_std(values):
    if None in values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}"


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _nonnegative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or a positive integer, got {text}")
    return value


def add_config_flags(parser):
    """One flag per Config field, with its type, choices and help; unset flags stay None."""
    for f in fields(Config):
        names = ["--" + f.name.replace("_", "-")] + (["--hidden"] if f.name == "hidden_sizes"
                                                     else [])
        options = {"dest": f.name, "default": None, "help": f.metadata["help"]}
        if f.type is bool:
            options["action"] = argparse.BooleanOptionalAction
        elif f.type is tuple:
            options.update(nargs="+", type=_positive_int, metavar="N")
        elif f.metadata["choices"] is not None:
            options["choices"] = f.metadata["choices"]
        else:
            options["type"] = f.type  # int or float; the range is Config's to check
        parser.add_argument(*names, **options)


def parser():
    main = argparse.ArgumentParser(prog="python -m mnist_mlp", description=__doc__)
    sub = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    names = f"{min(PRESETS)}-{max(PRESETS)}"
    sub.add_parser("presets", help=f"list models {names} and their hyperparameters",
                   description=f"List models {names} and their hyperparameters.")
    train = sub.add_parser("train", help="train a preset or an explicit configuration",
                           description=f"Train a preset ({names}) or an explicit MLP; every flag "
                           "overrides the preset's value. Writes OUT/PRESET-seedN/.")
    train.add_argument("preset", nargs="?", help="one of " + ", ".join(PRESETS))
    add_config_flags(train)
    seeds = train.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, default=0, help="one run with this seed (default 0)")
    seeds.add_argument("--seeds", type=int, nargs="+", metavar="S", help="one run per seed")
    train.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    train.add_argument("--val-split", type=_nonnegative_int, default=0, metavar="N",
                       help="hold out N training images for validation; the test set is then "
                       "evaluated once at the end (default 0: test set as validation, as in "
                       "the original notebook)")
    train.add_argument("--no-validation", action="store_true",
                       help="train on all 60,000 training images with no validation (the final "
                       "training of a recipe chosen with --val-split); the test set is still "
                       "evaluated once at the end")
    train.add_argument("--out", type=Path, default=Path("runs"),
                       help="folder for run directories (default runs/)")
    existing = train.add_mutually_exclusive_group()
    existing.add_argument("--force", action="store_true",
                          help="replace run directories that already exist (the earlier run is "
                          "kept until the new one is written) and start interrupted runs over")
    existing.add_argument("--resume", action="store_true",
                          help="after an interrupt: keep the seeds whose run of these settings "
                          "is finished, continue the interrupted one from its last finished "
                          "epoch (OUT/PRESET-seedN.checkpoint.pt), train the others")
    evaluate = sub.add_parser("evaluate", help="test-set report and figures for a run",
                              description="Accuracy, per-class precision/recall/F1, most "
                              "confused pairs and PNGs (confusion matrix, its errors alone, "
                              "error gallery ranked by confidence) for a run directory.")
    evaluate.add_argument("run_dir", type=Path)
    evaluate.add_argument("--errors", type=_positive_int, default=50,
                          help="how many confident errors to show (default 50)")
    compare = sub.add_parser("compare", help="one table for several runs (mean ± std)",
                             description="Compare run directories; runs that differ only by "
                             "seed are grouped as mean ± std.")
    compare.add_argument("run_dirs", nargs="+", type=Path)
    return main


COMMANDS = {"presets": cmd_presets, "train": cmd_train, "evaluate": cmd_evaluate,
            "compare": cmd_compare}


def main(argv=None):
    matplotlib.use("Agg")
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (UsageError, ConfigError, DataError, RunError, CheckpointError) as err:  # one line
        print(f"error: {err}", file=sys.stderr)
        return 2
    except TrainingDiverged as err:
        print(f"error: {err}; no run was written for this seed", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # Runs and checkpoints are written whole or not at all, so nothing is half-written.
        print("interrupted: finished runs are kept, and the run in progress up to its last "
              "finished epoch (train again with --resume to continue)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
