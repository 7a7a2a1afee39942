"""What the notebooks' setup cell does, behind one call: the CPU setting that keeps training
fast, the seed and schedule the environment asks for, and where outputs and results live.

The environment variables are the maintainers' (`make run`, `make test`, `make smoke`):

* `MNIST_MLP_SEED=N` (default 0): the notebooks' seed; outputs then go to `build/semente-N/`;
* `MNIST_MLP_EPOCHS=K`: notebook 1's epochs per model (default 10, the original's; at most 200);
* `MNIST_MLP_SCHEDULE=short`: notebooks 2 and 3 with one seed and a few epochs, outputs in
  `build/smoke/`, their claims not checked (a short schedule only exercises the code).
"""
import os
from dataclasses import dataclass
from pathlib import Path

from .checks import Interval
from .cpu import flush_denormals
from .files import expanded

SEED_ENV, EPOCHS_ENV, SCHEDULE_ENV = "MNIST_MLP_SEED", "MNIST_MLP_EPOCHS", "MNIST_MLP_SCHEDULE"
EPOCHS = 10  # the original's, for each of notebook 1's models
MOST_EPOCHS = 200  # a larger MNIST_MLP_EPOCHS is a typo: notebook 1 would train for days
NOTEBOOK2_EPOCHS = {"E": 10, "F": 20}  # notebook 2's training of the models notebooks 3, 4 read


@dataclass(frozen=True)
class NotebookRun:
    """The settings of one execution of a notebook."""

    seed: int  # the notebooks' seed (notebook 2 trains seeds 3N, 3N + 1, 3N + 2)
    epochs: int  # notebook 1's epochs per model
    short: bool  # the short schedule: code exercised, claims not checked
    out: Path  # build/ (or build/smoke/), then semente-N/ for a seed N other than 0
    results: Path  # the repository's results/: the committed measurements the text reads

    @property
    def complete(self):
        """True on the full schedule, where the notebooks check what their text claims."""
        return not self.short and self.epochs == EPOCHS

    @property
    def models_seed(self):
        """The seed of notebook 2's first networks, which notebooks 3 and 4 read."""
        return 3 * self.seed

    def notebook2_model(self, name):
        """O modelo `name` (E ou F) da primeira semente do segundo caderno, em modo de avaliação:
        os pesos que ele gravou em out/modelos/ ou, sem eles (no Colab), treinado aqui pela
        mesma receita (E nas 50.000 imagens por 10 épocas, F nas 60.000 por 20)."""
        from .data import MNIST  # the training stack, only when a notebook asks for a model
        from .experiment import fit, set_seed
        from .presets import PRESETS
        from .runs import load_weights

        if not isinstance(name, str) or name not in NOTEBOOK2_EPOCHS:
            raise ValueError(f"notebook 2 trains E and F, not {name!r}")
        config = PRESETS[name]
        set_seed(self.models_seed)
        model = config.model()
        path = self.out / "modelos" / f"{name}-seed{self.models_seed}.pt"
        if path.is_file():
            load_weights(model, path, f"notebook 2's {name}",
                         "delete it and run notebook 2 again (or this cell, to train it here)")
            print(f"modelo {name}: lido de modelos/{path.name}, gravado pelo segundo caderno")
        else:
            data = (MNIST(batch_size=config.batch_size, val_split=10_000) if name == "E" else
                    MNIST(batch_size=config.batch_size, validate=False))
            epochs = 2 if self.short else NOTEBOOK2_EPOCHS[name]
            fit(model, data, max_epochs=epochs)
            print(f"modelo {name}: treinado aqui, {epochs} épocas")
        return model.eval()


def start(cwd=None):
    """Flush subnormal floats to zero (Adam's averages for pixels almost never lit decay into
    them, and CPUs compute slowly with them; the kernel's own floats too: cpu.flush_denormals)
    and return the run's settings."""
    flush_denormals()
    seed = _whole(SEED_ENV, 0, most=(2**32 - 3) // 3)  # notebook 2 trains 3N, 3N + 1, 3N + 2
    epochs = _whole(EPOCHS_ENV, EPOCHS, least=1, most=MOST_EPOCHS)
    schedule = os.environ.get(SCHEDULE_ENV, "").strip().lower() or "full"  # "SHORT" too
    if schedule not in ("full", "short"):
        raise ValueError(f"{SCHEDULE_ENV} must be 'full' or 'short', got {schedule!r}")
    short = schedule == "short"
    if cwd is not None and not isinstance(cwd, (str, os.PathLike)):
        raise ValueError(f"start takes the notebook's folder (a path), got {type(cwd).__name__}")
    cwd = expanded(cwd) if cwd else Path.cwd()
    root = repository(cwd)
    if root is None:
        raise FileNotFoundError(
            f"no checkout of mnist-mlp (a folder with mnist_mlp/, results/ and notebooks/) in "
            f"{cwd} or above it: open the notebook from its clone, e.g. mnist-mlp/notebooks/")
    out = root / "build" / ("smoke" if short or epochs != EPOCHS else "")
    out = out / f"semente-{seed}" if seed else out
    (out / "figures").mkdir(parents=True, exist_ok=True)
    return NotebookRun(seed, epochs, short, out, root / "results")


def repository(cwd):
    """The checkout the notebook runs in: `cwd` or the first of its parents that is one, else
    the one subfolder that is (a clone beside the notebook, as on Colab); None if none. A
    checkout holds mnist_mlp/, results/ and notebooks/ (results/ and notebooks/ alone are many
    projects' layout); several clones beside the notebook are a ValueError naming them."""
    for folder in (cwd, *cwd.parents):
        if is_checkout(folder):
            return folder
    clones = [folder for folder in sorted(cwd.glob("*/")) if is_checkout(folder)]
    if len(clones) > 1:
        raise ValueError(f"{cwd} holds {len(clones)} checkouts of mnist-mlp ("
                         f"{', '.join(folder.name for folder in clones)}): keep one there (move "
                         "the others away), or open the notebook from inside one's notebooks/")
    return clones[0] if clones else None


def is_checkout(folder):
    """True if `folder` is a checkout of mnist-mlp: mnist_mlp/, results/ and notebooks/."""
    return ((folder / "mnist_mlp" / "__init__.py").is_file()
            and (folder / "results").is_dir() and (folder / "notebooks").is_dir())


def _whole(name, default, least=0, most=None):
    """The environment variable `name` as a whole number from `least` to `most` (`default` if
    unset)."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return Interval(whole=True, low=least, high=most).parse(text)
    except ValueError as err:
        raise ValueError(f"{name} {err}") from None
