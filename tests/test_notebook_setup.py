"""The notebooks' setup call: the seed, epochs and schedule from the environment, the folders."""
import pytest

from mnist_mlp.notebook import start


def make_checkout(folder):
    """`folder` laid out as a checkout of mnist-mlp; returns it."""
    for name in ("mnist_mlp", "results", "notebooks"):
        (folder / name).mkdir(parents=True)
    (folder / "mnist_mlp" / "__init__.py").touch()
    return folder


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A checkout's layout (mnist_mlp/, results/ and notebooks/), the notebook running in
    notebooks/."""
    make_checkout(tmp_path)
    for name in ("MNIST_MLP_SEED", "MNIST_MLP_EPOCHS", "MNIST_MLP_SCHEDULE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_by_default_seed_0_ten_epochs_outputs_in_build(checkout):
    run = start(checkout / "notebooks")
    assert (run.seed, run.epochs, run.short, run.complete) == (0, 10, False, True)
    assert run.out == checkout / "build" and (run.out / "figures").is_dir()
    assert run.results == checkout / "results"


@pytest.mark.parametrize("env, out, complete", [
    ({"MNIST_MLP_SEED": "2"}, "build/semente-2", True),
    ({"MNIST_MLP_SCHEDULE": "short"}, "build/smoke", False),
    ({"MNIST_MLP_EPOCHS": "1", "MNIST_MLP_SEED": "1"}, "build/smoke/semente-1", False),
])
def test_other_seeds_and_short_runs_never_write_over_the_full_results(checkout, monkeypatch,
                                                                      env, out, complete):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    run = start(checkout / "notebooks")
    assert run.out == checkout / out and run.complete is complete


@pytest.mark.parametrize("name, value", [("MNIST_MLP_SEED", "-1"), ("MNIST_MLP_SEED", "um"),
                                         ("MNIST_MLP_EPOCHS", "0"),
                                         ("MNIST_MLP_EPOCHS", "100000")])  # days: a typo
def test_a_bad_environment_value_is_one_clear_error(checkout, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=f"{name} must be a (whole number|positive integer)"):
        start(checkout / "notebooks")


def test_a_misspelt_schedule_is_refused_not_run_in_full(checkout, monkeypatch):
    monkeypatch.setenv("MNIST_MLP_SCHEDULE", "shrot")
    with pytest.raises(ValueError, match="MNIST_MLP_SCHEDULE must be 'full' or 'short'"):
        start(checkout / "notebooks")


def test_outside_a_checkout_start_says_so_and_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_MLP_SCHEDULE", raising=False)
    with pytest.raises(FileNotFoundError, match="no checkout of mnist-mlp"):
        start(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_clone_beside_the_notebook_is_found_as_on_colab(tmp_path, monkeypatch):
    # Colab: the notebook runs in /content, the clone is /content/mnist-mlp.
    monkeypatch.delenv("MNIST_MLP_SCHEDULE", raising=False)
    clone = make_checkout(tmp_path / "content" / "mnist-mlp")
    assert start(tmp_path / "content").results == clone / "results"


def test_another_project_with_results_and_notebooks_is_not_taken_for_the_checkout(tmp_path,
                                                                                  monkeypatch):
    # /content/aaa-curso/{results,notebooks} beside the clone: start() took it (first
    # alphabetically) and made build/figures there, reading another project's results/
    monkeypatch.delenv("MNIST_MLP_SCHEDULE", raising=False)
    content = tmp_path / "content"
    for folder in ("results", "notebooks"):
        (content / "aaa-curso" / folder).mkdir(parents=True)
    clone = make_checkout(content / "mnist-mlp")
    assert start(content).results == clone / "results"
    assert sorted(p.name for p in (content / "aaa-curso").iterdir()) == ["notebooks", "results"]
    make_checkout(content / "mnist-mlp-2")
    with pytest.raises(ValueError, match=r"holds 2 checkouts of mnist-mlp \(mnist-mlp, "
                                         r"mnist-mlp-2\): keep one there"):
        start(content)
