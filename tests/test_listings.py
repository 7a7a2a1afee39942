"""The notebooks' code listings against the package, and the lessons' form, without a kernel."""
import re
from pathlib import Path

import nbformat
import pytest

from tools.listings import KEY, LESSONS, NOTEBOOKS, render, stale

NUMBERED = [path for path in LESSONS if path.name[:2].isdigit()]


def markdown_words(nb, listings=True):
    cells = [c for c in nb.cells
             if c.cell_type == "markdown" and (listings or KEY not in c.metadata)]
    return sum(len(re.findall(r"\S+", c.source)) for c in cells)


def test_every_listing_shows_the_packages_code_as_it_is():
    assert stale() == [], "run `python -m tools.listings --write` and commit the notebooks"


def test_a_changed_listing_is_found(tmp_path):
    nb = nbformat.v4.new_notebook()
    listing = nbformat.v4.new_markdown_cell(render("mnist_mlp.model:MLP"))
    listing.metadata[KEY] = "mnist_mlp.model:MLP"
    nb.cells = [listing]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    assert stale([path]) == []
    listing.source = listing.source.replace("hidden_sizes", "larguras")
    nbformat.write(nb, path)
    assert stale([path]) == ["n.ipynb cell 0: mnist_mlp.model:MLP"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_code_cell_writes_prose(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert "Markdown(" not in cell.source, f"{path.name} cell {i} builds markdown"


@pytest.mark.parametrize("path", NUMBERED, ids=lambda p: p.stem)
def test_each_lesson_ends_with_summary_exercises_and_references(path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                     if c.cell_type == "markdown")
    positions = [text.find(f"## {title}") for title in ("Resumo", "Exercícios", "Referências")]
    assert -1 not in positions and positions == sorted(positions)
    summary = text[positions[0]:positions[1]]
    assert 3 <= summary.count("\n* ") <= 6 and len(re.findall(r"\S+", summary)) <= 200


def test_notebook_1_keeps_the_originals_length():
    nb = nbformat.read(Path(LESSONS[0]), as_version=4)
    assert LESSONS[0].name.startswith("01_")
    assert markdown_words(nb, listings=True) <= 3000
