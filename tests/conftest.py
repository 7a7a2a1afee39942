"""Shared fixtures: real MNIST, loaded once per session."""
import os
import shutil
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
# Kernels started by the tests (nbval, nbclient) draw inline as a reader's Jupyter does; an
# inherited MPLBACKEND=Agg would stop ipykernel from choosing its inline backend.
os.environ.pop("MPLBACKEND", None)

from mnist_mlp import MNIST  # noqa: E402
from mnist_mlp.download import MIRROR_ENV  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    """The drawing helpers draw on pyplot's figures: close them after each test."""
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


@pytest.fixture(scope="session")
def data():
    """The real dataset at batch size 64, fetched on first use (see README, Data)."""
    return MNIST(batch_size=64)


@pytest.fixture(scope="session")
def mirror_gz():
    """A folder with the four original .gz files: $MNIST_MLP_MIRROR, which CI sets."""
    folder = os.environ.get(MIRROR_ENV)
    if not folder or "://" in folder:
        pytest.fail(f"these tests need {MIRROR_ENV} set to a folder holding the four MNIST "
                    ".gz files (`make test` uses ../shared/data/mnist when it exists)")
    return Path(folder)


@pytest.fixture
def mirror_copy(tmp_path, mirror_gz):
    """A writable copy of the mirror, for tests that damage it."""
    copy = tmp_path / "mirror"
    shutil.copytree(mirror_gz, copy)
    return copy
