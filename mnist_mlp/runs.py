"""Run directories: what `python -m mnist_mlp train` writes and `evaluate`/`compare` read."""
import json
import os
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from .checks import ConfigError
from .config import Config
from .files import replacing, write_json

CONFIG, METRICS, WEIGHTS, CURVES = "config.json", "metrics.json", "model.pt", "curves.png"


class RunError(RuntimeError):
    """A run directory is missing, incomplete or corrupt, or cannot be written."""


def check_writable(folder):
    """Create `folder` if needed and prove a file can be written there, before any work."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise RunError(f"cannot write into {folder} ({err.strerror or err}); "
                       "choose a writable --out") from err


def write_run(path, config, metrics, model, curves, replace=False):
    """Write the run into a temporary folder beside `path`, then move it into place whole.

    An existing `path` is a RunError unless `replace`; then it is renamed aside until the new
    run is in place, so an interrupt at any moment leaves one complete run there.
    """
    path = Path(path)
    if path.exists() and not replace:
        raise RunError(f"{path} already holds a run: pass replace=True (--force on the "
                       "command line) to replace it, or write elsewhere")
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part"))
    old = tmp.with_suffix(".old")
    try:
        write_json(tmp / CONFIG, config)
        write_json(tmp / METRICS, metrics)
        save_weights(model, tmp / WEIGHTS)
        save_figure(curves, tmp / CURVES, dpi=120)
        if replace and path.exists():
            os.replace(path, old)
        os.replace(tmp, path)  # fails, deleting nothing, if a run appeared there meanwhile
    except BaseException:
        if old.exists() and not path.exists():
            os.replace(old, path)  # the earlier run goes back
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return path


def save_weights(model, path):
    """The model's weights (on the CPU) to `path`, written whole or not at all."""
    with replacing(path) as tmp:
        torch.save({k: v.cpu() for k, v in model.state_dict().items()}, tmp)
    return Path(path)


def save_figure(fig, path, dpi=110):
    """Save a figure (or a Drawing) under a temporary name, then rename, then close it:
    no half-written PNG is left, and pyplot keeps no figure behind."""
    figure = getattr(fig, "figure_", fig)
    try:
        with replacing(path) as tmp:
            figure.savefig(tmp, dpi=dpi, format="png")
    finally:
        plt.close(figure)
    return Path(path)


def read_json(path):
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise RunError(f"{path} is missing: is {Path(path).parent} a run directory written "
                       "by `python -m mnist_mlp train`?") from None
    except (OSError, ValueError) as err:
        raise RunError(f"{path} is not readable JSON ({err})") from err


def read_config(run_dir):
    """A run's config.json as a dict, with the defaults of any field newer than the run."""
    path = Path(run_dir) / CONFIG
    values = read_json(path)
    try:
        config = Config.from_dict(values)  # refuses a file that holds no JSON object
    except ConfigError as err:
        raise RunError(f"{path} describes no valid model: {err}") from err
    return {**values, **config.to_dict()}


def load_run(run_dir):
    """(config dict, metrics dict, model with the trained weights) of a run directory."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"{run_dir} is not a directory; pass a folder written by "
                       "`python -m mnist_mlp train`")
    config = read_config(run_dir)
    metrics = read_json(run_dir / METRICS)
    model = Config.from_dict(config).model()
    try:
        state = torch.load(run_dir / WEIGHTS, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except FileNotFoundError:
        raise RunError(f"{run_dir / WEIGHTS} is missing: the run has no weights") from None
    except Exception as err:  # torch raises several types for truncated or foreign files
        raise RunError(f"{run_dir / WEIGHTS} is corrupt or does not fit the model in "
                       f"{CONFIG} ({type(err).__name__}: {str(err).splitlines()[0]})") from err
    model.eval()
    return config, metrics, model
