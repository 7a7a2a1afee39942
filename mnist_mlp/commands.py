"""The commands of `python -m mnist_mlp` that need the training stack (torch, d2l, MNIST):
train, evaluate, compare, collect and clean-statistics. `cli` parses the command line and
imports this module only for them, so `presets` and `--help` answer at once."""
import errno
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import torch

from . import formatting
from .checkpoints import CheckpointError
from .checks import ConfigError
from .cli import UsageError, train_config
from .config import NO_LAYERS
from .cpu import flush_denormals
from .data import MNIST, batch_loader
from .download import DataError
from .evaluation import (
    binomial_interval,
    confident_errors,
    confusion,
    ensemble_accuracy,
    evaluate_accuracy,
    most_confused,
    per_class_scores,
)
from .experiment import environment, fit, set_seed
from .files import FULL, NAME_MAX, WriteError, irregular, name_limit, write_json
from .plots import error_grid, plot_confusion_matrix
from .presets import PRESETS
from .runs import (
    CONFIG,
    EVALUATION,
    FIGURES,
    METRICS,
    WEIGHTS,
    Run,
    RunError,
    check_writable,
    checkpoint_of,
    claim,
    collect,
    fingerprint,
    load_model,
    other_kind,
    output_folder,
    read_run,
    runs_to_train,
    save_figure,
    write_run,
)
from .training import TrainingDiverged


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


def cmd_train(args):
    preset, config = train_config(args)  # every argument checked: nothing read or written yet
    if args.device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device is visible to torch here")
    # --seed defaults to None, not 0: argparse lets `--seed 0 --seeds 1 2` through otherwise
    seeds = args.seeds or [0 if args.seed is None else args.seed]
    if len(set(seeds)) < len(seeds):
        raise UsageError(f"--seeds lists a seed twice: {' '.join(map(str, seeds))}")
    runs = {seed: Run(preset, config, seed, args.val_split, not args.no_validation, args.device)
            for seed in seeds}
    dirs = {seed: args.out / f"{preset}-seed{seed}" for seed in seeds}
    if run := run_folder_holding(args.out):  # a later --force there would delete the new runs
        raise UsageError(f"--out {args.out} is inside the run folder {run}: train beside it")
    with output_folder(args.out), claim(dirs.values()):
        todo, kept = runs_to_train(dirs, runs, resume=args.resume, force=args.force)
        for path in kept:
            print(f"{path} is finished: kept (--resume)")
            if checkpoint_of(path).exists():  # an abandoned --force retrain of other settings
                print(f"  {checkpoint_of(path)} does not continue this run: left as it is; "
                      "delete it if you no longer need it")
        if not todo:
            print("every seed is finished: nothing to train")
            return 0
        flush_denormals()
        data = MNIST(batch_size=config.batch_size, val_split=args.val_split,
                     validate=not args.no_validation)
        for number, (seed, run_dir) in enumerate(todo.items()):
            try:
                # --resume over a finished run: a --force retrain's checkpoint, to replace it
                train_one(runs[seed], run_dir, data, force=args.force,
                          replace=args.force or run_dir.exists())
            except TrainingDiverged as err:  # the seeds after it are not tried
                left = " ".join(map(str, list(todo)[number + 1:]))
                raise TrainingDiverged(f"seed {seed}: {err}; no run was written for it"
                                       + (f" (seeds {left} were not trained)" if left else "")
                                       ) from None
    return 0


def train_one(run, run_dir, data, force=False, replace=False):
    """Train and write one seed's run (over the one in `run_dir` if `replace`; from the first
    epoch if `force`); its validation accuracy only, never the test set's."""
    checkpoint = checkpoint_of(run_dir)
    if force:
        checkpoint.unlink(missing_ok=True)  # start over, as asked
    resumed = checkpoint.exists()
    print(f"training {run.preset} (seed {run.seed}) -> {run_dir}"
          + (f", continuing from {checkpoint}" if resumed else "")
          + (" (replacing the run there when finished)" if replace and run_dir.exists() else ""))
    set_seed(run.seed)
    model = run.config.model()
    model.history.on_epoch = progress(run.config.epochs)
    try:
        _, seconds = fit(model, data, run.config.epochs, num_gpus=int(run.device == "cuda"),
                         checkpoint=checkpoint, settings=run.to_dict())
    except TrainingDiverged:
        checkpoint.unlink(missing_ok=True)  # resuming would diverge again
        raise
    metrics = {"epochs": model.history.epochs, "train_seconds": round(seconds, 2),
               "val_accuracy": validation_accuracy(model, data, run.validate)}
    write_run(run_dir, run.to_dict(), metrics, model, model.board.render(), replace=replace)
    checkpoint.unlink()  # the run holds all it had
    print(f"  {describe_validation(metrics['val_accuracy'], run.val_split, run_dir)}; "
          f"{seconds:.0f} s")


