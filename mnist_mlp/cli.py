"""`python -m mnist_mlp`: list presets, train runs, evaluate and compare them."""
import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import matplotlib
import torch

from .board import EpochBoard
from .data import MNIST
from .download import DataError
from .evaluation import (
    confident_errors,
    confusion,
    evaluate_accuracy,
    most_confused,
    per_class_scores,
)
from .experiment import fit, flush_denormals, set_seed
from .model import ACTIVATIONS, OPTIMIZERS
from .plots import error_grid, plot_confusion_matrix
from .presets import PRESETS
from .runs import (
    RunError,
    build_model,
    check_writable,
    epoch_metrics,
    load_run,
    read_json,
    save_figure,
    write_run,
)


def cmd_presets(args):
    print("| preset | hidden sizes | activation | optimizer | lr | batch | epochs | extras |")
    print("|---|---|---|---|---|---|---|---|")
    for name, p in PRESETS.items():
        keys = ("batch_norm", "noise", "input_dropout", "dropout", "weight_decay", "schedule",
                "label_smoothing")
        extras = ", ".join(f"{k}={p[k]}" for k in keys if k in p)
        print(f"| {name} | {p['hidden_sizes']} | {p['af']} | {p['optimizer']} | {p['lr']} | "
              f"{p['batch_size']} | {p['epochs']} | {extras or '-'} |")
    return 0


def train_config(args):
    """The preset, overridden by every flag given, plus the run's own settings."""
    if args.preset is None and args.hidden is None:
        raise ValueError("give a preset (one of " + ", ".join(PRESETS) + ") or --hidden")
    preset = args.preset.upper() if args.preset else None
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"unknown preset {args.preset!r}; valid presets: " + ", ".join(PRESETS))
    config = dict(PRESETS.get(preset, PRESETS["A"]))
    flags = {"hidden_sizes": args.hidden, "af": args.af, "optimizer": args.optimizer,
             "lr": args.lr, "epochs": args.epochs, "batch_size": args.batch_size,
             "dropout": args.dropout, "weight_decay": args.weight_decay,
             "schedule": args.schedule, "label_smoothing": args.label_smoothing,
             "input_dropout": args.input_dropout, "batch_norm": args.batch_norm,
             "noise": args.noise, "precision": args.precision}
    config.update({key: value for key, value in flags.items() if value is not None})
    if config.get("schedule") == "none":
        config["schedule"] = None
    if args.no_validation and args.val_split:
        raise ValueError("--no-validation trains on all 60,000 training images: drop --val-split")
    config.update(preset=preset or "custom", val_split=args.val_split, device=args.device,
                  validate=not args.no_validation)
    build_model(config)  # fail on bad values before loading any data
    return config


def progress(total_epochs):
    """A board callback printing one progress line per finished epoch."""
    start = time.perf_counter()

    def report(board):
        last = {label: points[-1][1] for label, points in board.data.items()}
        if "val_acc" in board.data:
            epoch = len(board.data["val_acc"])
            validation = f"val_loss {last['val_loss']:.4f}  val_acc {last['val_acc']:.4f}  "
        else:  # --no-validation
            epoch = len(board.data["train_loss"]) // board.train_points_per_epoch
            validation = ""
        bar = "#" * round(20 * epoch / total_epochs)
        print(f"  epoch {epoch:>3}/{total_epochs} [{bar:<20}] "
              f"train_loss {last.get('train_loss', float('nan')):.4f}  {validation}"
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    return report


def cmd_train(args):
    config = train_config(args)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is visible to torch here")
    check_writable(args.out)
    flush_denormals()
    data = MNIST(batch_size=config["batch_size"], val_split=args.val_split,
                 validate=config["validate"])
    for seed in args.seeds or [args.seed]:
        run = dict(config, seed=seed)
        run_dir = args.out / f"{run['preset']}-seed{seed}"
        print(f"training {run['preset']} (seed {seed}) -> {run_dir}")
        set_seed(seed)
        model = build_model(run)
        model.plot_train_per_epoch = 1  # one train-loss point per epoch, for metrics.json
        model.board = EpochBoard(display=False, on_epoch=progress(run["epochs"]))
        _, seconds = fit(model, data, run["epochs"], num_gpus=int(args.device == "cuda"))
        metrics = {"epochs": epoch_metrics(model.board), "train_seconds": round(seconds, 2),
                   "val_accuracy": (evaluate_accuracy(model, data.val_dataloader())
                                    if config["validate"] else None),
                   "test_accuracy": evaluate_accuracy(model, data.test_dataloader())}
        write_run(run_dir, run, metrics, model, model.board.render())
        held_out = "test set" if not args.val_split else f"{args.val_split} held-out images"
        validation = ("no validation; " if metrics["val_accuracy"] is None else
                      f"validation accuracy {metrics['val_accuracy']:.4f} ({held_out}); ")
        print(f"  {validation}test accuracy {metrics['test_accuracy']:.4f}; {seconds:.0f} s")
    return 0


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
               save_figure(plot_confusion_matrix(cm, normalize=True),
                           args.run_dir / "confusion_matrix_normalized.png"),
               save_figure(error_grid(errors, confidences), args.run_dir / "errors.png", dpi=90)]
    summary = {"test_accuracy": float(accuracy), "confusion_matrix": cm.tolist(),
               "per_class": {str(d): {"precision": float(precision[d]), "recall": float(recall[d]),
                                      "f1": float(f1[d]), "support": int(support[d])}
                             for d in range(10)},
               "most_confused": [{"true": t, "predicted": p, "count": n} for n, t, p in pairs]}
    (args.run_dir / "evaluation.json").write_text(json.dumps(summary, indent=2) + "\n")
    print("wrote " + ", ".join(str(path) for path in written) + " and evaluation.json")
    return 0


