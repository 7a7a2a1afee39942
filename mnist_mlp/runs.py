"""Run folders, in one place: what `python -m mnist_mlp train` writes, the one reader every
command shares (`read_run`: `train --resume`, `evaluate`, `compare`, `collect`,
`clean-statistics`), the checkpoint and lock beside each folder, and the collector's summary."""
import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from .checkpoints import CheckpointError, read_checkpoint
from .checks import (
    NONNEGATIVE,
    NONNEGATIVE_COUNT,
    SEED,
    UNIT,
    ConfigError,
    check_split,
    is_count,
    is_number,
    require,
)
from .config import NO_LAYERS, Config, flag_of
from .evaluation import binomial_interval, device_of
from .files import (
    damage,
    expanded,
    file_to_write,
    irregular,
    not_json,
    replacing,
    write_json,
)
from .formatting import briefly, contrast
from .presets import PRESETS

try:
    import fcntl
except ImportError:  # Windows: no flock; two trainings into one folder are not kept apart there
    fcntl = None

CONFIG, METRICS, WEIGHTS, CURVES = "config.json", "metrics.json", "model.pt", "curves.png"
CHECKPOINT_SUFFIX = ".checkpoint.pt"  # beside the run folder while it trains
EVALUATION = "evaluation.json"  # written by `evaluate`, the one step that reads the test set
FIGURES = ("confusion_matrix.png", "confusion_errors.png", "errors.png")  # evaluate's PNGs
RUN_FILES = {CONFIG, METRICS, WEIGHTS, CURVES, EVALUATION, *FIGURES}  # all a run folder holds
OS_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}  # what a file manager leaves: no one's work
RUN_KEYS = ("preset", "seed", "val_split", "validate", "device")  # train's, beside Config's
# The model's own arguments, in every config.json train ever wrote: a file without one of them was
# edited by hand (Config's default would build another network than the weights')
CORE_KEYS = ("hidden_sizes", "lr", "af")
METRIC_KEYS = ("epochs", "val_accuracy", "train_seconds")
DEVICES = ("cpu", "cuda")

# what `train` writes for each of RUN_KEYS and METRIC_KEYS (val_split: check_split; epochs:
# check_history)
_RULES = {
    "preset": (lambda v: isinstance(v, str) and v != "", "a preset's name"),
    "seed": SEED,
    "device": (lambda v: isinstance(v, str) and v in DEVICES, " or ".join(map(repr, DEVICES))),
    "val_accuracy": (lambda v: v is None or UNIT.holds(v), "null or a number in [0, 1]"),
    "train_seconds": NONNEGATIVE,
}


def _span(numbers):
    """'2 to 10' or '3, 1, 2': the epoch numbers of a history, for an error."""
    if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
        return f"{numbers[0]} to {numbers[-1]}"
    return ", ".join(map(str, numbers[:5])) + (", ..." if len(numbers) > 5 else "")


def check_history(rows):
    """ConfigError unless `rows`, metrics.json's epochs, are what train writes: {"epoch": n,
    "train_loss": x, ...}, every value finite. It names the first row that is not, rather than
    the whole history (a line of thousands of characters)."""
    rule = "epochs must be a list of per-epoch rows, each an epoch number and finite losses"
    if not isinstance(rows, list):
        raise ConfigError(f"{rule}, got {type(rows).__name__}")
    for number, row in enumerate(rows, 1):
        if not (isinstance(row, dict) and is_count(row.get("epoch"))):
            raise ConfigError(f"{rule}: row {number} has no epoch number")
        bad = [key for key, value in row.items() if not is_number(value)]
        if bad:
            raise ConfigError(f"{rule}: epoch {row['epoch']}'s {bad[0]} is "
                              f"{briefly(row[bad[0]])}")


class RunError(RuntimeError):
    """A run directory is missing, incomplete or corrupt, or cannot be written."""


