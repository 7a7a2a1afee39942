"""The fixed measurements the lessons quote in their prose, each checked against its file.

A lesson may write a magnitude from results/ in markdown ("cerca de 59 e 45 pontos, em cinco
sementes"). Each such quote is a `Quote` below: the words as the notebook writes them, the number
in them, and the value computed from the committed file. `python -m tools.quotes` lists each with
its value; tests/test_quotes.py (in `make unit`) fails when a quoted number no longer matches its
file, when a quote's words left the notebook, or when a markdown sentence that quotes the seeds of
results/ with a number is not registered here.

The lessons quote the five-seed files (seeds 0-4); the *_5-9.json files are the failure budget's.
"""
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from statistics import mean, stdev

import nbformat

from tools.listings import NOTEBOOKS as ALL_NOTEBOOKS
from tools.listings import key as notebook_key

ROOT = Path(__file__).resolve().parents[1]
FLOOR = 0.5003474  # the label-smoothed loss's floor (eps 0.1, 10 classes; tools/budget.py)
RESULTS = ROOT / "results"


def read(name):
    return json.loads((RESULTS / name).read_text(encoding="utf-8"))


def runs(name, key, value):
    return [r for r in read(name)["runs"] if r[key] == value]


# Notebook 1's seeds: 0-4 (the lesson's table), 5-9 (the budget's file), or all ten.
FIRST, LATER = ("sementes_caderno1.json",), ("sementes_caderno1_5-9.json",)
TEN = FIRST + LATER


def seeds1(preset, files=FIRST):
    return [r for name in files for r in runs(name, "preset", preset)]


def first_epochs(preset, files=FIRST):
    """The run's epochs (1-based) where notebook 1's seeds of `preset` reach their minimum
    validation loss."""
    return [min(r["history"], key=lambda h: h["val_loss"])["epoch"]
            for r in seeds1(preset, files)]


def val_mean(preset, files=FIRST):
    return mean(r["val_accuracy"] for r in seeds1(preset, files))


def attack(model, name, eps):
    return [r[name][str(eps)] for r in runs("sementes_caderno4.json", "model", model)]


def moved_loss(model):
    return [r["moved"]["original"] - r["moved"]["4 px →"]
            for r in runs("sementes_caderno3.json", "preset", model)]


def long_tests(name):
    return [r["test_accuracy"] for r in read(name)["runs"]]


def z_new_digits(ours, published, n=10_000):
    """The appendix's yardstick: our seeds' mean against one published reading."""
    p1, p2 = mean(ours), published
    return (p1 - p2) / math.sqrt(p1 * (1 - p1) / n + p2 * (1 - p2) / n + stdev(ours) ** 2
                                 / len(ours))


@dataclass(frozen=True)
class Quote:
    notebook: str     # the file's prefix
    words: str        # as the markdown writes them (spaces and line breaks normalised)
    value: object     # () -> the quantity, from results/
    quoted: float     # the number in the words, in the quantity's unit
    tolerance: float  # how far the quantity may sit from it ("cerca de" is wider than a digit)
    kind: str = "about"  # "about", "above" (quantity > quoted), "below", "range" (quoted: (a, b))


def lost_to_strong_pgd(adversarial):
    """Test images (of 1,000) the stronger PGD took that the 20-step one left, per seed."""
    return [r["lost to the stronger attack"] for r in read("pgd_forte_caderno4.json")["runs"]
            if (r["adversarial"] > 0) == adversarial]


def ensemble_gains():
    out = []
    for e in read("sementes_caderno2.json")["ensembles"]:
        out.append(e["ensemble_accuracy"] - mean(e["test_accuracies"]))
    return out


def shared_fraction():
    return [e["errors all three share"] / min(e["errors"])
            for e in read("sementes_caderno2.json")["ensembles"]]


def mcnemar_ps():
    return sorted(p for e in read("sementes_caderno2.json")["ensembles"]
                  for _, _, p in e["mcnemar (ensemble only, network only, p)"])


def error_ratio_f_e():
    e = mean(1 - r["test_accuracy"] for r in runs("sementes_caderno2.json", "preset", "E"))
    f = mean(1 - r["test_accuracy"] for r in runs("sementes_caderno2.json", "preset", "F"))
    return f / e


def f_minus_e(in_errors=False):
    """F's mean test accuracy minus E's over the ten seeds (points, or standard errors)."""
    e, f = ([r["test_accuracy"] for r in runs("sementes_caderno2.json", "preset", p)]
            for p in "EF")
    gap = mean(f) - mean(e)
    return gap / math.sqrt(stdev(e) ** 2 / len(e) + stdev(f) ** 2 / len(f)) if in_errors \
        else 100 * gap


def original(name):
    return read("original.json")["models"][name]["val_accuracy"]


def original_matrix(true, predicted):
    return read("original.json")["E_confusion_matrix"]["matrix"][true][predicted]


def original_e():
    m = read("original.json")["E_confusion_matrix"]["matrix"]
    return sum(m[i][i] for i in range(10)) / sum(map(sum, m))


