"""The lessons' prose against results/: quoted magnitudes, and comparisons worded by the rule."""
import re

import nbformat

from tools.quotes import NOTEBOOKS, ROOT, problems


def test_every_magnitude_the_prose_quotes_matches_its_file():
    assert problems() == []


def sentences():
    """(file, sentence) for the notebooks' markdown, the README and docs/."""
    texts = []
    for path in NOTEBOOKS.values():
        texts += [(path.name, c.source) for c in nbformat.read(path, 4).cells
                  if c.cell_type == "markdown"]
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        texts.append((path.name, path.read_text(encoding="utf-8")))
    return [(name, s) for name, text in texts
            for s in re.split(r"(?<=[.])\s+", " ".join(text.split()))]


def test_not_distinguished_is_never_read_from_two_intervals():
    # "não se distinguem" is the seed rule's verdict (three standard deviations of the difference
    # between seeds); two models read on the same test images are compared paired (McNemar) or
    # with the appendix's yardstick, and a large p or |z| is "compatível", never "iguais".
    for name, sentence in sentences():
        if re.search(r"não se distingu|not told apart", sentence):
            assert not re.search(r"intervalo|interval", sentence), (name, sentence)
            assert re.search(r"semente|seed|regra|rule|desvios-padrão|erros-padrão", sentence), (
                name, sentence)
        if re.search(r"\bsão iguais\b|\bare equal\b", sentence):  # only to say it is not shown
            assert re.search(r"\bnão\b|\bnot\b", sentence), (name, sentence)