def validation_accuracy(model, data, validate):
    """The accuracy on the run's validation split (None without validation): what `train` and
    `clean-statistics` record. With val_split 0, that split is the test set (the original's
    protocol); otherwise the test set is not read."""
    return evaluate_accuracy(model, data.val_dataloader()) if validate else None


def describe_validation(accuracy, val_split, run_dir):
    """What train and clean-statistics print of a run's validation."""
    if accuracy is None:
        return f"no validation (the test set: python -m mnist_mlp evaluate {run_dir})"
    held_out = (f"{val_split} held-out images" if val_split else
                "the test set, as in the original notebook")
    return f"validation accuracy {accuracy:.4f} ({held_out})"


def cmd_evaluate(args):
    distinct(args.run_dirs)  # read twice, its files written twice: a mistake
    runs = [read_run(run_dir, evaluation=False) for run_dir in args.run_dirs]  # all checked,
    for run_dir in args.run_dirs:  # and writable, before MNIST is read
        check_writable(run_dir, f"evaluate writes {EVALUATION} and its figures into the run's "
                       "folder")
        for path in (run_dir / name for name in (EVALUATION, *FIGURES)):
            # a folder, a FIFO: replacing it would fail; a student's notes: not to be replaced
            if what := irregular(path) or other_kind(path):
                raise RunError(f"{path} is {what} where evaluate writes a file: move it away, "
                               "then run evaluate again")
    models = [load_model(run_dir, run["config"]) for run_dir, run in zip(args.run_dirs, runs)]
    data = MNIST(batch_size=256)
    held_out = {}  # val_split: the same held-out images train validated on
    for run_dir, model, run in zip(args.run_dirs, models, runs):
        # train read the validation images; they must read the same now, or config.json or
        # model.pt changed since (with val_split 0 they are the test images, read below)
        split = run["config"]["val_split"]
        trained = run["val_accuracy"] if split == 0 else None
        if split and run["val_accuracy"] is not None:
            if split not in held_out:
                held_out[split] = MNIST(batch_size=256, val_split=split).val_dataloader()
            same_reading(run_dir, evaluate_accuracy(model, held_out[split]), run["val_accuracy"],
                         split, "its held-out images")
        evaluate_run(run_dir, model, data, args.errors, trained)
    return 0


def same_reading(run_dir, accuracy, trained, images, which):
    """RunError unless `accuracy` repeats what train read on the same images: another CPU may
    flip a borderline image or two; a changed config.json or model.pt, hundreds (their
    fingerprint is checked before; metrics.json's figures, not in it, here)."""
    if abs(accuracy - trained) > max(0.002, 3 / images):
        raise RunError(f"{run_dir}: {which} give {accuracy:.4f} here, and gave {trained:.4f} "
                       f"when train validated on them: its {CONFIG}, {WEIGHTS} or {METRICS} "
                       "changed since; restore them or train the run again (nothing was "
                       "written)")


def evaluate_run(run_dir, model, data, max_errors, trained=None):
    """The explicit test-set reading: accuracy and its 95 % interval, per-class scores, the
    pairs most confused, evaluation.json and three PNGs in the run's folder. `trained`: the
    accuracy train read on these same images (val_split 0), which this one must repeat."""
    cm = confusion(model, data.test_dataloader())
    images = int(cm.sum())
    accuracy = float(cm.trace() / images)
    if trained is not None:
        same_reading(run_dir, accuracy, trained, images, "the test images")
    low, high = binomial_interval(accuracy, images)
    precision, recall, f1, support = per_class_scores(cm)
    print(f"{run_dir}: test accuracy {accuracy:.4f} (95 % interval {low:.4f}-{high:.4f}; "
          f"{images - cm.trace()} errors in {images})\n")
    print("| digit | precision | recall | F1 | support |\n|---|---|---|---|---|")
    for d in range(10):
        print(f"| {d} | {precision[d]:.4f} | {recall[d]:.4f} | {f1[d]:.4f} | {support[d]} |")
    pairs = most_confused(cm, 5)
    print("\nmost confused (true -> predicted): "
          + "; ".join(f"{t} -> {p} ({n})" for n, t, p in pairs))
    errors, confidences = confident_errors(model, data.test_dataloader(), max_errors)
    matrix, matrix_errors, grid = (run_dir / name for name in FIGURES)
    written = [save_figure(plot_confusion_matrix(cm), matrix),
               save_figure(plot_confusion_matrix(cm, errors_only=True), matrix_errors),
               save_figure(error_grid(errors, confidences), grid, dpi=90)]
    summary = {"test_accuracy": accuracy, "test_images": images, "test_interval": [low, high],
               "confusion_matrix": cm.tolist(),
               "per_class": {str(d): {"precision": float(precision[d]), "recall": float(recall[d]),
                                      "f1": float(f1[d]), "support": int(support[d])}
                             for d in range(10)},
               "most_confused": [{"true": t, "predicted": p, "count": n} for n, t, p in pairs]}
    write_json(run_dir / EVALUATION, {**summary, "fingerprint": fingerprint(run_dir)})
    print("wrote " + ", ".join(str(path) for path in written) + f" and {EVALUATION}\n")


