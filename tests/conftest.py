"""Shared fixtures: real MNIST, loaded once per session; tests that need it are left out, with
one line saying how to run them, where it is neither on disk nor reachable through a mirror."""
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

from mnist_mlp import MNIST, download  # noqa: E402

HERE = Path(__file__).resolve().parent
BROWSER = HERE / "browser"  # the drawing pad in Chromium: `make browser` names it, nothing else
MNIST_FIXTURES = {"data", "mirror_gz", "mirror_copy"}  # a test using one needs MNIST
LEFT_OUT = pytest.StashKey[tuple]()  # (how many needs_mnist tests were deselected, where from)


def pytest_ignore_collect(collection_path, config):
    """tests/browser is collected only when named (`make browser`), never by `pytest tests`."""
    if Path(collection_path) != BROWSER:
        return None
    named = [Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
             for arg in config.args]
    return not any(path == BROWSER or BROWSER in path.parents for path in named) or None


def mnist_missing():
    """The data folder that lacks MNIST, or None where the tests marked needs_mnist can run: its
    four files are there, or $MNIST_MLP_MIRROR says where to fetch them. Nothing is fetched."""
    if os.environ.get(download.MIRROR_ENV):
        return None
    raw = download.raw_folder(download.default_root())
    return None if all((raw / name).is_file() for name in download.FILES) else raw


def pytest_itemcollected(item):
    """A test that uses one of the MNIST fixtures is marked needs_mnist (before `-m` selects)."""
    if MNIST_FIXTURES & set(getattr(item, "fixturenames", ())):
        item.add_marker("needs_mnist")


@pytest.hookimpl(trylast=True)  # after `-m`: count only the tests this run would have run
def pytest_collection_modifyitems(config, items):
    """Where MNIST is missing, deselect the needs_mnist tests: one summary line, no download
    attempt and no timeout per test."""
    raw = mnist_missing()
    left_out = [item for item in items if item.get_closest_marker("needs_mnist")]
    if raw is None or not left_out:
        return
    config.hook.pytest_deselected(items=left_out)
    items[:] = [item for item in items if not item.get_closest_marker("needs_mnist")]
    config.stash[LEFT_OUT] = (len(left_out), raw)


def pytest_terminal_summary(terminalreporter, config):
    if LEFT_OUT in config.stash:
        count, raw = config.stash[LEFT_OUT]
        terminalreporter.write_line(
            f"{count} tests that need MNIST were deselected: it is not in {raw} and "
            f"{download.MIRROR_ENV} is unset; to run them, set {download.MIRROR_ENV} to a folder "
            f"with the four MNIST .gz files, or to {download.MIRRORS[0]} to download them",
            yellow=True)


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
    folder = os.environ.get(download.MIRROR_ENV)
    if folder and "://" not in folder and Path(folder).expanduser().is_dir():
        return Path(folder).expanduser()
    mirror = tmp_path_factory.mktemp("mirror")
    for name, blob in download.load_raw().items():  # verified against the published md5 sums
        # Level 1: the tests need valid gzip files, not small ones (level 9 takes ~20 s).
        (mirror / f"{name}.gz").write_bytes(gzip.compress(blob, compresslevel=1, mtime=0))
    return mirror


@pytest.fixture
def mirror_copy(tmp_path, mirror_gz):
    """A writable copy of the mirror, for tests that damage it."""
    copy = tmp_path / "mirror"
    shutil.copytree(mirror_gz, copy)
    return copy