@dataclass(frozen=True)
class Run:
    """What one `train` run is: a recipe (`config`, named `preset` or "custom"), a seed, the
    split it trains and validates on, and its device. Its file is config.json (`to_dict`): the
    Config's fields beside RUN_KEYS. `--resume` keeps or continues a run only where the saved
    one has the same `to_dict()` (`differences`), and the collector writes the `train` command
    that makes it again (`command`), with the flags the parser reads."""

    preset: str
    config: Config
    seed: int = 0
    val_split: int = 0
    validate: bool = True
    device: str = "cpu"

    def __post_init__(self):
        if not (self.preset in PRESETS or self.preset == "custom"):
            raise ConfigError(f"preset must be one of {', '.join(PRESETS)} or 'custom', got "
                              f"{self.preset!r}")
        if not isinstance(self.config, Config):
            raise ConfigError(f"config must be a Config, got {type(self.config).__name__}")
        require("seed", self.seed, SEED)
        require("device", self.device, _RULES["device"])
        check_split(self.val_split, self.validate)
        object.__setattr__(self, "seed", int(self.seed))  # NumPy's integers: JSON needs int
        object.__setattr__(self, "val_split", int(self.val_split))

    def to_dict(self):
        """config.json's contents, in train's order."""
        return {"preset": self.preset, **self.config.to_dict(), "val_split": self.val_split,
                "validate": self.validate, "device": self.device, "seed": self.seed}

    @classmethod
    def from_dict(cls, values):
        """The Run a config.json (or a checkpoint's settings) describes; ConfigError if none."""
        if not isinstance(values, dict):
            raise ConfigError(f"a run must be a JSON object, got {type(values).__name__}")
        missing = [key for key in RUN_KEYS if key not in values]
        if missing:
            raise ConfigError(f"lacks {', '.join(missing)}")
        return cls(values["preset"], Config.from_dict(values), values["seed"],
                   values["val_split"], values["validate"], values["device"])

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def differences(self, found):
        """The settings of this run that `found` (a saved run's or checkpoint's dict) does not
        share: what --resume names when it refuses."""
        return sorted(key for key, value in self.to_dict().items() if found.get(key) != value)

    def contrast(self, found):
        """`differences` with their values, for a message: 'hidden_sizes [8] there, [16] here'
        (three at most)."""
        return contrast(found, self.to_dict(), self.differences(found))

    def recipe_flags(self):
        """The `train` arguments that rebuild this run's recipe: the preset, then a flag for each
        Config field that differs from it (a custom run: from Config's defaults) and does
        something (`Config.idle`: train refuses a flag that would not)."""
        base = PRESETS[self.preset] if self.preset in PRESETS else Config()
        words = [self.preset] if self.preset in PRESETS else []
        idle = self.config.idle()
        for f in dataclasses.fields(Config):
            value = getattr(self.config, f.name)
            if f.name in idle:
                continue
            # a custom run names its layers even at Config's default: train needs a preset or
            # --hidden-sizes
            if value != getattr(base, f.name) or (f.name == "hidden_sizes" and not words):
                words.append(flag(f.name, value))
        return words

    def split_flags(self):
        """The `train` arguments for the run's split and device (none for train's defaults)."""
        words = []
        if self.val_split:
            words.append(f"--val-split {self.val_split}")
        if not self.validate:
            words.append("--no-validation")
        if self.device != "cpu":
            words.append(f"--device {self.device}")
        return words