def c_minus_b_in_errors():
    b = [r["val_accuracy"] for r in runs("sementes_caderno1.json", "preset", "B")]
    c = [r["val_accuracy"] for r in runs("sementes_caderno1.json", "preset", "C")]
    return (mean(c) - mean(b)) / math.sqrt((stdev(b) ** 2 + stdev(c) ** 2) / len(b))


def end_above_minimum(preset, files=FIRST):
    return mean(r["history"][-1]["val_loss"] - min(h["val_loss"] for h in r["history"])
                for r in seeds1(preset, files))


def d_minus_c_in_errors(files):
    """D's mean minus C's over notebook 1's seeds in `files`, in standard errors."""
    c, d = ([r["val_accuracy"] for r in seeds1(p, files)] for p in "CD")
    return (mean(d) - mean(c)) / math.sqrt(stdev(c) ** 2 / len(c) + stdev(d) ** 2 / len(d))


def adversarial_gain():
    clean = [a - b for a, b in zip(attack("F adversarial 5 epochs", "FGSM", 0.0),
                                   attack("F 5 epochs", "FGSM", 0.0))]
    return clean


def reach(model):
    return [r["first-layer reach at eps 0.1"]["median"]
            for r in runs("sementes_caderno4.json", "model", model)]


MODELS4 = ("E", "F 20 epochs", "F 5 epochs", "F adversarial 5 epochs")

# The answer key of notebook 1: its exercises over seeds 0-4 (results/respostas_caderno1.json).
def answers1(group):
    return runs("respostas_caderno1.json", "group", group)


def answers1_mean(group):
    return mean(r["val_accuracy"] for r in answers1(group))


def in_errors(x, y):
    """mean(x) - mean(y) in standard errors of the difference (seeds of each, unpaired)."""
    return (mean(x) - mean(y)) / math.sqrt(stdev(x) ** 2 / len(x) + stdev(y) ** 2 / len(y))


def largest_drop(run):
    accuracy = [h["val_acc"] for h in run["history"]]
    return max([0.0] + [a - b for a, b in zip(accuracy, accuracy[1:])])


def top_five_seeds(group, pair):
    """In how many seeds the (true, predicted) pair is among the group's five largest errors."""
    return sum(any((t, p) == pair for _, t, p in r["most confused (count, true, predicted)"])
               for r in answers1(group))


def accuracies1(preset, files=FIRST):
    return [r["val_accuracy"] for r in seeds1(preset, files)]


def accuracies_answers1(group):
    return [r["val_accuracy"] for r in answers1(group)]


def f_minutes_per_seed():
    return mean(r["train_seconds"] for r in read("validacao_F.json")["runs"]) / 60


def f_validation():
    return [r["val_accuracy"] for r in read("validacao_F.json")["runs"]]


def f_above_floor():
    """F's last training loss above the label-smoothed floor, per seed (sementes_caderno2)."""
    return [r["history"][-1]["train_loss"] - FLOOR
            for r in runs("sementes_caderno2.json", "preset", "F")]


def answers2(group, seeds=range(5)):
    """Notebook 2's answer key: F with one setting changed, or F itself ("F"), per seed."""
    return [r for r in read("respostas_caderno2.json")["runs"]
            if r["group"] == group and r["seed"] in seeds]


def val2(group, seeds=range(5)):
    return [r["val_accuracy"] for r in answers2(group, seeds)]


def variant_vs_f(group):
    """(points, standard errors) of the variant minus F, for its seeds 0-2 and 0-4, against
    F's five seeds of section 2 and against F's five on the variants' CPU."""
    return [(100 * (mean(val2(group, s)) - mean(f)), in_errors(val2(group, s), f))
            for s in ((0, 1, 2), range(5)) for f in (f_validation(), val2("F"))]


def pair_with(model):
    """J's seed 0 against `model`'s ("I" or "H") on the same test images (pareado_J.json)."""
    return next(r for r in read("pareado_J.json")["runs"] if r["second"] == f"{model}-seed0")


def answers4(model, key):
    """A measure of notebook 2's `model` (E or F) per seed, results/respostas_caderno4.json."""
    return [r[model][key] for r in read("respostas_caderno4.json")["runs"]]


def transfer4():
    return [r["transfer, E's PGD margin 0.1 read by F"]
            for r in read("respostas_caderno4.json")["runs"]]


def margin_over_cross_entropy():
    """Per seed, model and eps: images only the margin's FGSM fools over those only the
    cross-entropy's fools."""
    return [only_margin / max(only_ce, 1) for model in "EF" for eps in (0.1, 0.3)
            for only_margin, only_ce, _ in answers4(
                model, f"FGSM {eps}: only the margin fools, only the cross-entropy fools, p")]


def z_new_digits_runs(x, y, n=10_000):
    """The appendix's yardstick, new digits: the seeds' spread and both readings' sampling."""
    p1, p2 = mean(x), mean(y)
    return (p1 - p2) / math.sqrt(stdev(x) ** 2 / len(x) + stdev(y) ** 2 / len(y)
                                 + p1 * (1 - p1) / n + p2 * (1 - p2) / n)


