"""The failure budget: each run-time assert of the notebooks, its reference runs, and its chance of
failing on a new seed and CPU.

    python -m tools.budget              # the table, as docs/results.md shows it
    python -m tools.budget --check      # exit 1 if the sum passes 1 % or an assert lacks runs

A notebook's Verificação cell (`if execucao.complete:`) asserts what its prose says of the run.
Each assert is a `Claim` below: the condition as the notebook writes it, its thresholds, and the
quantity it tests, measured on the reference runs in results/: seeds 0-4 in the lessons' files,
seeds 5-9 in the *_5-9.json files beside them, and every CPU class there is, pooled. The chance
that a new run fails it is a one-sided Student's t prediction bound: with mean m and standard
deviation s over n runs, a new value (or the mean of k new values) falls below a threshold c
with probability T_{n-1}((c - m) / (s sqrt(1/k + 1/n))). A claim checked on several runs of one
execution (`checks`) counts each check (a union bound). A measurement that did not move between
seeds (s = 0) takes its resolution (one image in the images it counts) as s.
tests/test_budget.py keeps the sum under BUDGET and finds every assert of the notebooks here.
"""
import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
BUDGET = 0.01  # one `make run` in a hundred, summed over every assert
MIN_RUNS = 5
FLOOR = 0.5003474  # the label-smoothed loss's floor (notebook 2, section 2: H(p), eps 0.1, K 10)


def cpu_class(environment):
    """'Intel Xeon' or 'AMD EPYC' (or the name as written): what makes float kernels differ."""
    name = environment.get("cpu", "")
    for vendor, label in (("Xeon", "Intel Xeon"), ("EPYC", "AMD EPYC")):
        if vendor in name:
            return label
    return name


def load(name):
    """The runs of results/`name` and of its seeds 5-9 (`name`_5-9.json, where there is one),
    each with its CPU class: the run's own field, or its file's environment's."""
    rows = []
    for path in (RESULTS / name, RESULTS / name.replace(".json", "_5-9.json")):
        if path.name != name and not path.exists():
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        for run in data["runs"]:
            run.setdefault("cpu_class", cpu_class(data["environment"]))
        rows += data["runs"]
    return rows


@dataclass(frozen=True)
class Claim:
    notebook: str   # the file's prefix: "01", "02", ...
    sentence: str   # what the prose says, in short
    condition: str  # the assert's condition, as ast.unparse writes the notebook's
    values: object  # results -> [(value, cpu class)] on the reference runs
    low: float = -math.inf
    high: float = math.inf
    new_runs: int = 1     # the assert tests the mean of this many runs
    checks: int = 1       # ... this many times in one execution
    resolution: float = 1e-4  # the smallest step the quantity takes (1 in 10,000 test images)


def runs(name, where):
    """The runs of results/`name` for which where(run) holds."""
    return lambda results: [r for r in results(name) if where(r)]


def per_run(name, where, quantity):
    return lambda results: [(quantity(r), r["cpu_class"]) for r in runs(name, where)(results)]


def across(first_file, first, second_file, second, quantity):
    """quantity(first's run, second's run) for each seed both files have, on one CPU class."""
    def values(results):
        return [(quantity(a, b), a["cpu_class"])
                for a in filter(first, results(first_file))
                for b in filter(second, results(second_file))
                if a["seed"] == b["seed"] and a["cpu_class"] == b["cpu_class"]]
    return values


def paired(name, first, second, quantity):
    """As `across`, within one file."""
    return across(name, first, name, second, quantity)


def preset(name):
    return lambda r: r.get("preset", r.get("model")) == name


def acc(r, epoch):
    return r["history"][epoch]["val_acc"]


C1, C2E, C2F, C2, C3, C4 = ("sementes_caderno1.json", "sementes_E.json", "sementes_F.json",
                            "sementes_caderno2.json", "sementes_caderno3.json",
                            "sementes_caderno4.json")