def check_writable(folder, advice="choose a writable --out"):
    """Create `folder` if needed and prove a file can be written there, before any work."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise RunError(f"{folder} is a file, not a folder; {advice}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise RunError(f"cannot write into {folder} ({err.strerror or err}); {advice}") from err


@contextlib.contextmanager
def output_folder(folder, advice="choose a writable --out"):
    """check_writable(folder) for the block; if the block fails, the folders this created are
    removed again where they are still empty, so a refused command leaves nothing behind."""
    folder = Path(folder)
    created = [path for path in (folder, *folder.parents) if not path.exists()]  # deepest first
    try:
        check_writable(folder, advice)
        yield folder
    except BaseException:
        for path in created:
            try:
                path.rmdir()
            except OSError:  # not empty (a checkpoint, a finished run) or never made: kept
                break
        raise


def write_run(path, config, metrics, model, curves, replace=False):
    """Write the run into a temporary folder beside `path`, then move it into place whole.

    An existing `path` is a RunError unless `replace`; then it is renamed aside until the new
    run is in place, so an interrupt at any moment leaves one complete run there.
    """
    path = Path(path)
    if path.exists() and not replace:
        raise RunError(f"{path} already holds a run: pass replace=True (--force on the "
                       "command line) to replace it, or write elsewhere")
    path.parent.mkdir(parents=True, exist_ok=True)  # as save_figure and save_weights make it
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part"))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp's 0700 would hide the run from the group
    old = tmp.with_suffix(".old")
    try:
        write_json(tmp / CONFIG, config)
        save_weights(model, tmp / WEIGHTS)
        # what evaluate, compare and collect check that the run's files are still these
        write_json(tmp / METRICS, {**metrics, "fingerprint": fingerprint(tmp)})
        save_figure(curves, tmp / CURVES, dpi=120)
        if replace and path.exists():
            os.replace(path, old)
        os.replace(tmp, path)  # fails, deleting nothing, if a run appeared there meanwhile
    except BaseException:
        if old.exists() and not path.exists():
            os.replace(old, path)  # the earlier run goes back
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink(missing_ok=True)  # a file that stood where the run goes
    return path


def fingerprint(run_dir):
    """A digest of what the run's config.json and model.pt hold (the settings, the tensors):
    another value means either changed; a file saved again with the same content (reindented,
    or the same weights by save_weights) keeps it."""
    digest = hashlib.sha256()
    config = json.loads(Path(run_dir, CONFIG).read_text(encoding="utf-8-sig"))
    digest.update(json.dumps(config, sort_keys=True).encode())
    weights = torch.load(Path(run_dir, WEIGHTS), map_location="cpu", weights_only=True)
    for name, tensor in sorted(weights.items()):
        digest.update(f"{name} {tensor.dtype} {tuple(tensor.shape)}".encode())
        digest.update(tensor.reshape(-1).contiguous().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]


def byte_fingerprint(run_dir):
    """The digest of the two files' bytes, which runs written before `fingerprint` read content
    record."""
    digest = hashlib.sha256()
    for name in (CONFIG, WEIGHTS):
        digest.update(Path(run_dir, name).read_bytes())
    return digest.hexdigest()[:16]


def check_fingerprint(run_dir, recorded, since):
    """RunError if `recorded` (None: a run older than fingerprints) is not the run's files'
    (by content, or by bytes for a run written before content fingerprints)."""
    if recorded is None:
        return
    try:
        if recorded == byte_fingerprint(run_dir):
            return
    except FileNotFoundError as err:  # model.pt (config.json was read a moment ago)
        raise RunError(f"{err.filename} is missing; restore it from a copy, or train the run "
                       "again") from None
    except OSError as err:
        raise RunError(f"{run_dir}: cannot read its {CONFIG} and {WEIGHTS} "
                       f"({err.strerror or err})") from None
    try:
        torch.load(Path(run_dir, WEIGHTS), map_location="cpu", weights_only=True)
    except Exception as err:  # a truncated model.pt says so, rather than "changed"
        raise RunError(f"{Path(run_dir, WEIGHTS)} is corrupt ({type(err).__name__}); "
                       "train the run again") from None
    if fingerprint(run_dir) != recorded:
        raise RunError(f"{run_dir}: its {CONFIG} or {WEIGHTS} changed since {since}: restore "
                       "them, or train (then evaluate) the run again")


def save_weights(model, path):
    """The model's weights (on the CPU) to `path`, written whole or not at all."""
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"save_weights takes a model (an nn.Module) first, got "
                         f"{type(model).__name__}")
    device_of(model)  # on 'meta': shapes without values, nothing to save
    path = file_to_write(path)  # None, "folder/": one line
    if not_weights := _other_file(path):  # a run's config.json, a student's notes
        raise RunError(f"{path} exists and is {not_weights}, not weights: name another file, "
                       "or delete it first")
    # through an open file torch names the zip's folder "archive", not after the temporary
    # name (which holds the pid): the same weights are the same bytes
    with replacing(path) as tmp, open(tmp, "wb") as file:
        torch.save({k: v.cpu() for k, v in model.state_dict().items()}, file)
    return path


def save_figure(fig, path, dpi=110):
    """Save a figure (or a Drawing) under a temporary name, then rename, then close it:
    no half-written image is left, and pyplot keeps no figure behind. The format is the
    name's (.png, .pdf, .svg...; PNG without one); a file of another kind is not replaced."""
    figure = getattr(fig, "figure_", fig)
    if not hasattr(figure, "savefig"):
        raise ValueError(f"save_figure takes a figure (what the plotting helpers return, or "
                         f"plt.gcf()), got {type(fig).__name__}")
    path = file_to_write(path)
    kind = path.suffix[1:].lower() or "png"
    if kind not in (formats := figure.canvas.get_supported_filetypes()):
        raise ValueError(f"{path}: matplotlib writes no .{kind} images; name it .png, .pdf or "
                         f".svg (or one of {', '.join(sorted(formats))})")
    if what := other_kind(path):
        raise RunError(f"{path} exists and is {what}: name another file, or delete it first")
    try:
        with replacing(path) as tmp:
            figure.savefig(tmp, dpi=dpi, format=kind)
    finally:
        plt.close(figure)
    return path


# how each image format save_figure may replace begins (an SVG: the XML declaration)
IMAGE_MAGIC = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml", "jpg": b"\xff\xd8\xff",
               "jpeg": b"\xff\xd8\xff"}