def distinct(run_dirs):
    """UsageError if a run folder is named twice (it would count as two runs, or be evaluated
    twice)."""
    seen = {}
    for run_dir in run_dirs:
        if (key := Path(run_dir).resolve()) in seen:
            raise UsageError(f"{run_dir} is named twice: each run counts once")
        seen[key] = run_dir


def run_folder_holding(folder):
    """The run folder that is `folder` or holds it, or None: one whose config.json (a name
    many projects' settings have) describes a run, beside its model.pt or metrics.json."""
    folder = Path(folder).resolve()
    return next((f for f in (folder, *folder.parents) if is_run_folder(f)), None)


def is_run_folder(folder):
    """True if `folder` holds what `train` writes: a config.json of a run's keys, and its
    model.pt or metrics.json."""
    if not ((folder / CONFIG).is_file() and ((folder / WEIGHTS).is_file()
                                             or (folder / METRICS).is_file())):
        return False
    try:
        values = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return True  # a damaged run is still a run: nothing is written inside it
    return isinstance(values, dict) and {"hidden_sizes", "lr"} <= set(values)


def same_runs(run_dirs, runs):
    """UsageError if two folders hold the same run (the same recipe and seed: a copy)."""
    seen = {}
    for run_dir, run in zip(run_dirs, runs):
        key = json.dumps(run["config"], sort_keys=True)
        if key in seen:
            raise UsageError(f"{seen[key]} and {run_dir} hold the same run (same recipe and "
                             "seed; a copy?): name one of them")
        seen[key] = run_dir


def cmd_compare(args):
    distinct(args.run_dirs)
    runs = [read_run(run_dir) for run_dir in args.run_dirs]  # every run checked first
    same_runs(args.run_dirs, runs)
    groups = defaultdict(list)
    for run in runs:
        key = tuple(sorted((k, str(v)) for k, v in run["config"].items() if k != "seed"))
        groups[key].append(run)
    print("| run | architecture | optimizer, lr | seeds | validation accuracy | "
          "test accuracy | s per run |\n|---|---|---|---|---|---|---|")
    labels = row_labels([runs[0]["config"] for runs in groups.values()])
    for runs, label in zip(groups.values(), labels):
        config = runs[0]["config"]
        arch = "-".join(map(str, [784, *config["hidden_sizes"], 10]))
        validation = ("-" if runs[0]["val_accuracy"] is None  # validate is in the group's key
                      else mean_std([r["val_accuracy"] for r in runs]))
        tested = [r["test_accuracy"] for r in runs if "test_accuracy" in r]
        test = "-" if not tested else mean_std(tested) + (
            "" if len(tested) == len(runs) else f" ({len(tested)} of {len(runs)} evaluated)")
        print(f"| {label} | {arch} {config['af']} | {config['optimizer']}, "
              f"{config['lr']} | {len(runs)} | {validation} | {test} | "
              f"{statistics.mean(r['train_seconds'] for r in runs):.0f} |")
    return 0


# What compare's columns show of a run's settings; the seed is what a row averages over.
COMPARE_COLUMNS = {"preset", "hidden_sizes", "af", "optimizer", "lr", "seed"}


