"""`python -m mnist_mlp`: list presets, train runs (validation only), evaluate them on the test
set, compare them, collect them into one JSON file, give older runs clean statistics.

This module parses; `commands` runs what needs the training stack, imported only then."""
import argparse
import glob
import os
import re
from dataclasses import fields
from pathlib import Path

from . import __version__
from .checks import COUNT, NONNEGATIVE_COUNT, RULES, SEED, TRAIN_IMAGES
from .config import NO_LAYERS, Config, flag_of
from .files import expanded
from .presets import PRESETS

NAMES = [f.name for f in fields(Config)]


class UsageError(Exception):
    """The command line asks for something that cannot be done; nothing was started."""


def a_path(text, what="a folder, e.g. runs"):
    """A path argument with ~ as the home folder: the shell leaves `--out=~/runs` as it is. An
    empty one (`--out "$OUT"`, OUT unset) is refused: Path would read it as the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"is empty (an unset shell variable?): name {what}")
    if text != text.strip():  # "runs " pasted: a folder whose name ends in a space
        raise argparse.ArgumentTypeError(f"{text!r} begins or ends with a space (pasted?): "
                                         f"write {text.strip()!r}")
    return expanded(text, argparse.ArgumentTypeError)


def a_run(text):
    """`a_path` for a run folder to read; a pattern the shell left as it is (cmd and PowerShell
    expand no `*`) is named as one, with what it matches."""
    path = a_path(text, "a run folder, e.g. runs/C-seed0")
    if any(c in text for c in "*?[") and not path.exists():
        matches = sorted(glob.glob(os.path.expanduser(text)))
        shown = " ".join(matches[:3]) + (" ..." if len(matches) > 3 else "")
        raise argparse.ArgumentTypeError(
            f"{text} is a pattern the shell did not expand (cmd and PowerShell do not): name the "
            f"folders, e.g. {shown}" if matches else
            f"{text} matches no folder: check the path (run folders are named like C-seed0)")
    return path


def a_file(text):
    """`a_path` for a file to write: a trailing slash names a folder (Path would drop it)."""
    if text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"{text} names a folder: name the JSON file to write")
    return a_path(text, "the JSON file to write, e.g. results/summary.json")


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
    given = {name: getattr(args, name) for name in NAMES if getattr(args, name) is not None}
    config = PRESETS.get(preset, Config()).replace(**given)
    for name, needs in config.idle().items():
        if given.get(name, False) is not False:  # --no-clean-statistics asks for nothing
            raise UsageError(f"{flag_of(name)} does nothing without {flag_of(needs)}: add "
                             f"{flag_of(needs)} or drop {flag_of(name)}")
    # a preset's setting that another flag made idle (F --no-batch-norm: clean statistics) is
    # recorded as Config's default, so the run says what it did
    defaults = Config()
    config = config.replace(**{name: getattr(defaults, name) for name in config.idle()})
    return preset or "custom", config


def argument(rule):
    """An argparse type from a rule of mnist_mlp.checks: its `parse`, whose error argparse
    prints in one line as 'argument --x: must be <rule>, got <text>'."""
    def parse(text):
        try:
            return rule.parse(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err) + _comma_hint(text, rule.whole)) from None
    parse.__name__ = "integer" if rule.whole else "number"
    return parse


def _comma_hint(text, whole):
    """Advice for a number written with a comma, as Portuguese (and --help's 60,000) write
    them: the command line reads 0.1 and 10000."""
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", text.strip()) and whole:
        return f" (write it without a thousands separator: {text.strip().replace(',', '')})"
    if re.fullmatch(r"[+-]?\d*,\d+", text.strip()) and not whole:
        return f" (write it with a decimal point: {text.strip().replace(',', '.')})"
    return ""


POSITIVE_INT, WHOLE_NUMBER = argument(COUNT), argument(NONNEGATIVE_COUNT)
SEED_NUMBER = argument(SEED)


def list_item(parse, what, example):
    """`parse` for the values of a list flag (`what`: 'sizes'), where a preset's name that
    follows them (train --hidden 16 8 C) says to put the preset first."""
    def parse_item(text):
        if text.upper() in PRESETS:
            raise argparse.ArgumentTypeError(f"got the preset name {text!r} among the {what}: "
                                             f"put the preset first, e.g. train {text.upper()} "
                                             f"{example}")
        values = text.strip("[]() ")  # a Python list, [256,256], or a trailing comma, 8,
        if "," in text and all(part.strip() for part in values.split(",")):
            raise argparse.ArgumentTypeError(
                f"got {text!r}: separate the {what} with spaces, e.g. "
                f"{example.split()[0]} {' '.join(part.strip() for part in values.split(','))}")
        if "," in text:  # "8," of --hidden 8, 16
            raise argparse.ArgumentTypeError(f"got {text!r}: separate the {what} with spaces, "
                                             f"without commas, e.g. {example}")
        return parse(text)
    parse_item.__name__ = parse.__name__
    return parse_item


LAYER_SIZE = list_item(POSITIVE_INT, "sizes", "--hidden 16 8")
SEED_IN_LIST = list_item(SEED_NUMBER, "seeds", "--seeds 0 1")


def layer_size(text):
    """A layer's size (LAYER_SIZE), or 'none' (NO_LAYERS), which Sizes takes alone only."""
    return NO_LAYERS if text.lower() == NO_LAYERS else LAYER_SIZE(text)


class ListOnce(argparse.Action):
    """A list option (`nargs`) that refuses to be given twice: argparse keeps the last list, so
    `--hidden 16 --hidden 8` would train one layer of 8 without a word."""

    def __call__(self, parser, namespace, values, option_string=None):
        given = namespace.__dict__.setdefault("_lists_given", set())
        if self.dest in given:
            example = "0 1 2" if self.dest == "seeds" else "16 8"
            raise argparse.ArgumentError(self, "given twice: list all the values after one "
                                         f"flag, e.g. {self.option_strings[0]} {example}")
        given.add(self.dest)
        setattr(namespace, self.dest, values)


class Sizes(ListOnce):
    """--hidden-sizes: one or more sizes, or `none` alone for no hidden layer (the original's
    softmax regression, MLP(10, [], lr)). No value at all is refused: a flag whose sizes were
    forgotten would train that linear model under the preset's name, without a word."""

    def __call__(self, parser, namespace, values, option_string=None):
        if values == [NO_LAYERS]:
            values = []
        elif NO_LAYERS in values:  # "8 none": sizes and no layer at once
            option = self.option_strings[0]
            sizes = " ".join(str(v) for v in values if v != NO_LAYERS)
            raise argparse.ArgumentError(self, f"{NO_LAYERS} (no hidden layer) stands alone: "
                                         f"give {option} {sizes} or {option} {NO_LAYERS}"
                                         if sizes else f"give {NO_LAYERS} once")
        elif not values:
            raise argparse.ArgumentError(self, "needs one or more layer sizes, e.g. "
                                         f"{self.option_strings[0]} 256 256 (or {NO_LAYERS} "
                                         "alone for no hidden layer)")
        super().__call__(parser, namespace, values, option_string)


class Parser(argparse.ArgumentParser):
    """argparse's parser, its errors in one line (the usage is one --help away)."""

    def error(self, message):
        if (found := re.match(r"argument (--[\w-]+)/(--no-[\w-]+): ignored explicit argument",
                              message)):  # --batch-norm=false: a switch takes no value
            message += f" (a switch takes no value: {found[1]} or {found[2]})"
        self.exit(2, f"{self.prog}: error: {message}\n")


def add_config_flags(parser):
    """One flag per Config field, with its type, choices and help; unset flags stay None."""
    for f in fields(Config):
        names = [flag_of(f.name)] + (["--hidden"] if f.name == "hidden_sizes"
                                                     else [])
        options = {"dest": f.name, "default": None, "help": f.metadata["help"]}
        kind = f.metadata["kind"]
        if kind == "bool":
            options["action"] = argparse.BooleanOptionalAction
        elif kind == "sizes":
            # "*", not "+": Sizes says what to give, and how to ask for no hidden layer
            options.update(nargs="*", type=layer_size, metavar="N", action=Sizes)
        elif kind == "choice":
            options["choices"] = f.metadata["choices"]
        else:  # the field's own rule: its error names the flag, not the field
            options["type"] = argument(RULES[f.name])
        parser.add_argument(*names, **options)


def runs_command(sub, name, help, description):
    """A subcommand that takes run folders (RUN_DIR...), as all but `presets` and `train` do."""
    command = sub.add_parser(name, help=help, description=description)
    command.add_argument("run_dirs", nargs="+", type=a_run, metavar="RUN_DIR")
    return command


def parser():
    main = Parser(prog="python -m mnist_mlp", description=__doc__)
    main.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    names = f"{min(PRESETS)}-{max(PRESETS)}"
    sub.add_parser("presets", help=f"list models {names} and their hyperparameters",
                   description=f"List models {names} and their hyperparameters.")
    train = sub.add_parser(
        "train", help="train a preset or an explicit configuration (validation only)",
        description=f"Train a preset ({names}) or an explicit MLP; every flag overrides the "
        "preset's value. Writes OUT/PRESET-seedN/ (config.json, metrics.json, model.pt, "
        "curves.png). train records the validation accuracy only; the test set is read by "
        "`evaluate`.")
    train.add_argument("preset", nargs="?", help="one of " + ", ".join(PRESETS))
    add_config_flags(train)
    seeds = train.add_mutually_exclusive_group()
    # default None, not 0: argparse's either/or check lets a value that *is* the default through
    seeds.add_argument("--seed", type=SEED_NUMBER, default=None,
                       help="one run with this seed (default 0; a whole number >= 0)")
    seeds.add_argument("--seeds", type=SEED_IN_LIST, nargs="+", metavar="S", action=ListOnce,
                       help="one run per seed")
    train.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    validation = train.add_mutually_exclusive_group()
    validation.add_argument(
        "--val-split", type=WHOLE_NUMBER, default=0, metavar="N",
        help=f"hold out N of the {TRAIN_IMAGES:,} training images for validation (the same "
        "N whatever the seed). Default 0: the original notebook's protocol, where the "
        "validation set IS the 10,000-image test set, so the val_accuracy recorded then is a "
        "test-set accuracy")
    validation.add_argument(
        "--no-validation", action="store_true",
        help=f"train on all {TRAIN_IMAGES:,} training images and validate on nothing (the "
        "final training of a recipe chosen with --val-split); read the test set afterwards "
        "with `evaluate`")
    train.add_argument("--out", type=a_path, default=Path("runs"),
                       help="folder for run directories (default runs/)")
    existing = train.add_mutually_exclusive_group()
    existing.add_argument("--force", action="store_true",
                          help="replace run directories that already exist (the earlier run is "
                          "kept until the new one is written) and start interrupted runs over")
    existing.add_argument("--resume", action="store_true",
                          help="after an interrupt: keep the seeds whose run of these settings "
                          "is finished, continue the interrupted one from its last finished "
                          "epoch (OUT/PRESET-seedN.checkpoint.pt; an interrupted --force retrain "
                          "still replaces its earlier run), train the others")
    evaluate = runs_command(
        sub, "evaluate", help="read the test set: accuracy, its interval, report and figures",
        description="The explicit test-set reading of runs: accuracy with its 95 % binomial "
        "(Wilson) interval, per-class precision/recall/F1, most confused pairs, and in each run "
        "folder evaluation.json and PNGs (confusion matrix, its errors alone, error gallery "
        "ranked by confidence). `compare` and `collect` report a run's test accuracy only once "
        "it has been evaluated.")
    evaluate.add_argument("--errors", type=POSITIVE_INT, default=50,
                          help="how many confident errors to show (default 50)")
    runs_command(
        sub, "compare", help="one table for several runs (mean ± std)",
        description="Compare run directories; runs that differ only by seed are grouped as "
        "mean ± std. The test accuracy is shown for evaluated runs only.")
    collect_ = runs_command(
        sub, "collect", help="gather runs into one JSON file (the notebooks' results/)",
        description="Gather run folders into one JSON file: per run the preset, seed, config, "
        "history, validation accuracy, test accuracy and interval (evaluated runs only), "
        "training seconds and the command that retrains it; the command that retrains them "
        "all (when they differ only by seed) and this machine's environment (run it on the "
        "machine that trained them).")
    collect_.add_argument("--out", type=a_file, required=True, help="the JSON file to write")
    collect_.add_argument("--ensemble", action="store_true",
                          help="also read the test set for the runs' averaged probabilities "
                          "(soft voting): accuracy and 95 %% interval")
    clean = runs_command(
        sub, "clean-statistics", help="give runs trained without clean statistics what train "
        "now ends with",
        description="For runs with batch normalisation trained without clean_statistics: "
        "rebuild each run's training images from its config (val_split, validate), recompute "
        "batch normalisation's statistics on them without noise, in train's batches, "
        "evaluate the validation split again and write the run to OUT/NAME with "
        "clean_statistics set. The runs read are left as they are; the test set is read only "
        "as the validation set of runs trained with --val-split 0.")
    clean.add_argument("--out", type=a_path, required=True, help="the folder to write runs in")
    return main


def main(argv=None):
    top = parser()
    args, extra = top.parse_known_args(argv)
    if extra and args.command == "train" and extra[0].upper() in PRESETS:  # train A E
        top.exit(2, f"{top.prog} train: error: train takes one preset, got {args.preset} and "
                 f"{' '.join(extra)}: train each in a command of its own (they can share --out)\n")
    if extra:
        top.error(f"unrecognized arguments: {' '.join(extra)}")  # as parse_args says them
    if args.command == "presets":
        return cmd_presets(args)
    from . import commands  # torch, d2l and MNIST: only for the commands that need them

    return commands.run(args)