QUOTES = [
    # notebook 1: the original's results, and five seeds of A-E (results/sementes_caderno1.json)
    Quote("01", "C fica cerca de 0,35 ponto acima de B",
          lambda: 100 * (val_mean("C") - val_mean("B")), 0.35, 0.02),
    Quote("01", "C fica cerca de 0,35 ponto acima de B, mais de três erros-padrão da diferença",
          c_minus_b_in_errors, 3, 0, "above"),
    Quote("01", "a perda de validação de E passa pelo mínimo entre a terceira e a nona época",
          lambda: first_epochs("E", TEN), (3, 9), 0, "range"),
    Quote("01", "termina acima dela (cerca de cinco vezes maior, nas sementes de `results/`)",
          lambda: [r["history"][-1]["val_loss"] / r["history"][-1]["train_loss"]
                   for p in "DE" for r in runs("sementes_caderno1.json", "preset", p)], 5, 1.5),
    Quote("01", "e termina, em média, cerca de 0,02 acima dele",
          lambda: end_above_minimum("E", TEN), 0.02, 0.005),
    Quote("01", "as de C e D chegam ao mínimo mais tarde (da sétima à décima época)",
          lambda: first_epochs("C", TEN) + first_epochs("D", TEN), (7, 10), 0, "range"),
    Quote("01", "dobrar a camada oculta rende cerca de 0,3 ponto sobre C",
          lambda: 100 * (val_mean("D") - val_mean("C")), 0.3, 0.05),
    Quote("01", "nas sementes 5 a 9 de `results/`, só 0,1",
          lambda: 100 * (val_mean("D", LATER) - val_mean("C", LATER)), 0.1, 0.02),
    Quote("01", "e nas dez, cerca de 0,2 ponto: detectável",
          lambda: 100 * (val_mean("D", TEN) - val_mean("C", TEN)), 0.2, 0.02),
    Quote("01", "e nas dez, cerca de 0,2 ponto: detectável", lambda: d_minus_c_in_errors(TEN), 3,
          0, "above"),
    Quote("01", "O E do original acertou 0,9775", original_e, 0.9775, 5e-5),
    Quote("01", "fica abaixo de D (0,9794)", lambda: original("D"), 0.9794, 5e-5),
    Quote("01", "e de C (0,9781)", lambda: original("C"), 0.9781, 5e-5),
    Quote("01", "o 4 lido como 9 aparece 31 vezes", lambda: original_matrix(4, 9), 31, 0),
    Quote("01", "o 5 lido como 3 (22 vezes)", lambda: original_matrix(5, 3), 22, 0),
    # notebook 2: ten seeds of E and F and three ensembles (results/sementes_caderno2.json)
    Quote("02", "F erra bem menos que E (nas dez sementes de `results/sementes_caderno2.json`, "
          "cerca da metade:", error_ratio_f_e, 0.5, 0.1),
    Quote("02", "uma diferença de cerca de 1,2 ponto", f_minus_e, 1.2, 0.05),
    Quote("02", "mais de dez erros-padrão da diferença", lambda: f_minus_e(True), 10, 0, "above"),
    Quote("02", "cada *ensemble* ficou de 0,02 a 0,04 ponto acima da média das suas três redes",
          lambda: [100 * g for g in ensemble_gains()], (0.015, 0.045), 0, "range"),
    Quote("02", "o valor-p foi pequeno (p = 0,007", lambda: mcnemar_ps()[0], 0.007, 5e-4),
    Quote("02", "o valor-p ficou entre 0,26 e 1", lambda: mcnemar_ps()[1:], (0.255, 1), 0,
          "range"),
    Quote("02", "de 70% a 80% dos erros da rede que menos erra",
          lambda: [100 * f for f in shared_fraction()], (69.5, 80.5), 0, "range"),
    # notebook 3: five seeds of E and F (results/sementes_caderno3.json)
    Quote("03", "cerca de 59 para E", lambda: 100 * mean(moved_loss("E")), 59, 1),
    Quote("03", "e 45 para F", lambda: 100 * mean(moved_loss("F")), 45, 1),
    Quote("03", "mais de 30 em cada uma das cinco sementes",
          lambda: [100 * (r["sklearn"]["(b) geometria do MNIST"]
                          - r["sklearn"]["(a) campo inteiro"])
                   for r in read("sementes_caderno3.json")["runs"]], 30, 0, "above"),
    Quote("03", "Nas cinco sementes de F, o 1 foi o dígito menos acertado em (c)",
          lambda: [min(range(10), key=r["sklearn (c) per digit"].__getitem__)
                   for r in runs("sementes_caderno3.json", "preset", "F")], (1, 1), 0, "range"),
    # notebook 4: five seeds of four models under attack (results/sementes_caderno4.json)
    Quote("04", "quase nenhum (1,5% em média", lambda: 100 * mean(attack("E", "FGSM", 0.3)),
          1.5, 0.05),
    Quote("04", "(91% em média", lambda: 100 * mean(attack("F 20 epochs", "FGSM", 0.3)), 91, 0.5),
    Quote("04", "98% em média nas cinco sementes", lambda: 100 * mean(
        r["first-layer reach at eps 0.1"]["fraction above 1"]
        for r in runs("sementes_caderno4.json", "model", "E")), 98, 0.5),
    Quote("04", "(1,67 nas cinco sementes)", lambda: mean(reach("E")), 1.67, 0.005),
    Quote("04", "a entropia cruzada baixou E de 0,4 a 0,9 ponto a mais, em todas",
          lambda: [100 * (m - c) for m, c in zip(attack("E", "PGD margin", 0.1),
                                                 attack("E", "PGD cross_entropy", 0.1))],
          (0.4, 0.9), 0.05, "range"),
    Quote("04", "F ainda acerta, em média, 78% dos dígitos sob o PGD pela entropia",
          lambda: 100 * mean(attack("F 20 epochs", "PGD cross_entropy", 0.3)), 78, 0.5),
    Quote("04", "e só 7% sob o PGD pela margem",
          lambda: 100 * mean(attack("F 20 epochs", "PGD margin", 0.3)), 7, 0.5),
    Quote("04", "o deixou acertando cerca de 7% dos dígitos (cinco sementes)",
          lambda: 100 * mean(attack("F 20 epochs", "PGD margin", 0.3)), 7, 0.5),
    Quote("04", "F acerta cerca de\n71% dos dígitos".replace("\n", " "),
          lambda: 100 * mean(attack("F 20 epochs", "PGD margin", 0.1)), 71, 0.5),
    Quote("04", "e E cerca de 9% (cinco sementes)",
          lambda: 100 * mean(attack("E", "PGD cross_entropy", 0.1)), 9, 0.5),
    # notebook 4, section 5: the stronger PGD (results/pgd_forte_caderno4.json)
    Quote("04", "com um PGD pela margem de 100 passos",
          lambda: read("pgd_forte_caderno4.json")["attack"]["steps"], 100, 0),
    Quote("04", "tirou do modelo adversarial de 2 a 4 imagens em mil",
          lambda: lost_to_strong_pgd(True), (2, 4), 0, "range"),
    Quote("04", "e do modelo sem treino adversarial de 18 a 35",
          lambda: lost_to_strong_pgd(False), (18, 35), 0, "range"),
    Quote("04", "ficou à frente em todas, por 0,29 ponto em média",
          lambda: 100 * mean(adversarial_gain()), 0.29, 0.005),
    Quote("04", "ficou à frente em todas", lambda: min(adversarial_gain()), 0, 0, "above"),
    Quote("04", "(erro-padrão de 0,02 ponto",
          lambda: 100 * stdev(adversarial_gain()) / math.sqrt(5), 0.02, 0.005),
    Quote("04", "O alcance quase não muda de um modelo para outro (de cerca de 1,6 a 1,8)",
          lambda: [v for m in MODELS4 for v in reach(m)], (1.55, 1.85), 0, "range"),
    Quote("04", "enquanto a acurácia sob o ataque vai de cerca de 9% a quase 90%",
          lambda: [100 * mean(attack(m, "PGD margin", 0.1)) for m in MODELS4], (9, 90), 0.5,
          "range"),
    # the appendix: the long presets (results/longo_*.json) and the published results
    Quote("ap", "cada semente dos modelos longos G, H e I leva de 13 a 33 minutos",
          lambda: [r["train_seconds"] / 60 for n in "GHI" for r in read(f"longo_{n}.json")["runs"]],
          (13, 33), 0.5, "range"),
    Quote("ap", "a diferença, de cerca de 0,2 ponto",
          lambda: [100 * (mean(long_tests(f"longo_{n}.json")) - mean(long_tests("sementes_F.json")))
                   for n in "GH"], 0.2, 0.05),
    Quote("ap", "fica abaixo da Ladder por mais de três erros-padrão da diferença",
          lambda: -z_new_digits(long_tests("sementes_F.json"), 0.9943), 3, 0, "above"),
    Quote("ap", "compatível com o VAT publicado por pouco (z = −2,7",
          lambda: -z_new_digits(long_tests("sementes_F.json"), 0.9936), 2.7, 0.05),
    # the answer key of notebook 1 (solucoes/01_solucoes.ipynb)
    Quote("solucoes/01", "Dobrar os parâmetros rendeu cerca de 0,2 ponto nas dez sementes",
          lambda: 100 * (val_mean("D", TEN) - val_mean("C", TEN)), 0.2, 0.02),
    Quote("solucoes/01", "nas dez sementes: mais de três erros-padrão",
          lambda: d_minus_c_in_errors(TEN), 3, 0, "above"),
    Quote("solucoes/01", "pequeno diante dos cerca de 3 pontos da troca de A para B",
          lambda: 100 * (val_mean("B", TEN) - val_mean("A", TEN)), 3, 0.2),
    Quote("solucoes/01", "a taxa sozinha move a acurácia do SGD por mais de 30 pontos",
          lambda: 100 * (answers1_mean("A-taxa-0.5") - answers1_mean("A-taxa-0.001")), 30, 0,
          "above"),
    Quote("solucoes/01", "de cerca de 65% com 0,001",
          lambda: 100 * answers1_mean("A-taxa-0.001"), 65, 0.5),
    Quote("solucoes/01", "a cerca de 97,4% com 0,5",
          lambda: 100 * answers1_mean("A-taxa-0.5"), 97.4, 0.05),
    Quote("solucoes/01", "Com 0,5, o SGD fica até um pouco acima de B",
          lambda: answers1_mean("A-taxa-0.5") - val_mean("B"), 0, 0, "above"),
    Quote("solucoes/01", "mas por menos de três erros-padrão da diferença",
          lambda: in_errors(accuracies_answers1("A-taxa-0.5"), accuracies1("B")), 3, 0, "below"),
    Quote("solucoes/01", "os lotes de 256 ficaram cerca de 0,26 ponto abaixo dos de 64",
          lambda: 100 * (val_mean("C") - answers1_mean("C-lote-256")), 0.26, 0.01),
    Quote("solucoes/01", "pouco mais de três erros-padrão da diferença: detectável, por pouco",
          lambda: -in_errors(accuracies_answers1("C-lote-256"), accuracies1("C")), (3, 3.5), 0,
          "range"),
    Quote("solucoes/01", "cai de uma época para outra, pelo menos uma vez, por mais de um ponto",
          lambda: [100 * largest_drop(r) for r in answers1("B-taxa-0.1")], 1, 0, "above"),
    Quote("solucoes/01", "e termina perto de 91%",
          lambda: 100 * answers1_mean("B-taxa-0.1"), 91, 0.5),
    Quote("solucoes/01", "mais de 6 pontos abaixo de B",
          lambda: 100 * (val_mean("B") - answers1_mean("B-taxa-0.1")), 6, 0, "above"),
    Quote("solucoes/01", "termina mais de cinco vezes maior que a de B",
          lambda: mean(r["history"][-1]["train_loss"] for r in answers1("B-taxa-0.1"))
          / mean(r["history"][-1]["train_loss"] for r in seeds1("B")), 5, 0, "above"),
    Quote("solucoes/01", "cuja curva de validação quase nunca desce",
          lambda: [100 * largest_drop(r) for r in seeds1("B")], 0.05, 0, "below"),
    Quote("solucoes/01", "E erra cerca de 2% das imagens",
          lambda: mean(r["errors"] for r in answers1("E")) / 100, 2, 0.2),
    Quote("solucoes/01", "e A cerca de 6%", lambda: mean(r["errors"] for r in answers1("A")) / 100,
          6, 0.5),
    Quote("solucoes/01", "está entre as cinco maiores confusões de A nas cinco sementes",
          lambda: top_five_seeds("A", (4, 9)), 5, 0),
    Quote("solucoes/01", "e entre as de E em quatro delas", lambda: top_five_seeds("E", (4, 9)),
          4, 0),
    # the answer key of notebook 2 (solucoes/02_solucoes.ipynb)
    Quote("solucoes/02", "cada semente de F leva cerca de três minutos numa CPU de dois núcleos",
          f_minutes_per_seed, 3, 0.5),
    Quote("solucoes/02", "(cerca de oito minutos por variante numa CPU de dois núcleos)",
          lambda: 3 * f_minutes_per_seed(), 8, 1),
    Quote("solucoes/02", "com o $s$ de F, cerca de 0,05 ponto",
          lambda: 100 * stdev(f_validation()), 0.05, 0.01),
    Quote("solucoes/02", "isso é pouco mais de 0,1 ponto",
          lambda: 300 * math.sqrt(1 / 3 + 1 / 5) * stdev(f_validation()), (0.1, 0.15), 0, "range"),
    Quote("solucoes/02", "F fica acima de E por bem mais que três erros-padrão da diferença",
          lambda: in_errors(f_validation(),
                            [r["val_accuracy"] for r in read("sementes_E.json")["runs"]]), 3, 0,
          "above"),
    # notebook 2's exercises 1-3 over five seeds (results/respostas_caderno2.json)
    Quote("solucoes/02", "As cinco sementes de 24 épocas de cada variante",
          lambda: [r["epochs"] for r in read("respostas_caderno2.json")["runs"]], 24, 0),
    Quote("solucoes/02", "cada semente leva de um a nove minutos numa CPU de dois núcleos",
          lambda: [r["train_seconds"] / 60 for r in read("respostas_caderno2.json")["runs"]],
          (1, 9), 0.1, "range"),
    Quote("solucoes/02", "Sem o ruído, a validação cai entre 0,1 e 0,2 ponto",
          lambda: [-p for p, _ in variant_vs_f("F-sem-ruido")], (0.1, 0.2), 0.005, "range"),
    Quote("solucoes/02", "e a diferença passa de três erros-padrão nas quatro contas",
          lambda: [-z for _, z in variant_vs_f("F-sem-ruido")], 3, 0, "above"),
    Quote("solucoes/02", "ela fica a cerca de 0,001 do piso de 0,5003",
          lambda: mean(r["last_train_loss"] for r in answers2("F-sem-ruido")) - FLOOR,
          0.001, 0.0005),
    Quote("solucoes/02", "e com ele, cerca de 0,03 acima",
          lambda: mean(r["last_train_loss"] for r in answers2("F")) - FLOOR, 0.03, 0.01),
    Quote("solucoes/02", "validação também cai entre 0,1 e 0,2 ponto",
          lambda: [-p for p, _ in variant_vs_f("F-sem-normalizacao")], (0.1, 0.2), 0.005,
          "range"),
    Quote("solucoes/02", "além de três erros-padrão nas quatro contas",
          lambda: [-z for _, z in variant_vs_f("F-sem-normalizacao")], 3, 0, "above"),
    Quote("solucoes/02", "Nenhuma semente divergiu: todas treinaram com o pico de F",
          lambda: [r["lr"] for r in answers2("F-sem-normalizacao")], 0.003, 0),
    Quote("solucoes/02", "a perda de treino da última época fica em cerca de 0,03 nas cinco",
          lambda: [r["last_train_loss"] for r in answers2("F-sem-suavizacao")], 0.03, 0.01),
    Quote("solucoes/02", "(a diferença fica abaixo de um erro-padrão)",
          lambda: [abs(z) for _, z in variant_vs_f("F-sem-suavizacao")], 1, 0, "below"),
    # the answer keys of notebooks 3 and 4 (solucoes/03_solucoes.ipynb, 04_solucoes.ipynb)
    Quote("solucoes/03", "apagar essa tinta mudou a acurácia em (a) em menos de meio ponto em cada "
          "uma das cinco sementes",
          lambda: [abs(100 * (r["sklearn (a) without the never-inked pixels"]
                              - r["sklearn"]["(a) campo inteiro"]))
                   for r in runs("sementes_caderno3.json", "preset", "E")], 0.5, 0, "below"),
    Quote("solucoes/04", "cerca de 7% dos dígitos sob a margem",
          lambda: 100 * mean(attack("F 20 epochs", "PGD margin", 0.3)), 7, 0.5),
    Quote("solucoes/04", "contra 78% sob a entropia cruzada",
          lambda: 100 * mean(attack("F 20 epochs", "PGD cross_entropy", 0.3)), 78, 0.5),
    Quote("solucoes/04", "deixa E com cerca de 28% dos dígitos",
          lambda: 100 * mean(attack("E", "FGSM", 0.1)), 28, 0.5),
    Quote("solucoes/01", "cerca de um terço dos erros",
          lambda: mean(r["errors"] for r in answers1("E"))
          / mean(r["errors"] for r in answers1("A")), 1 / 3, 0.05),
    Quote("solucoes/01", "e o 7 lido como 2 aparecem nas duas listas em parte das sementes",
          lambda: [min(top_five_seeds("A", pair), top_five_seeds("E", pair))
                   for pair in ((9, 4), (5, 3), (7, 2))], (1, 4), 0, "range"),
    Quote("solucoes/01", "o 3 lido como 5 e o 8 lido como 5 nunca estão entre os cinco "
          "maiores de E",
          lambda: [top_five_seeds("E", (3, 5)), top_five_seeds("E", (8, 5))], 0, 0),
    Quote("solucoes/01", "dos pares das listas de A, o 3 lido como 5 e o 8 lido como 5",
          lambda: [top_five_seeds("A", (3, 5)), top_five_seeds("A", (8, 5))], 0.5, 0, "above"),
    Quote("solucoes/02", "a perda de treino final de F fica cerca de 0,03 acima do seu piso",
          lambda: mean(f_above_floor()), 0.03, 0.01),
    Quote("solucoes/02", "mais de dez vezes o que somam em F",
          lambda: [0.5 / v for v in f_above_floor()], 10, 0, "above"),
    Quote("solucoes/04", "as imagens que só a margem engana passam de dez vezes as que só a "
          "entropia cruzada engana", margin_over_cross_entropy, 10, 0, "above"),
    Quote("solucoes/04", "Em E, a margem tira cerca de 9 pontos a mais",
          lambda: 100 * mean(a - b for a, b in zip(answers4("E", "FGSM cross_entropy 0.1"),
                                                   answers4("E", "FGSM margin 0.1"))), 9, 1),
    Quote("solucoes/04", "cerca de 24 pontos com $\\epsilon = 0{,}3$",
          lambda: 100 * mean(a - b for a, b in zip(answers4("F", "FGSM cross_entropy 0.3"),
                                                   answers4("F", "FGSM margin 0.3"))), 24, 1),
    Quote("solucoes/04", "O sinal ao acaso tira de E cerca de 1 ponto",
          lambda: 100 * mean(a - b for a, b in zip(answers4("E", "clean"),
                                                   answers4("E", "random sign 0.1"))), 1, 0.5),
    Quote("solucoes/04", "o FGSM, cerca de 70",
          lambda: 100 * mean(a - b for a, b in zip(answers4("E", "clean"),
                                                   answers4("E", "FGSM cross_entropy 0.1"))),
          70, 2),
    Quote("solucoes/04", "poucos centésimos dela",
          lambda: [(c - r) / (c - f) for c, r, f in zip(answers4("E", "clean"),
                                                       answers4("E", "random sign 0.1"),
                                                       answers4("E", "FGSM cross_entropy 0.1"))],
          0.05, 0, "below"),
    Quote("solucoes/04", "o ataque feito em E engana F em cerca de 3% desses dígitos",
          lambda: [100 * t["F fooled"] / t["both right, E fooled"] for t in transfer4()], 3, 0.5),
    Quote("solucoes/04", "dezenas de vezes mais que um sinal ao acaso do mesmo tamanho",
          lambda: [t["F fooled"] / t["F fooled by a random sign instead"] for t in transfer4()],
          (20, 99), 0, "range"),
    Quote("solucoes/04", "e quase sempre com o dígito errado de E",
          lambda: [t["F fooled with E's wrong digit"] / t["F fooled"] for t in transfer4()], 0.9,
          0, "above"),
    Quote("solucoes/04", "acerta cerca de 82% dos dígitos sob o FGSM com $\\epsilon = 0{,}3$",
          lambda: 100 * mean(attack("F 5 epochs", "FGSM", 0.3)), 82, 1),
    Quote("solucoes/04", "F sem treino adversarial já acerta cerca de 82% sob ele",
          lambda: 100 * mean(attack("F 5 epochs", "FGSM", 0.3)), 82, 1),
    Quote("solucoes/04", "e cerca de 2% sob o PGD pela margem (cinco sementes)",
          lambda: 100 * mean(attack("F 5 epochs", "PGD margin", 0.3)), 2, 0.5),
    # the appendix's paired comparison of J with I and H, seed 0 (results/pareado_J.json)
    Quote("ap", "I e H da semente 0 foram treinadas de novo",
          lambda: [r["seed"] for r in read("pareado_J.json")["runs"]], 0, 0),
    Quote("ap", "a rede J e a rede I diferem em cerca de 40 imagens",
          lambda: pair_with("I")["only_first"] + pair_with("I")["only_second"], 40, 3),
    Quote("ap", "e J e H em cerca de 55",
          lambda: pair_with("H")["only_first"] + pair_with("H")["only_second"], 55, 3),
    Quote("ap", "quase metade para cada lado",
          lambda: [pair_with(m)["only_first"] / (pair_with(m)["only_first"]
                                                  + pair_with(m)["only_second"]) for m in "IH"],
          0.5, 0.07),
    Quote("ap", "o valor-p fica muito acima do limiar de p ≈ 0,003",
          lambda: [pair_with(m)["p"] for m in "IH"], 0.1, 0, "above"),
    Quote("ap", "I acertou 99,31%", lambda: 100 * pair_with("I")["second_accuracy"], 99.31, 0.005),
    Quote("ap", "o mesmo número da sua leitura registrada",
          lambda: pair_with("I")["second_accuracy"] - runs("longo_I.json", "seed", 0)[0][
              "test_accuracy"], 0, 1e-9),
    Quote("ap", "a H, 99,24%", lambda: 100 * pair_with("H")["second_accuracy"], 99.24, 0.005),
    Quote("ap", "contra 99,26% na sua",
          lambda: 100 * runs("longo_H.json", "seed", 0)[0]["test_accuracy"], 99.26, 0.005),
    # the appendix's model J (results/longo_J.json), read once
    Quote("ap", "J ficou abaixo da meta, por cerca de 0,04 ponto",
          lambda: 99.36 - 100 * mean(long_tests("longo_J.json")), 0.04, 0.01),
    Quote("ap", "um $s$ de cerca de 0,02 ponto",
          lambda: 100 * stdev(long_tests("longo_J.json")), 0.02, 0.01),
    Quote("ap", "J erra menos que H por cerca de 0,06 ponto",
          lambda: 100 * (mean(long_tests("longo_J.json")) - mean(long_tests("longo_H.json"))),
          0.06, 0.01),
    Quote("ap", "a menos de três erros-padrão da diferença (z perto de 2,9)",
          lambda: in_errors(long_tests("longo_J.json"), long_tests("longo_H.json")), 2.9,
          0.1),
    Quote("ap", "De I, J não se distingue, pela mesma regra, nem nestas imagens",
          lambda: abs(in_errors(long_tests("longo_J.json"), long_tests("longo_I.json"))), 3,
          0, "below"),
    Quote("ap", "Em dígitos novos, J é compatível com H, com I",
          lambda: [abs(z_new_digits_runs(long_tests("longo_J.json"), long_tests(f"longo_{n}.json")))
                   for n in "HI"], 3, 0, "below"),
    Quote("ap", "e com os dois melhores resultados publicados, o VAT e a Ladder",
          lambda: [abs(z_new_digits(long_tests("longo_J.json"), p)) for p in (0.9936, 0.9943)], 3,
          0, "below"),
    Quote("ap", "G, H, I e J são compatíveis com todos os resultados da tabela com erro de 0,95%",
          lambda: [abs(z_new_digits(long_tests(f"longo_{n}.json"), p)) for n in "GHIJ"
                   for p in (0.9905, 0.9906, 0.9922, 0.9920, 0.9936, 0.9943)], 3, 0, "below"),
    Quote("ap", "também ficou abaixo da meta, por pouco",
          lambda: 99.36 - 100 * mean(long_tests("longo_J.json")), (0, 0.1), 0, "range"),
    Quote("ap", "pela regra das sementes, não se distingue de I nem de H",
          lambda: [abs(in_errors(long_tests("longo_J.json"), long_tests(f"longo_{n}.json")))
                   for n in "HI"], 3, 0, "below"),
]

