"""The drawing helpers behave like the original's pyplot calls: shown once, saved by pyplot."""
import subprocess
import sys
import textwrap

import matplotlib.image
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
import torch
from nbclient import NotebookClient

from mnist_mlp import MLP, show_confusion_matrix, visualize_errors
from mnist_mlp.formatting import MINUS
from mnist_mlp.plots import Drawing, image_grid, plot_confusion_matrix

SETUP = """
import torch
from mnist_mlp import MLP, MNIST, show_confusion_matrix, visualize_errors
torch.manual_seed(0)
data = MNIST(batch_size=256)
model = MLP(10, [16], 0.1)  # untrained: plenty of errors to show
"""
CELLS = {
    "errors mid-cell": "visualize_errors(model, data, 10)\nx = 1",
    "errors last line": "visualize_errors(model, data, 10)",
    "matrix mid-cell": "cm = show_confusion_matrix(model, data)\nx = 1",
    "matrix last line": "show_confusion_matrix(model, data)",
}


@pytest.fixture(scope="module")
def executed():
    """A new notebook with the original's helper calls, run in a real kernel."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SETUP)] + [
        nbformat.v4.new_code_cell(code) for code in CELLS.values()]
    NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    return dict(zip(CELLS, nb.cells[1:]))


@pytest.mark.slow
@pytest.mark.needs_mnist  # MNIST(batch_size=256) in a kernel or a script
@pytest.mark.parametrize("case", CELLS)
def test_each_call_shows_its_figure_exactly_once_in_a_notebook(executed, case):
    outputs = executed[case].outputs
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 1, [o.get("data", {}).keys() for o in outputs]


@pytest.mark.slow
@pytest.mark.needs_mnist  # MNIST(batch_size=256) in a kernel or a script
def test_last_line_values_are_text_not_a_second_picture(executed):
    value = [o for o in executed["errors last line"].outputs if o.output_type == "execute_result"]
    assert value and "Drawing: 10 axes" in value[0]["data"]["text/plain"]
    matrix = [o for o in executed["matrix last line"].outputs
              if o.output_type == "execute_result"]
    assert matrix and matrix[0]["data"]["text/plain"].startswith("array([[")


@pytest.mark.slow
@pytest.mark.needs_mnist  # MNIST(batch_size=256) in a kernel or a script
def test_script_under_agg_saves_the_drawing_with_plt_savefig(tmp_path):
    script = textwrap.dedent(f"""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        {SETUP.strip().replace(chr(10), chr(10) + '        ')}
        visualize_errors(model, data, 10)
        plt.savefig({str(tmp_path / 'erros.png')!r})
        plt.figure()
        show_confusion_matrix(model, data)
        plt.savefig({str(tmp_path / 'matriz.png')!r})
        print(len(plt.get_fignums()))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["2"]
    for name in ("erros.png", "matriz.png"):
        pixels = matplotlib.image.imread(tmp_path / name)
        assert pixels.std() > 0.05, f"{name} is blank"


@pytest.mark.slow  # the confusion matrix of the 10,000 test images
def test_helpers_draw_on_the_axes_they_are_given(data):
    torch.manual_seed(0)
    model = MLP(10, [16], 0.1)
    fig, axes = plt.subplots(2, 5)
    drawing = visualize_errors(model, data, 10, axes=axes)
    assert drawing.figure_ is fig and all(ax.get_title() for ax in axes.ravel())
    fig2, ax = plt.subplots()
    cm = show_confusion_matrix(model, data, ax=ax)
    assert ax.get_title() == "Matriz de Confusão" and cm.sum() == 10000
    assert len(plt.get_fignums()) == 2  # nothing drawn elsewhere
    with pytest.raises(ValueError, match="axes holds 10 axes but 20 images"):
        visualize_errors(model, data, 20, axes=axes)
    plt.close("all")


def test_an_empty_current_figure_is_used_a_busy_one_is_not():
    plt.close("all")
    fig = plt.figure(figsize=(4, 3))
    drawing = plot_confusion_matrix(np.eye(10, dtype=int))
    assert drawing.figure_ is fig and tuple(fig.get_size_inches()) == (4, 3)
    again = plot_confusion_matrix(np.eye(10, dtype=int))
    assert again.figure_ is not fig and isinstance(again, Drawing)
    grid = image_grid([np.zeros((28, 28))] * 3, titles=["a", "b", "c"])
    assert [ax.get_title() for ax in grid.axes_] == ["a", "b", "c"]
    plt.close("all")


def test_errors_only_leaves_the_diagonal_blank():
    cm = np.array([[50, 2], [7, 41]])
    drawing = plot_confusion_matrix(cm, errors_only=True)
    texts = sorted(t.get_text() for t in drawing.axes_.texts)
    assert texts == ["2", "7"] and drawing.axes_.get_title() == "Erros (fora da diagonal)"
    np.testing.assert_array_equal(drawing.data, cm)


def test_weight_grids_share_one_symmetric_scale_with_a_colour_bar_in_portuguese():
    images = [np.full((28, 28), 0.1), np.full((28, 28), -0.4)]
    drawing = image_grid(images, cmap="RdBu_r", colorbar="peso")
    limits = {ax.get_images()[0].get_clim() for ax in drawing.axes_}
    assert limits == {(-0.4, 0.4)}
    [bar] = [ax for ax in drawing.figure_.axes if ax not in drawing.axes_]
    assert bar.get_ylabel() == "peso"
    drawing.figure_.canvas.draw()
    labels = [t.get_text() for t in bar.get_yticklabels() if t.get_text()]
    assert any(label.startswith(f"{MINUS}0,") for label in labels), labels  # −0,4, not -0.4
    assert len({len(label.split(",")[-1]) for label in labels}) == 1, labels  # one precision