def row_labels(configs):
    """Each row's run column: the preset, then the settings in which the row departs from it
    (`E (hidden_sizes none)`, `C (epochs 1)`: a row is not called by a recipe it does not
    follow) and, for rows whose columns would read alike, those that tell them apart
    (`C (batch_size 256)` beside `C (batch_size 64)`)."""
    def value(config, key):
        return json.dumps(config.get(key), sort_keys=True)

    labels = []
    for config in configs:
        alike = [c for c in configs
                 if all(value(c, k) == value(config, k) for k in COMPARE_COLUMNS - {"seed"})]
        keys = sorted({k for c in alike for k in c} - COMPARE_COLUMNS)
        differ = [k for k in keys if len({value(c, k) for c in alike}) > 1]
        preset = PRESETS.get(config["preset"])
        departed = [] if preset is None else [
            k for k, v in preset.to_dict().items() if value(config, k) != json.dumps(v)]
        shown = ", ".join(f"{k} {_setting(config.get(k))}"
                          for k in [*departed, *(k for k in differ if k not in departed)])
        labels.append(config["preset"] + (f" ({shown})" if shown else ""))
    return labels


def _setting(value):
    """A setting as a row label shows it: layer sizes as the command line takes them."""
    if isinstance(value, (list, tuple)):
        return " ".join(map(str, value)) or NO_LAYERS
    return value


def mean_std(values):
    """The notebooks' 'mean ± std', with the decimal point the command line prints."""
    return formatting.mean_std(values, comma=False)


def cmd_collect(args):
    distinct(args.run_dirs)
    runs = [read_run(run_dir) for run_dir in args.run_dirs]  # every run checked first
    same_runs(args.run_dirs, runs)
    name_limit(args.out)  # before is_dir, which raises "File name too long" itself
    if args.out.is_dir():
        raise UsageError(f"--out {args.out} is a folder: name the JSON file to write")
    if run := run_folder_holding(args.out.parent):
        raise UsageError(f"--out {args.out} is inside the run folder {run}, whose files "
                         "it could replace: write the summary elsewhere, e.g. results/")
    if what := irregular(args.out):  # a FIFO, a device: write would replace it
        raise UsageError(f"--out {args.out} is {what}: name the JSON file to write (nothing "
                         "was written)")
    if args.out.is_file() and not is_summary(args.out):
        raise UsageError(f"--out {args.out} exists and is not a summary `collect` wrote: name "
                         "another file, or delete it first (nothing was written)")
    if len({run["run"] for run in runs}) < len(runs):  # runs/F-seed0 and clean/F-seed0
        runs = [{**run, "run": str(run_dir)} for run, run_dir in zip(runs, args.run_dirs)]
    result = collect(runs)
    with output_folder(args.out.parent, "choose another --out"):
        if args.ensemble:  # an explicit test-set reading, as `evaluate`
            models = [load_model(run_dir, run["config"])
                      for run_dir, run in zip(args.run_dirs, runs)]
            result["ensemble"] = ensemble([run["run"] for run in runs], models)
        # The kernels torch picked here (AVX2, AVX512...): what makes CPUs' numbers differ.
        machine = {**environment(), "cpu_capability": torch.backends.cpu.get_cpu_capability()}
        path = write_json(args.out, {**result, "environment": machine})
    tested = sum("test_accuracy" in run for run in runs)
    print(f"wrote {path} ({len(runs)} run{'s' * (len(runs) != 1)}, {tested} evaluated on the "
          "test set"
          + (", and their ensemble)" if args.ensemble else ")"))
    return 0


def is_summary(path):
    """True if the file at `path` is a JSON summary `collect` wrote, by its keys and its runs'
    (the only file --out may replace): the project's other results also hold runs and an
    environment."""
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return False
    return (isinstance(value, dict) and isinstance(value.get("runs"), list)
            and {"command", "runs", "environment"} <= set(value) <= SUMMARY_KEYS
            and all(isinstance(run, dict) and set(run) >= RUN_ENTRY for run in value["runs"]))


SUMMARY_KEYS = {"command", "runs", "ensemble", "environment"}  # what cmd_collect writes
RUN_ENTRY = {"run", "preset", "seed", "config", "command"}  # ... and in each of its runs


def ensemble(names, models):
    """The test accuracy of the runs' averaged class probabilities (soft voting), and its 95 %
    interval; `names` are the runs' as the summary records them."""
    batches = list(MNIST(batch_size=1000).test_dataloader())
    accuracy = ensemble_accuracy(models, batches)
    images = sum(len(y) for _, y in batches)
    return {"runs": sorted(names), "test_accuracy": round(accuracy, 6),
            "test_images": images, "test_interval": list(binomial_interval(accuracy, images))}


