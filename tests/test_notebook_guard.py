"""The notebooks' first code cell: silent where mnist_mlp imports, helpful where it does not."""
import importlib.util
import json
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from tools.repository import notebooks, set_repository

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def first_code_cell(path):
    cells = json.loads(path.read_text())["cells"]
    return "".join(next(c for c in cells if c["cell_type"] == "code")["source"])


def test_every_notebook_starts_with_the_same_guard():
    guards = {first_code_cell(path) for path in notebooks()}  # the lessons and the answer key
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


def test_on_colab_without_a_clone_or_an_address_it_says_what_to_set(run_guard):
    with pytest.raises(SystemExit, match="Ponha em REPOSITORIO"):
        run_guard(installed=False, colab=True)


def test_no_notebook_asks_the_student_to_edit_a_placeholder():
    assert "URL-DESTE" not in first_code_cell(NOTEBOOKS[0])


@pytest.fixture
def copy(tmp_path):
    """A copy of the notebooks, for set_repository to rewrite."""
    shutil.copytree(NOTEBOOKS[0].parent, tmp_path / "notebooks")
    return tmp_path


def test_on_colab_it_clones_the_address_the_teacher_set_once_then_installs(copy, monkeypatch):
    set_repository("https://github.com/professora/mnist-mlp", copy)
    cells = {first_code_cell(path) for path in notebooks(copy)}
    assert len(cells) == 1  # every notebook, at once
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: calls.append(args))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.chdir(copy / "notebooks")
    exec(cells.pop(), {})
    assert calls[0] == ["git", "clone", "-q", "https://github.com/professora/mnist-mlp",
                        "mnist-mlp"]
    assert calls[1][-1] == "mnist-mlp" and "d2l==1.0.3" in calls[1]


def test_a_bad_address_is_refused_and_no_notebook_changes(copy):
    before = {p.name: p.read_bytes() for p in notebooks(copy)}
    with pytest.raises(ValueError, match="not a git address"):
        set_repository("meu repositorio", copy)
    assert {p.name: p.read_bytes() for p in notebooks(copy)} == before
