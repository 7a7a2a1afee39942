"""Write the repository's git address into every notebook's first cell (REPOSITORIO = "...").

A teacher who forks the project runs this once (`make repositorio URL=...`) and commits: in
Colab, where a notebook opened from GitHub has no clone beside it, the first cell clones
REPOSITORIO and installs the package from it.
"""
import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_FOLDERS = ("notebooks", "solucoes")
LINE = re.compile(r'^REPOSITORIO = ".*"', re.MULTILINE)
ADDRESS = re.compile(r"^(https://|git@|ssh://|file://|/)\S+$")


def notebooks(root=ROOT):
    """Every lesson and answer-key notebook under root."""
    return sorted(p for folder in NOTEBOOK_FOLDERS for p in (root / folder).glob("*.ipynb"))


def set_repository(url, root=ROOT):
    """Rewrite the REPOSITORIO line of each notebook's first code cell; return the files."""
    if url and not ADDRESS.match(url):
        raise ValueError(f"{url!r} is not a git address: give e.g. "
                         "https://github.com/you/mnist-mlp")
    changed = []
    for path in notebooks(root):
        nb = nbformat.read(path, 4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        if not LINE.search(first.source):
            raise ValueError(f"{path.name}: its first code cell has no REPOSITORIO line")
        new = LINE.sub(f'REPOSITORIO = "{url}"', first.source, count=1)
        if new != first.source:
            first.source = new
            nbformat.write(nb, path)
            changed.append(path)
    return changed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help='the git address to clone, e.g. '
                        'https://github.com/you/mnist-mlp ("" to clear it)')
    args = parser.parse_args(argv)
    try:
        changed = set_repository(args.url)
    except ValueError as error:
        sys.exit(f"error: {error}")
    print(f"{len(changed)} notebooks now clone {args.url or '(nothing)'}")


if __name__ == "__main__":
    main()
