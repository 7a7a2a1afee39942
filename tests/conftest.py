"""Shared fixtures: real MNIST, loaded once per session."""
import gzip
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
from mnist_mlp.download import MIRROR_ENV, load_raw  # noqa: E402


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
def mirror_gz(tmp_path_factory):
    """A folder with the four MNIST .gz files: $MNIST_MLP_MIRROR where it names a folder,
    else one built for this session from the data the package already has (fetched if needed)."""
    folder = os.environ.get(MIRROR_ENV)
    if folder and "://" not in folder and Path(folder).expanduser().is_dir():
        return Path(folder).expanduser()
    mirror = tmp_path_factory.mktemp("mirror")
    for name, blob in load_raw().items():  # verified against the published md5 sums
        # Level 1: the tests need valid gzip files, not small ones (level 9 takes ~20 s).
        (mirror / f"{name}.gz").write_bytes(gzip.compress(blob, compresslevel=1, mtime=0))
    return mirror


@pytest.fixture
def mirror_copy(tmp_path, mirror_gz):
    """A writable copy of the mirror, for tests that damage it."""
    copy = tmp_path / "mirror"
    shutil.copytree(mirror_gz, copy)
    return copy
