"""d2l's rhythm, measured: paragraph length, prose between executed cells, code-cell length.

    python -m tools.rhythm            # one line per notebook

Listings (markdown cells that show the package's code) and the setup, Verificação and closing
sections (Resumo, Exercícios, Referências) are left out: they are not the lesson's running prose.
Issue 37 compares these with d2l's own sections (paragraph median 29-43 words, 43-65 words between
executed cells, code cells of 3-10 lines); the lessons aim at <= 60, <= 120 and <= 10.
"""
import re
import statistics
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CLOSING = re.compile(r"^## (Resumo|Exercícios|Referências)", re.MULTILINE)


def lesson_cells(path):
    """The lesson's cells: after the two setup cells, before the closing sections."""
    cells = nbformat.read(path, as_version=4).cells
    out = []
    for cell in cells[2:]:
        if cell.cell_type == "markdown" and cell.source.startswith("**Verificação"):
            break
        if cell.cell_type == "markdown" and (match := CLOSING.search(cell.source)):
            out.append(nbformat.v4.new_markdown_cell(cell.source[:match.start()]))
            break
        out.append(cell)
    return out


def measure(path):
    paragraphs, between, lines, words = [], [], [], 0
    for cell in lesson_cells(path):
        if cell.cell_type == "code":
            lines.append(len(cell.source.strip().splitlines()))
            between.append(words)
            words = 0
        elif "listing" not in cell.metadata:
            prose = re.sub(r"\$\$.*?\$\$", " ", cell.source, flags=re.S)  # display math
            for block in re.split(r"\n\s*\n", prose):
                if block.strip().startswith(("#", "|", "```")):
                    continue
                n = len(block.split())
                if n:
                    paragraphs.append(n)
                    words += n
    between.append(words)
    return {"paragraph median": statistics.median(paragraphs),
            "paragraphs over 100": sum(n > 100 for n in paragraphs),
            "words between executed cells, median": statistics.median(between),
            "max": max(between),
            "code lines median": statistics.median(lines), "code cells over 10": sum(
                n > 10 for n in lines)}


def main():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        m = measure(path)
        print(f"{path.stem[:24]:24} " + ", ".join(f"{k} {v:g}" for k, v in m.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