CLAIMS = [
    # Notebook 1: the original's models, seed 0 in the committed text; the test set as validation.
    *[Claim("01", f"{m} acima do seu piso", "acuracias[nome] > piso",
            per_run(C1, preset(m), lambda r: r["val_accuracy"]), low=floor)
      for m, floor in (("A", 0.93), ("B", 0.965), ("C", 0.965), ("D", 0.965), ("E", 0.965))],
    Claim("01", "A ainda sobe nas últimas épocas", "curva_a[-1] > curva_a[-3]",
          per_run(C1, preset("A"), lambda r: acc(r, -1) - acc(r, -3)), low=0),
    Claim("01", "B ganha cerca de 3 pontos sobre A", "0.02 < acc_b - acc_a < 0.04",
          paired(C1, preset("A"), preset("B"), lambda a, b: b["val_accuracy"] - a["val_accuracy"]),
          low=0.02, high=0.04),
    Claim("01", "B erra cerca da metade do que A erra", "0.35 < (1 - acc_b) / (1 - acc_a) < 0.6",
          paired(C1, preset("A"), preset("B"),
                 lambda a, b: (1 - b["val_accuracy"]) / (1 - a["val_accuracy"])),
          low=0.35, high=0.6, resolution=0.002),
    *[Claim("01", f"{m}: na 1ª época, perda de treino acima da de validação",
            "inicio['train_loss'] > inicio['val_loss']",
            per_run(C1, preset(m), lambda r: r["history"][0]["train_loss"]
                    - r["history"][0]["val_loss"]), low=0) for m in "ABCDE"],
    *[Claim("01", f"{m}: perda de validação final acima da de treino",
            "fim['val_loss'] > fim['train_loss']",
            per_run(C1, preset(m), lambda r: r["history"][-1]["val_loss"]
                    - r["history"][-1]["train_loss"]), low=0) for m in "DE"],
    *[Claim("01", f"{m} começa bem acima de A", "primeira > curva_a[0] + 0.02",
            paired(C1, preset("A"), preset(m), lambda a, b: acc(b, 0) - acc(a, 0)), low=0.02)
      for m in "BCDE"],
    *[Claim("01", f"{m} começa perto de onde A termina", "primeira > curva_a[-1] - 0.03",
            paired(C1, preset("A"), preset(m), lambda a, b: acc(b, 0) - acc(a, -1)), low=-0.03)
      for m in "BCDE"],
    # Notebook 2: three seeds of E and F; the test read once, at the end.
    Claim("02", "E: média de teste de 3 sementes ≥ 97,2%", "media['E'] >= 0.972",
          lambda res: [(r["test_accuracy"], r["cpu_class"])
                       for r in res(C2E) + runs(C2, preset("E"))(res)],
          low=0.972, new_runs=3),
    Claim("02", "F: média de teste de 3 sementes ≥ 98,7%", "media['F'] >= 0.987",
          lambda res: [(r["test_accuracy"], r["cpu_class"])
                       for r in res(C2F) + runs(C2, preset("F"))(res)],
          low=0.987, new_runs=3),
    Claim("02", "F erra bem menos que E",  # per seed: more spread than the notebook's means
          "(1 - media['F']) / (1 - media['E']) < 0.7",
          lambda res: across(C2E, preset("E"), C2F, preset("F"), _error_ratio)(res)
          + paired(C2, preset("E"), preset("F"), _error_ratio)(res),
          high=0.7, resolution=0.01),
    Claim("02", "a perda de treino de E termina perto de zero",
          "r['rede'].history.epochs[-1]['train_loss'] < 0.05",
          lambda res: [(r["history"][-1]["train_loss"], r["cpu_class"])
                       for r in res(C2E) + runs(C2, preset("E"))(res)],
          high=0.05, checks=3),
    Claim("02", "a perda de treino de F fica pouco acima do piso", "piso < final < 0.56",
          lambda res: [(r["history"][-1]["train_loss"], r["cpu_class"])
                       for r in res(C2F) + runs(C2, preset("F"))(res)],
          low=FLOOR, high=0.56, checks=3),
    Claim("02", "nenhum erro de F chega perto de 100% de confiança", "max(confiancas) < 0.99",
          per_run(C2, preset("F"), lambda r: r["most confident error"]), high=0.99),
    # Notebook 3: E and F of notebook 2, moved digits and scikit-learn's digits.
    Claim("03", "os pesos dos pixels raros de E crescem quase como os frequentes",
          "razao_e > 0.6", per_run(C3, preset("E"), lambda r: r["rare / frequent weight scale"]),
          low=0.6, resolution=0.001),
    *[Claim("03", f"{m}: 4 pixels custam dezenas de pontos", "a[0, 0, 0] - a[4, 0, 0] > 0.25",
            per_run(C3, preset(m), lambda r: r["moved"]["original"] - r["moved"]["4 px →"]),
            low=0.25) for m in "EF"],
    *[Claim("03", f"{m}: girar 20° custa menos que 3 pixels", "a[0, 0, 20] > a[3, 0, 0]",
            per_run(C3, preset(m), lambda r: r["moved"]["rotação de 20°"]
                    - r["moved"]["3 px →"]), low=0) for m in "EF"],
    *[Claim("03", f"{m}: a geometria do MNIST vale mais de dez pontos", "geometria > 0.1",
            per_run(C3, preset(m), lambda r: _geometry(r)), low=0.1, resolution=1 / 1797)
      for m in "EF"],
    *[Claim("03", f"{m}: de (b) para (c), bem menos que de (a) para (b)", "geometria > resto",
            per_run(C3, preset(m), lambda r: _geometry(r) - r["sklearn"]["(c) to_mnist"]
                    + r["sklearn"]["(b) geometria do MNIST"]), low=0, resolution=1 / 1797)
      for m in "EF"],
    # Notebook 4: attacks on E and F, and F's recipe for 5 epochs with and without FGSM training.
    Claim("04", "FGSM a 0,1 deixa a E menos da metade", "fgsm_e[0.1] < 0.5",
          per_run(C4, preset("E"), lambda r: r["FGSM"]["0.1"]), high=0.5),
    Claim("04", "FGSM a 0,3 deixa a E quase nada", "fgsm_e[0.3] < 0.1",
          per_run(C4, preset("E"), lambda r: r["FGSM"]["0.3"]), high=0.1),
    Claim("04", "F guarda mais de três quartos sob FGSM a 0,3", "fgsm_f[0.3] > 0.75",
          per_run(C4, preset("F 20 epochs"), lambda r: r["FGSM"]["0.3"]), low=0.75),
    *[Claim("04", f"PGD ({loss}) a 0,3 deixa a E praticamente nada",
            "ataques['E'][perda, 0.3] < 0.01",
            per_run(C4, preset("E"), lambda r, loss=loss: r[f"PGD {loss}"]["0.3"]), high=0.01)
      for loss in ("cross_entropy", "margin")],
    Claim("04", "em E a 0,1, margem e entropia dão quase o mesmo", "abs(diferenca) < 0.02",
          per_run(C4, preset("E"), lambda r: r["PGD margin"]["0.1"]
                  - r["PGD cross_entropy"]["0.1"]), low=-0.02, high=0.02),
    Claim("04", "em F a 0,3, a margem tira dezenas de pontos a mais que a entropia",
          "margem_tira > 0.3",
          per_run(C4, preset("F 20 epochs"), lambda r: r["PGD cross_entropy"]["0.3"]
                  - r["PGD margin"]["0.3"]), low=0.3),
    Claim("04", "F em 5 épocas: pouco mais da metade sob PGD (margem) a 0,1",
          "0.5 < curto['PGD, margem, ε = 0,1'] < 0.65",
          per_run(C4, preset("F 5 epochs"), lambda r: r["PGD margin"]["0.1"]),
          low=0.5, high=0.65),
    Claim("04", "treinado contra o FGSM: perto de nove em dez",
          "0.85 < adversarial['PGD, margem, ε = 0,1'] < 0.95",
          per_run(C4, preset("F adversarial 5 epochs"), lambda r: r["PGD margin"]["0.1"]),
          low=0.85, high=0.95),
    *[Claim("04", f"{m}: nada protegido a 0,3",
            "max(curto['PGD, margem, ε = 0,3'], adversarial['PGD, margem, ε = 0,3']) < 0.05",
            per_run(C4, preset(m), lambda r: r["PGD margin"]["0.3"]), high=0.05)
      for m in ("F 5 epochs", "F adversarial 5 epochs")],
    Claim("04", "alcance acima de um desvio em mais de 90% dos neurônios de E",
          "(razao > 1).float().mean() > 0.9",
          per_run(C4, preset("E"), lambda r: r["first-layer reach at eps 0.1"]["fraction above 1"]),
          low=0.9, resolution=1 / 256),
    Claim("04", "mediana do alcance acima de 1,3", "float(razao.median()) > 1.3",
          per_run(C4, preset("E"), lambda r: r["first-layer reach at eps 0.1"]["median"]),
          low=1.3, resolution=0.001),
]


