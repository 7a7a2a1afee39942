"""The failure budget (tools/budget.py) over the committed results/, and its hold on the notebooks:
every assert of a Verificação cell is a claim there, with the same thresholds."""
import ast
import math
import re

import nbformat
import pytest

from tools import budget
from tools.listings import NOTEBOOKS, key


def verification_cells(path):
    """The code cells that check the run's claims: those that open with `if execucao.complete:`."""
    cells = nbformat.read(path, as_version=4).cells
    return [c.source for c in cells
            if c.cell_type == "code" and c.source.startswith("if execucao.complete:")]


def asserted(source):
    """The conditions of the asserts in a cell, as ast.unparse writes them."""
    return [ast.unparse(node.test) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Assert)]


def thresholds_outside_asserts(source):
    """Numbers a cell writes outside its asserts' conditions and outside subscripts (a dict of
    floors, say): each must be a claim's threshold, or it changes a check behind the table."""
    tree = ast.parse(source)
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            skip.update(map(id, ast.walk(node.test)))
        if isinstance(node, ast.Subscript):
            skip.update(map(id, ast.walk(node.slice)))
        if isinstance(node, ast.keyword):  # dpi=100 and the like
            skip.update(map(id, ast.walk(node.value)))
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and type(node.value) in (int, float)
            and id(node) not in skip}


ROWS = budget.table()


def test_the_asserts_fail_by_chance_less_than_once_in_a_hundred_runs():
    assert budget.problems(ROWS) == []
    assert sum(row.chance for row in ROWS) < budget.BUDGET


def test_every_claim_rests_on_five_runs_or_more_with_each_cpu_class_inside():
    for row in ROWS:
        assert row.n >= budget.MIN_RUNS, row.claim
        assert all(row.claim.low < mean < row.claim.high for _, mean in row.classes.values())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_assert_of_a_notebook_is_a_claim_of_the_budget(path):
    mine = [c for c in budget.CLAIMS if c.notebook == key(path)]
    cells = verification_cells(path)
    conditions = [cond for cell in cells for cond in asserted(cell)]
    claimed = {c.condition for c in mine}
    assert set(conditions) <= claimed, "an assert without a claim in tools/budget.py"
    assert claimed <= set(conditions), "a claim in tools/budget.py that no assert makes"
    limits = {x for c in mine for x in (c.low, c.high) if math.isfinite(x)}
    for cell in cells:
        assert thresholds_outside_asserts(cell) <= limits


def test_a_changed_threshold_is_caught():
    cell = "if execucao.complete:\n    assert fgsm_e[0.1] < 0.45\n"
    assert asserted(cell) == ["fgsm_e[0.1] < 0.45"]
    assert "fgsm_e[0.1] < 0.45" not in {c.condition for c in budget.CLAIMS}
    floors = "if execucao.complete:\n    pisos = {'A': 0.95}\n    assert x[1] > pisos['A']\n"
    assert thresholds_outside_asserts(floors) == {0.95}


def test_the_prediction_bound_is_students_t():
    # Five runs at 0, 1, 2, 3, 4 (mean 2, s sqrt(2.5)); a threshold 3 s below the mean; for one
    # new run the bound is T_4(-3 / sqrt(1 + 1/5)) = 2.6 %, the figure the issue quotes.
    s = math.sqrt(2.5)
    claim = budget.Claim("00", "", "", lambda _: [(float(v), "x") for v in range(5)],
                         low=2 - 3 * s)
    row = budget.assess(claim, results=lambda name: [])
    assert row.mean == 2 and row.s == pytest.approx(s) and row.margin == pytest.approx(3)
    assert row.chance == pytest.approx(0.0264, abs=5e-4)
    twice = budget.assess(budget.Claim("00", "", "", claim.values, low=claim.low, checks=2),
                          results=lambda name: [])
    assert twice.chance == pytest.approx(2 * row.chance)


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?")


def test_the_budget_table_in_the_docs_is_the_tools():
    # Word for word, but the last digit of a number may differ with another SciPy or Python
    # (Colab's tier runs this too): numbers are compared to half a percent.
    docs = (budget.ROOT / "docs" / "results.md").read_text(encoding="utf-8").splitlines()
    table = budget.markdown(ROWS).splitlines()
    start = docs.index(table[0])
    shown = docs[start:start + len(table)]
    for want, got in zip(table, shown, strict=True):
        assert NUMBER.sub("#", got) == NUMBER.sub("#", want), "run `python -m tools.budget`"
        assert [float(x) for x in NUMBER.findall(got)] == pytest.approx(
            [float(x) for x in NUMBER.findall(want)], rel=5e-3, abs=1e-12), want