def cmd_clean_statistics(args):
    runs = [read_run(run_dir, evaluation=False) for run_dir in args.run_dirs]
    targets = [args.out / Path(run_dir).resolve().name for run_dir in args.run_dirs]  # "." too
    if run := run_folder_holding(args.out):
        raise UsageError(f"--out {args.out} is inside the run folder {run}: write the new "
                         "runs beside it, e.g. --out runs/clean")
    for run_dir, run, target in zip(args.run_dirs, runs, targets):
        if run["config"]["clean_statistics"]:
            raise RunError(f"{run_dir} already has clean statistics: nothing to add")
        if not run["config"]["batch_norm"]:
            raise RunError(f"{run_dir} has no batch normalisation: no statistics to recompute")
        if target.exists() or targets.count(target) > 1:
            raise UsageError(f"{target} already exists or is named twice: choose another --out")
    with output_folder(args.out):
        models = [load_model(run_dir, run["config"]) for run_dir, run in zip(args.run_dirs, runs)]
        splits = {}  # one MNIST per (batch size, val_split, validate) the runs trained with
        for run, model, target in zip(runs, models, targets):
            config = run["config"]
            key = config["batch_size"], config["val_split"], config["validate"]
            if key not in splits:
                splits[key] = MNIST(batch_size=key[0], val_split=key[1], validate=key[2])
            data = splits[key]
            model.recompute_statistics(batch_loader(data.train, data.batch_size))
            metrics = {"epochs": run["history"], "train_seconds": run["train_seconds"],
                       "val_accuracy": validation_accuracy(model, data, config["validate"])}
            model.history.epochs = metrics["epochs"]  # the board draws the run's own curves
            write_run(target, {**config, "clean_statistics": True}, metrics, model,
                      model.board.render())
            print(f"{target}: "
                  + describe_validation(metrics["val_accuracy"], config["val_split"], target))
    return 0


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "compare": cmd_compare,
            "collect": cmd_collect, "clean-statistics": cmd_clean_statistics}


INTERRUPTED = {  # what Ctrl-C leaves, and what to do next
    "train": "interrupted: finished runs are kept, and the run in progress up to its last "
             "finished epoch (train again with --resume to continue)",
    "evaluate": "interrupted: every file written is whole; run evaluate again for the complete "
                "set",
    "clean-statistics": "interrupted: the clean runs already written are whole and kept; run "
                        "clean-statistics again for the others only",
}


AFTER_A_FULL_DISK = {  # files are written whole or not at all: what to run once there is room
    "train": "train again with --resume (finished runs and the last finished epoch are kept)",
    "evaluate": "run evaluate again",
    "collect": "run collect again",
    "clean-statistics": "run clean-statistics again for the others only",
}


def run(args):
    """Run a parsed command; a user's mistake is one line on stderr and exit status 2."""
    try:
        return COMMANDS[args.command](args)
    except (UsageError, ConfigError, DataError, RunError, CheckpointError) as err:  # one line
        print(f"error: {err}", file=sys.stderr)
        return 2
    except TrainingDiverged as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # Runs and checkpoints are written whole or not at all, so nothing is half-written.
        print(INTERRUPTED.get(args.command, "interrupted: every file written is whole"),
              file=sys.stderr)
        return 130
    except OSError as err:
        if isinstance(err, WriteError) and err.errno not in FULL:  # a file one may not replace,
            print(f"error: {err}", file=sys.stderr)  # a name too long: already one line
            return 2
        if err.errno == errno.ENAMETOOLONG:  # a folder named on the command line, stat'ed
            print(f"error: {err.filename}: a name in this path is too long (at most "
                  f"{NAME_MAX} bytes each): choose a shorter one", file=sys.stderr)
            return 2
        if err.errno not in FULL:  # a full disk; anything else is not a user's mistake
            raise
        detail = (str(err) if isinstance(err, WriteError) else
                  f"no space left to write {err.filename or 'a file'} ({err.strerror})")
        print(f"error: {detail}; free some space, then "
              f"{AFTER_A_FULL_DISK.get(args.command, 'run the command again')}", file=sys.stderr)
        return 1
    except MemoryError as err:  # a mistyped --hidden-sizes: torch's allocator's traceback
        print(f"error: not enough memory for this model ({_first_line(err)}): choose smaller "
              "--hidden-sizes or --batch-size", file=sys.stderr)
        return 1
    except RuntimeError as err:
        if "can't allocate memory" not in str(err):
            raise
        print(f"error: not enough memory for this model ({_first_line(err)}): choose smaller "
              "--hidden-sizes or --batch-size", file=sys.stderr)
        return 1


def _first_line(err):
    """The last line of an exception's message: torch's allocator puts the size there."""
    lines = [line for line in str(err).splitlines() if line.strip()]
    return (lines[-1] if lines else type(err).__name__)[:200]