def other_kind(path):
    """What stands at `path` if it is a file that save_figure (an image's name) or write_json
    (a .json) would refuse to replace; None for one of its own kind, or nothing."""
    if str(path).lower().endswith(".json"):
        return "a file that is not JSON" if not_json(path) else None
    kind = Path(path).suffix[1:].lower() or "png"
    if (head := _head(path)) and not head.startswith(IMAGE_MAGIC.get(kind, b"\0unknown")):
        return f"{_foreign_kind(path) or 'another file'}, not a {kind.upper()} image"
    return None


def _head(path):
    """The first bytes of an existing, non-empty file at `path`; b"" for anything else."""
    try:
        with open(path, "rb") as file:
            return file.read(8)
    except OSError:  # nothing there, a folder: replacing says what applies
        return b""


def read_json(path):
    try:
        # utf-8-sig: also a file a Windows editor saved with a byte-order mark
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise RunError(f"{path} is missing: is {Path(path).parent} a run directory written "
                       "by `python -m mnist_mlp train`?") from None
    except (OSError, ValueError, RecursionError) as err:  # cut short, edited, nested deep
        advice = ("evaluate the run again" if Path(path).name == EVALUATION else
                  "restore it from a copy, or train the run again")
        raise RunError(f"{path} is not readable JSON ({err}): {advice}") from err


def read_config(run_dir):
    """A run's config.json as a dict, with the defaults of any field newer than the run."""
    path = Path(run_dir) / CONFIG
    values = read_json(path)
    missing = [key for key in CORE_KEYS if isinstance(values, dict) and key not in values]
    if missing:
        raise RunError(f"{path} lacks {', '.join(missing)}, which every run of `python -m "
                       "mnist_mlp train` records: restore the file, or train the run again")
    try:
        config = Config.from_dict(values)  # refuses a file that holds no JSON object
    except ConfigError as err:
        raise RunError(f"{path} describes no valid model: {err}; restore it from a copy, or "
                       "train the run again") from err
    return {**values, **config.to_dict()}


def read_run(run_dir, evaluation=True):
    """A finished run of `train` as one dict: run (the folder's name), preset, seed, config
    (every Config field, a run older than one getting its default, and train's RUN_KEYS),
    history, val_accuracy and train_seconds; with `evaluation`, test_accuracy and test_interval
    too where `evaluate` has read the test set for it (evaluation.json). Anything else is a
    RunError in one line. (The test_accuracy that `train` once wrote in metrics.json is not
    read: a run's test accuracy is the one its explicit evaluation recorded.)"""
    run_dir, config, metrics = read_folder(run_dir)
    if not isinstance(metrics, dict):
        raise RunError(f"{run_dir / METRICS} must hold a JSON object, as `train` writes it, "
                       f"got {type(metrics).__name__}; restore it from a copy, or train the run "
                       "again")
    missing = [key for key in RUN_KEYS if key not in config]
    missing += [key for key in METRIC_KEYS if key not in metrics]
    if missing:
        raise RunError(f"{run_dir} lacks {', '.join(missing)} in {CONFIG}/{METRICS}: is it a "
                       "finished run of `python -m mnist_mlp train`?")
    try:
        Run.from_dict(config)  # the run's own rules: preset, seed, split, device, recipe
        check_history(metrics["epochs"])
        for key in ("val_accuracy", "train_seconds"):
            require(key, metrics[key], _RULES[key])
        if (metrics["val_accuracy"] is None) == bool(config["validate"]):
            raise ConfigError(f"val_accuracy is {metrics['val_accuracy']} for a run with "
                              f"validate={config['validate']}")
        numbers = [row["epoch"] for row in metrics["epochs"]]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ConfigError(f"its history holds epochs {_span(numbers)}, not 1, 2, 3... in "
                              "order")
        # (a config.json older than the epochs field records none: its history is all there is)
        if "epochs" in read_json(run_dir / CONFIG) and len(numbers) != config["epochs"]:
            raise ConfigError(f"its history holds {len(numbers)} epochs for a run of "
                              f"{config['epochs']}")
    except ConfigError as err:
        raise RunError(f"{run_dir} is not a run `python -m mnist_mlp train` wrote: {err}; "
                       "restore it from a copy, or train the run again") from None
    run = {"run": run_dir.resolve().name, "preset": config["preset"], "seed": config["seed"],
           "config": config, "history": metrics["epochs"],
           "val_accuracy": metrics["val_accuracy"], "train_seconds": metrics["train_seconds"]}
    check_fingerprint(run_dir, metrics.get("fingerprint"), "train wrote them")
    if evaluation and (run_dir / EVALUATION).exists():
        run.update(read_evaluation(run_dir / EVALUATION))
        check_fingerprint(run_dir, read_json(run_dir / EVALUATION).get("fingerprint"),
                          f"evaluate read them ({EVALUATION})")
    return run