def _geometry(r):
    return r["sklearn"]["(b) geometria do MNIST"] - r["sklearn"]["(a) campo inteiro"]


def _error_ratio(e, f):
    return (1 - f["test_accuracy"]) / (1 - e["test_accuracy"])


@dataclass(frozen=True)
class Row:
    claim: Claim
    n: int
    mean: float
    s: float
    classes: dict  # CPU class -> (runs, mean)
    margin: float  # distance to the nearer threshold, in s
    chance: float  # predicted chance that one execution fails the assert


def t_cdf(x, df):
    from scipy.stats import t
    return float(t.cdf(x, df))


def assess(claim, results=None):
    """The claim's reference runs, margin and predicted chance of failing."""
    results = results or _cached_loader()
    pairs = claim.values(results)
    values = [v for v, _ in pairs]
    n = len(values)
    if n < 2:
        return Row(claim, n, math.nan, math.nan, {}, math.nan, 1.0)
    mean = sum(values) / n
    s = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    spread = max(s, claim.resolution)
    scale = spread * math.sqrt(1 / claim.new_runs + 1 / n)
    below = t_cdf((claim.low - mean) / scale, n - 1) if claim.low > -math.inf else 0.0
    above = 1 - t_cdf((claim.high - mean) / scale, n - 1) if claim.high < math.inf else 0.0
    classes = {}
    for cls in sorted({c for _, c in pairs}):
        mine = [v for v, c in pairs if c == cls]
        classes[cls] = (len(mine), sum(mine) / len(mine))
    margin = min(mean - claim.low, claim.high - mean) / spread
    return Row(claim, n, mean, s, classes, margin, min(1.0, claim.checks * (below + above)))


