"""Every number a Portuguese narrative prints goes through one helper."""
import ast
import json
import re
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from mnist_mlp.formatting import br, mean_std


@pytest.mark.parametrize("value, spec, text", [
    (0.98712, ".2%", "98,71%"),
    (0.98712, ".4f", "0,9871"),
    (12345.6, ",.1f", "12.345,6"),
    (60000, "d", "60000"),
])
def test_br_uses_the_decimal_comma(value, spec, text):
    assert br(value, spec) == text


def test_mean_std_is_sample_deviation():
    assert mean_std([0.9870, 0.9873, 0.9871]) == "0,9871 ± 0,0002"
    assert mean_std([0.5]) == "0,5000"
    assert mean_std([0.98, 0.99], ".2%") == "98,50% ± 0,71%"
    assert mean_std([1234.5, 1236.5], ",.1f", comma=False) == "1,235.5 ± 1.4"  # the CLI's point


NOTEBOOKS = [*sorted(Path(__file__).parents[1].glob("notebooks/*.ipynb")),
             *sorted(Path(__file__).parents[1].glob("solucoes/*.ipynb"))]
# A number with a decimal point (0.98, 12.5), but not a version (2.11.0), a name (d2l.ai) or a
# number with a thousands dot (60.000, 1.135).
DECIMAL_POINT = re.compile(r"(?<![\w.])(\d+)\.(\d+)(?![\w.])")
NUMBER_SPEC = re.compile(r"[eEfFgGn%]$|,")  # a decimal point, or a comma between thousands


def decimal_points(text):
    return [m.group(0) for m in DECIMAL_POINT.finditer(text)
            if not (re.fullmatch(r"[1-9]\d{0,2}", m.group(1)) and len(m.group(2)) == 3)]


def test_decimal_points_are_told_apart_from_thousands_and_versions():
    assert decimal_points("acurácia 0.9871 em 10.000 imagens; 12.5 s") == ["0.9871", "12.5"]
    assert decimal_points("torch 2.11.0, d2l.ai, 60.000 e 1.797 imagens, 0,9871") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_no_output_a_reader_sees_has_a_decimal_point(path):
    """What the notebooks print and display (not the source listings they show) uses br()."""
    found = []
    for index, cell in enumerate(json.loads(path.read_text())["cells"]):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            texts = [output["text"]] if output.get("name") == "stdout" else [
                data.get("text/markdown", ""),
                "" if "text/latex" in data else data.get("text/plain", "")]  # latex: Code()
            found += [(index, number) for text in texts for number in decimal_points(
                "".join(text))]
    assert not found, f"{path.name}: (cell, number) printed with a decimal point: {found}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_code_cells_format_numbers_only_through_br(path):
    """No f-string or format() call with a spec such as .2f, .1% or ,d: br() writes those."""
    found = []
    for index, cell in enumerate(json.loads(path.read_text())["cells"]):
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse(TransformerManager().transform_cell("".join(cell["source"])))
        for node in ast.walk(tree):
            if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
                spec = "".join(part.value for part in node.format_spec.values
                               if isinstance(part, ast.Constant))
            elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "format"
                  and len(node.args) == 2 and isinstance(node.args[1], ast.Constant)):
                spec = node.args[1].value
            else:
                continue
            if NUMBER_SPEC.search(spec):
                found.append((index, spec))
    assert not found, f"{path.name}: (cell, spec) formatted without br(): {found}"
