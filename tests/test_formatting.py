"""Every number a Portuguese narrative prints goes through one helper."""
import json
from pathlib import Path

import pytest

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


def test_no_narrative_formats_a_percentage_with_a_decimal_point():
    """Code cells of the notebooks format numbers for text only through br()."""
    for path in sorted(Path(__file__).parents[1].glob("notebooks/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and "Markdown(" in source:
                assert ":.2%}" not in source and ":.1%}" not in source, (
                    f"{path.name}: format numbers for the text with br()")