# Sentences that name the seeds of results/ beside a number that is not a measurement from it.
NOT_QUOTES = [
    # the answer key of notebook 2: what the cells read, and the exercise's own numbers
    "As cinco sementes de F da seção 2 estão em `results/validacao_F.json`",
    "Um exemplo da conta com números fixos, antes de treinar",
    "a resposta pede as três sementes de 24 épocas e a mesma conta.",
    "A última época de um treino curto não é a de 24",
    "Antes de treinar, dá para saber o tamanho do que é detectável",
    # the answer key of notebook 1: the exercise, and cells that announce what the code reads
    "quanto isso rendeu nas dez sementes de `results/`?",
    "Três treinos, com as sementes $3k$, $3k + 1$ e $3k + 2$",
    "As cinco sementes de C com lotes de 256, em `results/respostas_caderno1.json`",
    "As cinco sementes de B com taxa 0,1 em `results/respostas_caderno1.json`",
    "Cinco sementes da receita escolhida (24 épocas de 50.000 imagens",
    "A tabela dá a média das sementes com o intervalo de 95% do teste",
    "perto de 99%, o seu intervalo de 95% tem cerca de ±0,2 ponto",
    "Treine F sem o ruído",
    "Três sementes de G e de H treinaram então nas 60.000 imagens",
    "para distinguir 0,74% de erro de", "**A régua sem sementes.**",
]

