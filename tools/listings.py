"""The code listings the notebooks show: markdown cells that hold the source of one class,
method or function of the package, so a lesson shows its code without running machinery.

A listing cell is a markdown cell whose metadata names what it shows, e.g.
`{"listing": "mnist_mlp.model:MLP"}`; its text is that object's source in a python block.

    python -m tools.listings            # exit 1 and name each listing that no longer matches
    python -m tools.listings --write    # rewrite the listings from the package

The fast test `tests/test_listings.py` runs the check, so editing a listed method fails
`make unit` until the listing is rewritten; editing anything else never touches a notebook.
"""
import argparse
import importlib
import inspect
import sys
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solucoes").glob("*.ipynb"))  # the answer key, one per lesson
NOTEBOOKS = LESSONS + SOLUTIONS
KEY = "listing"


def key(path):
    """How tools/quotes.py and tools/budget.py name a notebook: the lesson's prefix ("01", "ap"),
    or "solucoes/" and it for the lesson's answer key."""
    path = Path(path)
    return ("solucoes/" if path.parent.name == "solucoes" else "") + path.name[:2]


def source_of(target):
    """The dedented source of `module:Qual.name`, e.g. 'mnist_mlp.data:MNIST.get_dataloader'."""
    module_name, _, qualname = target.partition(":")
    obj = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return textwrap.dedent(inspect.getsource(obj)).rstrip("\n")


def render(target):
    """The markdown text of a listing cell."""
    return f"```python\n{source_of(target)}\n```"


def listings(path):
    """(index, cell) of each listing cell of the notebook at `path`."""
    nb = nbformat.read(path, as_version=4)
    return nb, [(i, cell) for i, cell in enumerate(nb.cells)
                if cell.cell_type == "markdown" and KEY in cell.metadata]


def stale(paths=NOTEBOOKS):
    """'notebook cell N: target' for every listing that differs from the package's source."""
    found = []
    for path in paths:
        _, cells = listings(path)
        found += [f"{path.name} cell {i}: {cell.metadata[KEY]}" for i, cell in cells
                  if cell.source != render(cell.metadata[KEY])]
    return found


def write(paths=NOTEBOOKS):
    """Rewrite every listing from the package; return how many changed."""
    changed = 0
    for path in paths:
        nb, cells = listings(path)
        for _, cell in cells:
            text = render(cell.metadata[KEY])
            if cell.source != text:
                cell.source, changed = text, changed + 1
        if cells:
            nbformat.write(nb, path)
    return changed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the listings")
    args = parser.parse_args(argv)
    if args.write:
        print(f"{write()} listing(s) rewritten")
        return 0
    if differ := stale():
        print("listings that no longer match the package (python -m tools.listings --write):\n  "
              + "\n  ".join(differ), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