def read_evaluation(path):
    """{test_accuracy, test_interval} from an evaluation.json (one written before intervals
    were recorded gets its interval from its confusion matrix)."""
    summary = read_json(path)
    try:
        accuracy = require("test_accuracy", summary["test_accuracy"], UNIT)
        if "test_interval" in summary:
            low, high = summary["test_interval"]
            interval = [require("test_interval", low, UNIT),
                        require("test_interval", high, UNIT)]
            if not low <= accuracy <= high:
                raise ValueError(f"test_interval {interval} does not hold test_accuracy {accuracy}")
        else:
            interval = None
        matrix = summary["confusion_matrix"]
        if not (isinstance(matrix, list) and matrix
                and all(isinstance(row, list) and len(row) == len(matrix)
                        and all(map(NONNEGATIVE_COUNT.holds, row)) for row in matrix)):
            raise ValueError("confusion_matrix is not a square table of counts")
        images = sum(map(sum, matrix))
        if not images or abs(sum(matrix[i][i] for i in range(len(matrix))) / images
                             - accuracy) > 1e-9:
            raise ValueError(f"test_accuracy {accuracy} is not its confusion matrix's")
        if summary.get("test_images", images) != images:
            raise ValueError(f"test_images {summary['test_images']} is not its confusion "
                             f"matrix's {images}")
        interval = interval or list(binomial_interval(accuracy, images))
    except (ConfigError, KeyError, TypeError, ValueError) as err:
        raise RunError(f"{path} is not an evaluation `python -m mnist_mlp evaluate` wrote "
                       f"({type(err).__name__}: {err}); evaluate the run again") from None
    return {"test_accuracy": accuracy, "test_interval": interval}


def load_model(run_dir, config):
    """The model `config` (a run's config dict) describes, with the run's trained weights, in
    evaluation mode."""
    run_dir = Path(run_dir)
    model = Config.from_dict(config).model()
    load_weights(model, run_dir / WEIGHTS, f"the model {CONFIG} describes",
                 f"train the run again, or restore its {CONFIG} and {WEIGHTS}")
    model.eval()
    return model


def load_weights(model, path, described="this model",
                 advice="pass the file save_weights wrote for this model"):
    """Load the weights in `path` (as `save_weights` wrote them) into `model`, or a RunError in
    one line: missing, corrupt, or not fitting the model (`described`, e.g. "the model
    config.json describes"), then `advice`. Weights do not record the activation: build the
    model with the `af` it was trained with (config.json says it)."""
    if isinstance(model, type) or not isinstance(model, torch.nn.Module):
        raise RunError(f"load_weights takes a model (an nn.Module) first, got "
                       f"{getattr(model, '__name__', type(model).__name__)}: e.g. "
                       "load_weights(MLP(...), path, ...)")
    if not isinstance(path, (str, os.PathLike)):
        raise RunError(f"the weights' path must be a file name, got {type(path).__name__}")
    device_of(model)  # on 'meta', load_state_dict leaves the weights without values, silently
    path = expanded(path, RunError)
    try:
        with warnings.catch_warnings():  # torch's hint to call torch.jit.load: ours is below
            warnings.filterwarnings("ignore", ".*looks like a TorchScript archive")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise RunError(f"{path} is missing; {advice}") from None
    except IsADirectoryError:
        raise RunError(f"{path} is a folder: name the weights' file, e.g. its model.pt") from None
    except Exception as err:  # torch raises several types for truncated or foreign files
        # (not the UnpicklingError's first line: it advises weights_only=False, unsafe here)
        text = str(err)
        if "TorchScript" in text:
            raise RunError(f"{path} holds a TorchScript model (torch.jit.save), not weights: "
                           "save them with save_weights(model, path)") from None
        if "Weights only" in text and ("torch.nn" in text or "mnist_mlp." in text):
            raise RunError(f"{path} holds a whole model saved with torch.save(model, ...), not "
                           "its weights: save them with save_weights(model, path)") from None
        if kind := _foreign_kind(path):  # not torch's zip: not weights cut short
            raise RunError(f"{path} is {kind}, not weights; {advice}") from None
        detail = ("not a file of tensors" if "Weights only" in text
                  else _first_detail(err))
        kind = type(err).__name__
        raise RunError(f"{path} is corrupt or cut short ({kind}"
                       + (f": {detail}" if detail != kind else "") + f"); {advice}") from err
    if what := damage(path):  # a flipped bit: loaded as another number
        raise RunError(f"{path} is corrupt ({what}); {advice}")
    if isinstance(state, dict) and {"model", "optimizer", "epochs"} <= set(state):
        raise RunError(f"{path} is a training checkpoint, not weights: its 'model' entry holds "
                       "them")
    if isinstance(state, dict) and (inner := [key for key, value in state.items()
                                              if _tensors_only(value)]):
        raise RunError(f"{path} holds its weights in the entry {inner[0]!r}: "
                       f"model.load_state_dict(torch.load(path)[{inner[0]!r}]), or save them "
                       "with save_weights(model, path)")
    expected = set(model.state_dict())
    if isinstance(state, dict) and state and expected and not set(state) & expected:
        prefixes = {name.split(".", 1)[0] + "." for name in expected if "." in name}
        if (prefix := next((p for p in sorted(prefixes)
                            if {p + key for key in state} <= expected), None)):
            raise RunError(f"{path} holds the weights of the model's {prefix[:-1]!r} part (saved "
                           f"from model.{prefix[:-1]}): load them into model.{prefix[:-1]}, or "
                           "save the whole model with save_weights(model, path)")
    try:
        model.load_state_dict(state)
    except Exception as err:  # a RuntimeError listing each mismatch, or a TypeError
        raise RunError(f"{path} does not fit {described} ({_first_detail(err)}); "
                       f"{advice}") from err
    broken = [name for name, value in state.items()
              if value.is_floating_point() and not torch.isfinite(value).all()]
    if broken:  # every answer would be class 0, an accuracy near 10 % that looks measured
        raise RunError(f"{path} holds weights that are not finite (NaN or infinite, in "
                       f"{broken[0]}): train the run again")