def cmd_compare(args):
    groups = defaultdict(list)
    for run_dir in args.run_dirs:
        config = read_json(Path(run_dir) / "config.json", "JSON")
        metrics = read_json(Path(run_dir) / "metrics.json", "JSON")
        key = json.dumps({k: v for k, v in config.items() if k != "seed"}, sort_keys=True)
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


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def parser():
    main = argparse.ArgumentParser(prog="python -m mnist_mlp", description=__doc__)
    sub = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("presets", help="list models A-F and their hyperparameters",
                   description="List models A-F and their hyperparameters.")
    train = sub.add_parser("train", help="train a preset or an explicit configuration",
                           description="Train a preset (A-F) or an explicit MLP; every flag "
                           "overrides the preset's value. Writes OUT/PRESET-seedN/.")
    train.add_argument("preset", nargs="?", help="one of " + ", ".join(PRESETS))
    train.add_argument("--hidden", nargs="+", type=_positive_int, metavar="N",
                       help="hidden layer sizes, e.g. --hidden 256 256")
    train.add_argument("--af", choices=list(ACTIVATIONS), help="activation")
    train.add_argument("--optimizer", choices=OPTIMIZERS)
    train.add_argument("--lr", type=_positive_float, help="learning rate (peak, with onecycle)")
    train.add_argument("--epochs", type=_positive_int)
    train.add_argument("--batch-size", type=_positive_int)
    train.add_argument("--dropout", type=float, help="dropout after each hidden layer, [0, 1)")
    train.add_argument("--weight-decay", type=float)
    train.add_argument("--schedule", choices=["none", "onecycle"])
    train.add_argument("--label-smoothing", type=float)
    train.add_argument("--input-dropout", type=float, help="dropout on the input pixels, [0, 1)")
    train.add_argument("--batch-norm", action=argparse.BooleanOptionalAction,
                       help="batch normalisation after each hidden layer's product (F: on)")
    train.add_argument("--noise", type=float, metavar="STD",
                       help="Gaussian noise added in training to the inputs and to each hidden "
                       "layer's (normalised) product; 0 for none")
    train.add_argument("--precision", choices=["float32", "bfloat16"],
                       help="bfloat16 autocast needs AVX512_BF16/AMX or a GPU (default float32)")
    seeds = train.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, default=0, help="one run with this seed (default 0)")
    seeds.add_argument("--seeds", type=int, nargs="+", metavar="S", help="one run per seed")
    train.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    train.add_argument("--val-split", type=int, default=0, metavar="N",
                       help="hold out N training images for validation; the test set is then "
                       "evaluated once at the end (default 0: test set as validation, as in "
                       "the original notebook)")
    train.add_argument("--no-validation", action="store_true",
                       help="train on all 60,000 training images with no validation (the final "
                       "training of a recipe chosen with --val-split); the test set is still "
                       "evaluated once at the end")
    train.add_argument("--out", type=Path, default=Path("runs"),
                       help="folder for run directories (default runs/)")
    evaluate = sub.add_parser("evaluate", help="test-set report and figures for a run",
                              description="Accuracy, per-class precision/recall/F1, most "
                              "confused pairs and PNGs (confusion matrices, error gallery "
                              "ranked by confidence) for a run directory.")
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
    except (ValueError, DataError, RunError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Runs are written whole or not at all (runs.write_run), so nothing is half-written.
        print("interrupted: the run in progress was not written; finished runs are kept",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
