"""The notebooks' first code cell: silent where mnist_mlp imports, helpful where it does not."""
import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def first_code_cell(path):
    cells = json.loads(path.read_text())["cells"]
    return "".join(next(c for c in cells if c["cell_type"] == "code")["source"])


def test_every_notebook_starts_with_the_same_guard():
    guards = {first_code_cell(path) for path in NOTEBOOKS}
    assert len(NOTEBOOKS) >= 4 and len(guards) == 1
    assert "find_spec(\"mnist_mlp\")" in guards.pop()


@pytest.fixture
def run_guard(monkeypatch, tmp_path):
    """Execute the guard in tmp_path with the package 'missing' or not, on 'Colab' or not."""
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: calls.append(args))
    monkeypatch.chdir(tmp_path)

    def run(installed, colab):
        real = importlib.util.find_spec
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a: (real(name, *a) if name != "mnist_mlp" or installed
                                              else None))
        if colab:
            monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
        exec(first_code_cell(NOTEBOOKS[0]), {})
        return calls
    return run


def test_nothing_installs_where_the_package_imports(run_guard):
    assert run_guard(installed=True, colab=True) == []


def test_elsewhere_it_stops_with_what_to_run(run_guard):
    with pytest.raises(SystemExit, match="pip install --no-deps d2l==1.0.3"):
        run_guard(installed=False, colab=False)


def test_on_colab_it_installs_a_clone_found_next_to_the_notebook(run_guard, tmp_path):
    clone = tmp_path / "mnist-mlp"
    (clone / "mnist_mlp").mkdir(parents=True)
    (clone / "mnist_mlp" / "__init__.py").write_text("")
    calls = run_guard(installed=False, colab=True)
    assert calls == [[sys.executable, "-m", "pip", "install", "-q", "--no-deps", "d2l==1.0.3",
                      str(clone)]]


def test_on_colab_without_a_clone_it_says_to_clone(run_guard):
    with pytest.raises(SystemExit, match="git clone"):
        run_guard(installed=False, colab=True)
