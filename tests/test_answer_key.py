"""The answer key (solucoes/) against the lessons: one notebook per lesson, every exercise quoted
as the lesson words it and in its order, and no lesson pointing to the key."""
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest

from tools.listings import LESSONS, SOLUTIONS

ROOT = Path(__file__).resolve().parents[1]
# The teachers' copy (make aulas) has no solucoes/: nothing to check there.
pytestmark = pytest.mark.skipif(not SOLUTIONS, reason="no answer key in this copy (make aulas)")


def key_of(lesson):
    """solucoes/01_solucoes.ipynb for notebooks/01_mlp_mnist.ipynb, apendice_solucoes for the
    appendix."""
    prefix = lesson.name.split("_")[0]
    return ROOT / "solucoes" / f"{prefix}_solucoes.ipynb"


def markdown(path):
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]


def exercises(lesson):
    """The lesson's exercises, in order, each one's text with spaces normalised."""
    text = "\n".join(markdown(lesson))
    section = text.split("## Exercícios", 1)[1].split("\n## ", 1)[0]
    items = re.split(r"^\d+\. ", section.strip(), flags=re.MULTILINE)
    return [" ".join(item.split()) for item in items if item.strip()]


def quoted(key):
    """{N: the blockquote under '## Exercício N'} of an answer-key notebook."""
    found = {}
    for source in markdown(key):
        heading = re.match(r"## Exercício (\d+)\n", source)
        if heading:
            lines = [line[1:].strip() for line in source.splitlines() if line.startswith(">")]
            found[int(heading.group(1))] = " ".join(" ".join(lines).split())
    return found


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_exercise_is_quoted_and_answered_in_order(lesson):
    key = key_of(lesson)
    assert key.is_file(), f"{lesson.name} has no answer key {key.relative_to(ROOT)}"
    asked = exercises(lesson)
    answered = quoted(key)
    assert list(answered) == list(range(1, len(asked) + 1)), f"{key.name}: exercises missing"
    for number, text in enumerate(asked, 1):
        assert answered[number] == text, f"{key.name}, exercise {number}: not the lesson's words"
    cells = nbformat.read(key, as_version=4).cells
    headings = [i for i, c in enumerate(cells)
                if c.cell_type == "markdown" and c.source.startswith("## Exercício ")]
    for start, end in zip(headings, [*headings[1:], len(cells)]):
        # the quote alone is no answer: prose or code follows it
        own = [line for line in cells[start].source.splitlines()[1:] if not line.startswith(">")]
        answer = own + [c.source for c in cells[start + 1:end]]
        assert any(part.strip() for part in answer), f"{key.name}: cell {start} has no answer"


def test_every_answer_key_answers_a_lesson():
    assert sorted(SOLUTIONS) == sorted(key_of(lesson) for lesson in LESSONS)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_no_lesson_points_to_the_answer_key(lesson):
    # A teacher hands the lessons out without the key (make aulas): no link to leave dangling.
    assert not any("solucoes" in text or "Soluções" in text for text in markdown(lesson))


def test_the_exercises_are_read_as_the_lesson_numbers_them(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(
        "## Exercícios\n\n1. Treine A\n   com 0,5.\n2. Mostre que\n   $x = 1$.\n\n## Referências\n"
        "\n* Um livro.")]
    path = tmp_path / "01_x.ipynb"
    nbformat.write(nb, path)
    assert exercises(path) == ["Treine A com 0,5.", "Mostre que $x = 1$."]


def test_make_aulas_packs_the_last_commit_without_the_key(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for name in ("notebooks/01_aula.ipynb", "solucoes/01_solucoes.ipynb", "README.md"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("{}")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "x"]):
        subprocess.run(git + command, cwd=tmp_path, check=True)
    subprocess.run(["make", "-s", "aulas"], cwd=tmp_path, check=True, capture_output=True)
    names = zipfile.ZipFile(tmp_path / "build" / "aulas.zip").namelist()
    assert "mnist-mlp/notebooks/01_aula.ipynb" in names and "mnist-mlp/README.md" in names
    assert not [n for n in names if "solucoes" in n]