def _other_file(path):
    """What stands at `path` if it is a file that save_weights must not replace (anything but
    weights, or nothing); else None."""
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return None  # nothing, a folder (replacing names it), or an empty file
    except OSError:  # a name too long: replacing says so in one line
        return None
    if kind := _foreign_kind(path):
        return kind
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        return "a file torch cannot read"
    return None if _tensors_only(state) else "a torch file of other values"


def _foreign_kind(path):
    """'a JSON file', 'a PNG image', ... if `path` begins as one (not weights); else None."""
    head = _head(path)
    for magic, kind in ((b"\x89PNG", "a PNG image"), (b"\x93NUMPY", "a NumPy file (np.save)"),
                        (b"\xff\xd8\xff", "a JPEG image"), (b"%PDF", "a PDF file")):
        if head.startswith(magic):
            return kind
    if head.lstrip()[:1] in (b"{", b"["):
        return "a JSON file"
    if head.startswith(b"PK"):  # a zip, as torch's files are: what it holds tells them apart
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return None  # a damaged zip: torch's, cut short, as likely as any
        if names and all(name.endswith(".npy") for name in names):
            return "a NumPy archive (np.savez)"
        if not any(name.endswith("data.pkl") for name in names):
            return "a zip archive that torch did not write"
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "a text file" if text and text.isprintable() or text.isspace() else None


def _tensors_only(value):
    """True if `value` is a non-empty dict of tensors: a state dict inside another dict."""
    return (isinstance(value, dict) and bool(value)
            and all(isinstance(v, torch.Tensor) for v in value.values()))