NOTEBOOKS = {notebook_key(p): p for p in ALL_NOTEBOOKS}


def prose(path):
    """The notebook's markdown (listings excluded), spaces and line breaks normalised."""
    nb = nbformat.read(path, as_version=4)
    return [" ".join(c.source.split()) for c in nb.cells
            if c.cell_type == "markdown" and "listing" not in c.metadata]


def holds(quote):
    """(holds, the value as computed)."""
    value = quote.value()
    values = value if isinstance(value, list) else [value]
    if quote.kind == "about":
        return all(abs(v - quote.quoted) <= quote.tolerance + 1e-12 for v in values), value
    if quote.kind == "above":
        return all(v > quote.quoted for v in values), value
    if quote.kind == "below":
        return all(v < quote.quoted for v in values), value
    low, high = quote.quoted
    return all(low - quote.tolerance <= v <= high + quote.tolerance for v in values), value


def problems():
    """Every quote that fails its file or left its notebook, and every unregistered quote."""
    found = []
    texts = {key: " ".join(prose(path)) for key, path in NOTEBOOKS.items()}
    for quote in QUOTES:
        if quote.words not in texts[quote.notebook]:
            found.append(f"{quote.notebook}: the words {quote.words!r} are not in the notebook")
            continue
        ok, value = holds(quote)
        if not ok:
            found.append(f"{quote.notebook}: {quote.words!r} quotes {quote.quoted}, the file "
                         f"gives {value}")
    for key, path in NOTEBOOKS.items():
        for cell in prose(path):
            for sentence in re.split(r"(?<=[.;])\s+", cell):
                names_seeds = re.search(r"sementes|results/", sentence)
                # counts of images (10.000) and years (2017) are not measurements
                bare = re.sub(r"\b\d{1,3}(\.\d{3})+\b|\b(19|20)\d{2}\b", "", sentence)
                has_number = re.search(r"\d+,\d+|\d+\s?%|\b\d{2,}\b", bare)
                covered = any(q.words in sentence or sentence in q.words for q in QUOTES
                              if q.notebook == key) or any(n in sentence for n in NOT_QUOTES)
                if names_seeds and has_number and not covered:
                    found.append(f"{path.name}: a number beside the seeds of results/ that "
                                 f"tools/quotes.py does not check: {sentence[:120]!r}")
    return found


def main():
    for quote in QUOTES:
        ok, value = holds(quote)
        shown = [round(v, 4) for v in value] if isinstance(value, list) else round(value, 4)
        print(f"{'ok ' if ok else 'BAD'} {quote.notebook} {quote.words[:70]!r}: {shown}")
    bad = problems()
    for line in bad:
        print(line, file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
