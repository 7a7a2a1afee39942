"""Copy notebook 1's figure of model E's errors, as the executed notebook shows it, to docs/.

The README shows it. Taken from the cell's output (drawn with its title whole, as a reader
sees it in the notebook), so no lesson cell writes files for the repository's documentation.
`make run` calls this after executing the notebooks in place.
"""
import base64
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_mlp_mnist.ipynb"
FIGURE = ROOT / "docs" / "erros_E.png"
CELL_START = "erros = visualize_errors(model_e"


def figure_png(notebook=NOTEBOOK):
    """The PNG bytes of the errors figure in the executed notebook."""
    nb = nbformat.read(notebook, 4)
    cell = next((c for c in nb.cells if c.cell_type == "code"
                 and c.source.startswith(CELL_START)), None)
    if cell is None:
        raise ValueError(f"{notebook.name}: no cell starts with {CELL_START!r}")
    images = [o["data"]["image/png"] for o in cell.get("outputs", [])
              if "image/png" in o.get("data", {})]
    if len(images) != 1:
        raise ValueError(f"{notebook.name}: the errors cell has {len(images)} images, not 1; "
                         "execute the notebook first (make run)")
    return base64.b64decode(images[0])


def main():
    try:
        png = figure_png()
    except ValueError as error:
        sys.exit(f"error: {error}")
    FIGURE.write_bytes(png)
    print(f"{FIGURE.relative_to(ROOT)}: {len(png):,} bytes from {NOTEBOOK.name}")


if __name__ == "__main__":
    main()