def _first_detail(err):
    """The first line of an error that says something: torch's load_state_dict heads its list
    of mismatches with 'Error(s) in loading state_dict for ...:', which names none of them."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].startswith("Error(s) in loading"):
        return lines[1]
    return lines[0] if lines else type(err).__name__


def load_run(run_dir):
    """(config dict, metrics dict, model with the trained weights) of a run directory, as its
    files hold them (the commands read runs through read_run, which checks all of train's)."""
    run_dir, config, metrics = read_folder(run_dir)
    return config, metrics, load_model(run_dir, config)


def read_folder(run_dir):
    """(the folder as a Path, its config dict, its metrics as read); RunError if no folder."""
    if not isinstance(run_dir, (str, os.PathLike)):
        raise RunError(f"a run is named by its folder, e.g. 'runs/F-seed0', got "
                       f"{type(run_dir).__name__}")
    run_dir = expanded(run_dir, RunError)
    if run_dir.name.endswith(CHECKPOINT_SUFFIX):  # runs/E-seed* matches it too
        raise RunError(f"{run_dir} is an interrupted run's checkpoint, not a run: finish it "
                       "with train ... --resume, or name the run folders only (e.g. "
                       f"{run_dir.parent}/{run_dir.name.split('-seed')[0]}-seed*/, with the "
                       "final slash)")
    if not run_dir.exists():
        raise RunError(f"{run_dir} does not exist; pass folders written by `python -m "
                       "mnist_mlp train` (e.g. runs/F-seed0)")
    if not run_dir.is_dir():
        raise RunError(f"{run_dir} is not a run folder; pass folders written by "
                       "`python -m mnist_mlp train` (e.g. runs/F-seed0)")
    if not (run_dir / CONFIG).exists() and (inside := sorted(
            f.name for f in run_dir.iterdir() if (f / CONFIG).is_file())):
        raise RunError(f"{run_dir} holds run folders ({', '.join(inside[:3])}"
                       f"{', ...' if len(inside) > 3 else ''}): name them, e.g. "
                       f"{run_dir / inside[0]} or {run_dir}/*/")
    return run_dir, read_config(run_dir), read_json(run_dir / METRICS)


# Beside each run folder while it trains: its checkpoint and its lock.

def checkpoint_of(run_dir):
    """Where the run's training state is saved after each epoch until the run is written."""
    run_dir = Path(run_dir)
    return run_dir.with_name(run_dir.name + CHECKPOINT_SUFFIX)


def lock_of(run_dir):
    """The lock `train` holds beside the run folder while it trains it (hidden, so that
    `runs/F-seed*` names run folders and checkpoints only)."""
    run_dir = Path(run_dir)
    return run_dir.with_name(f".{run_dir.name}.lock")


@contextlib.contextmanager
def claim(run_dirs):
    """Hold each run folder's lock for the block: a second `train` into one of them stops in
    one line naming this process. The locks are the operating system's (flock), so they go with
    the process however it ends; their files are removed when the block ends."""
    with contextlib.ExitStack() as stack:
        for run_dir in run_dirs:
            stack.enter_context(_locked(Path(run_dir)))
        yield


@contextlib.contextmanager
def _locked(run_dir):
    path = lock_of(run_dir)
    if fcntl is None:
        yield
        return
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise RunError(f"cannot write {path} ({err.strerror or err}); choose a writable "
                           "--out") from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "not yet known"
            os.close(fd)
            raise RunError(f"{run_dir} is being trained by another process (pid {holder}, "
                           f"holding {path}): wait for it to finish, or choose another "
                           "--out") from None
        try:
            if os.path.samestat(os.stat(path), os.fstat(fd)):
                break  # the file we locked is the lock
        except FileNotFoundError:
            pass
        os.close(fd)  # its holder removed it as we opened it: lock the new one
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        path.unlink(missing_ok=True)  # before the lock goes, so no one locks a removed file
        os.close(fd)


def check_same_run(path, run):
    """RunError unless `path` holds a finished run of exactly `run` (what --resume keeps)."""
    try:
        finished = read_run(path, evaluation=False)
        if not (path / WEIGHTS).is_file() or not finished["history"]:
            raise RunError(f"{path} lacks its {WEIGHTS} or its epochs")
        found = finished["config"]
    except RunError as err:
        raise RunError(f"--resume: {path} is not a finished run ({err}); delete it, then "
                       f"--resume trains seed {run.seed} from its first epoch") from None
    if differ := run.contrast(found):
        raise RunError(f"--resume: {path} holds a run with other settings ({differ}"
                       "); choose another --out, or delete it and --resume again (--force "
                       "would retrain every seed named)")


def check_same_checkpoint(path, run):
    """RunError unless `path` is a checkpoint of exactly `run` (what --resume continues)."""
    start_over = f"delete it, then --resume trains seed {run.seed} from its first epoch"
    try:
        # a checkpoint older than a Config field had its default, as read_config reads runs
        found = Config.with_defaults(read_checkpoint(
            path, advice=start_over, other="move it away, or choose another --out")["settings"])
    except CheckpointError as err:
        raise RunError(f"--resume: {err}") from None
    if run.differences(found) == ["device"]:  # no flag of this machine's can continue it
        raise RunError(f"--resume: {path} is an interrupted run on {found['device']!r}, and "
                       f"this one trains on {run.device!r}: continue it where it trained "
                       f"(--device {found['device']}), choose another --out, or {start_over}")
    if differ := run.contrast(found):
        raise RunError(f"--resume: {path} is an interrupted run with other settings "
                       f"({differ}): train with its settings to continue it, choose "
                       f"another --out, or {start_over}")


def runs_to_train(dirs, runs, resume=False, force=False):
    """({seed: run folder} still to train, [run folders kept]) of `dirs` ({seed: run folder}),
    `runs` ({seed: Run}) saying what each is to hold. With `resume`, a finished run of the same
    Run is kept and a checkpoint of it is continued (anything else there is a RunError), also
    beside a finished run, which a --force retrain interrupted was to replace (a checkpoint of
    other settings there is left beside the run kept); without, a run or checkpoint already there
    is a RunError unless `force`."""
    todo, kept = dict(dirs), []
    for path in dirs.values():
        if path.is_symlink():  # a run is moved into place whole: onto a link it cannot be
            raise RunError(f"{path} is a link (to {os.readlink(path)}), not a run folder: "
                           "remove the link or choose another --out")
        if path.exists() and not path.is_dir():  # not a run: --force should not delete it
            raise RunError(f"{path} is a file, not a run folder: move it away or choose "
                           "another --out")
        if what := irregular(checkpoint_of(path)):
            raise RunError(f"{checkpoint_of(path)} is {what} where the checkpoint goes: move "
                           "it away or choose another --out")
    if resume:  # beside a run, a checkpoint is a --force retrain's, interrupted: go on
        for seed, path in dirs.items():
            if checkpoint_of(path).exists():
                try:
                    check_same_checkpoint(checkpoint_of(path), runs[seed])
                except RunError:  # that retrain abandoned: the run of these settings stays
                    if not path.exists():
                        raise
                    check_same_run(path, runs[seed])
                    kept.append(path)
                    del todo[seed]
            elif path.exists():
                check_same_run(path, runs[seed])
                kept.append(path)
                del todo[seed]
        check_only_run_files(todo.values())  # those left are replaced when trained
        return todo, kept
    check_only_run_files(todo.values())
    taken = [str(p) for path in todo.values() for p in (path, checkpoint_of(path)) if p.exists()]
    if not force and (other := next(filter(None, (_held_otherwise(path, runs[seed])
                                                  for seed, path in todo.items())), None)):
        # another variant of the preset (train C --hidden 16 beside C --hidden 8): the folder
        # is named by preset and seed only, so the two cannot share an --out
        raise RunError(f"{other}: to keep both, choose another --out (an --out holds one "
                       "recipe of each preset and seed); --force would delete it")
    if taken and not force:
        one = len(taken) == 1
        raise RunError(f"{', '.join(taken)} already exist{'s' if one else ''}: pass --force "
                       f"to replace {'it' if one else 'them'}, --resume to keep finished "
                       "runs and continue interrupted ones, or choose another --out")
    return todo, kept


def check_only_run_files(run_dirs):
    """RunError if a folder where a run goes holds anything that train and evaluate do not
    write: a run is replaced whole, and a student's notes or photos would go with it."""
    for path in run_dirs:
        if path.is_dir() and (others := sorted(
                p.name for p in path.iterdir() if p.name not in RUN_FILES | OS_FILES)):
            shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if others[3:] else "")
            raise RunError(f"{path} holds files that train did not write ({shown}): move them "
                           "out, or choose another --out (a run there is replaced whole)")