def _cached_loader():
    cache = {}

    def results(name):
        if name not in cache:
            cache[name] = load(name)
        return [dict(r) for r in cache[name]]
    return results


def table():
    results = _cached_loader()
    return [assess(c, results) for c in CLAIMS]


def problems(rows):
    """What breaks the budget: too few runs, a CPU class's mean outside, the sum over BUDGET."""
    found = []
    for row in rows:
        c = row.claim
        if row.n < MIN_RUNS:
            found.append(f"{c.notebook}: '{c.condition}' ({c.sentence}) rests on {row.n} runs")
        for cls, (_, mean) in row.classes.items():
            if not c.low < mean < c.high:
                found.append(f"{c.notebook}: '{c.condition}': {cls}'s mean {mean:.4g} fails it")
    total = sum(row.chance for row in rows)
    if total > BUDGET:
        found.append(f"the asserts fail together with chance {total:.2%}, over {BUDGET:.0%}")
    return found


def markdown(rows):
    lines = ["| notebook | sentence | assert | runs (CPU classes) | mean ± s | margin (s) "
             "| chance of failing |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        c = row.claim
        classes = ", ".join(f"{n} {cls}" for cls, (n, _) in row.classes.items())
        times = f" (×{c.checks})" if c.checks > 1 else ""
        mean_of = f", mean of {c.new_runs}" if c.new_runs > 1 else ""
        lines.append(f"| {c.notebook} | {c.sentence} | `{c.condition}`{mean_of} | {classes} | "
                     f"{row.mean:.4g} ± {row.s:.2g} | {row.margin:.1f} | "
                     f"{row.chance:.2e}{times} |")
    total = sum(row.chance for row in rows)
    covered = sorted({cls for row in rows for cls in row.classes})
    lines += ["", f"Sum over {len(rows)} asserts: **{total:.3%}** (budget {BUDGET:.0%}); "
                  f"reference runs from: {', '.join(covered)}."]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the budget is broken")
    args = parser.parse_args(argv)
    rows = table()
    print(markdown(rows))
    found = problems(rows)
    for line in found:
        print("budget:", line, file=sys.stderr)
    return 1 if args.check and found else 0


if __name__ == "__main__":
    sys.exit(main())