def _held_otherwise(path, run):
    """'PATH holds C with other settings (...)' if the run folder `path` holds a run of
    settings other than `run`'s; None if it holds `run`, nothing, or nothing readable."""
    if not path.is_dir():
        return None
    try:
        found = read_config(path)
    except RunError:
        return None
    if contrast := run.contrast(found):
        return f"{path} holds {found.get('preset', 'a run')} with other settings ({contrast})"
    return None


# The collector: runs read by read_run, with the command that trains them again.

def flag(name, value):
    """The `train` flag that sets Config field `name` to `value`."""
    option = flag_of(name)
    if isinstance(value, bool):
        return option if value else "--no-" + option[2:]
    if isinstance(value, (list, tuple)):
        return f"{option} {' '.join(map(str, value)) or NO_LAYERS}"
    return f"{option} {value}"


def train_command(runs):
    """The `train` command that retrains these runs, or None if they differ beyond the seed."""
    each = [Run.from_dict(r["config"]) for r in runs]
    if any(run.replace(seed=0) != each[0].replace(seed=0) for run in each):
        return None
    return " ".join(["python -m mnist_mlp train", *each[0].recipe_flags(),
                     "--seeds " + " ".join(str(run.seed) for run in each),
                     *each[0].split_flags()])


def collect(runs):
    """The collector's summary of runs read by read_run: {command, runs}, the runs sorted by
    preset and seed, each with the command that retrains it, and the command that retrains
    them all (None when they differ beyond the seed)."""
    runs = sorted(runs, key=lambda r: (r["preset"], r["seed"]))
    if not runs:
        raise ValueError("collect takes the runs read by read_run, got none")
    return {"command": train_command(runs),
            "runs": [{**run, "command": train_command([run])} for run in runs]}
