# ruff: noqa: E501  (the docstring holds whole commands, one per line)
"""The answer key of notebook 4 over several seeds: the committed results/respostas_caderno4.json.

    python -m mnist_mlp train E --seeds 0 1 2 3 4 --val-split 10000 --out runs/caderno3
    python -m mnist_mlp train F --seeds 0 1 2 3 4 --no-validation --epochs 20 --out runs/caderno3
    python -m tools.notebook4_answers runs/caderno3/*-seed[0-4] --out results/respostas_caderno4.json

(The runs are notebook 3's references, which `make references` trains into build/; `make
respostas` then runs this tool on seeds 0-4.) For each seed N, notebook 2's E and F of that seed
on the 10,000 test images, as exercises 1-3 of notebook 4 ask: FGSM with the cross-entropy and
with the margin at eps 0.1 and 0.3, with McNemar's paired count of the images only one of the two
fools; a random sign of the same size at eps 0.1 (exercise 2); and E's PGD by the margin (eps 0.1,
20 steps) read by F (exercise 3): of the images both read right and the attack makes E get wrong,
how many F gets wrong, how many with E's wrong digit, and how many a random sign makes F get wrong.
"""
import sys
from pathlib import Path

import torch

from mnist_mlp import MNIST
from mnist_mlp.attacks import fgsm, pgd
from mnist_mlp.cpu import flush_denormals
from mnist_mlp.data import batch_loader
from mnist_mlp.evaluation import mcnemar
from mnist_mlp.runs import load_run
from tools.references import arguments, write_runs


def random_sign(model, X, y, eps):
    """Notebook 4's exercise 2: each pixel eps up or down, the sign drawn."""
    return (X + eps * torch.randn_like(X).sign()).clamp(0, 1)


def answers(model, batches, attack, eps, **options):
    """(per-image answers under `attack`, the attacked images)."""
    found, images = [], []
    for X, y in batches:
        X_adv = attack(model, X, y, eps, **options)
        with torch.no_grad():
            found.append(model(X_adv).argmax(dim=1))
        images.append(X_adv)
    return torch.cat(found), torch.cat(images)


def read(model, images):
    with torch.no_grad():
        return torch.cat([model(X).argmax(dim=1) for X in images.split(1000)])


def measure_pair(e_dir, f_dir, batches, y):
    models = {}
    for name, run_dir in (("E", e_dir), ("F", f_dir)):
        config, _, model = load_run(run_dir)
        models[name] = model.eval()
        seed = config["seed"]
    row = {"runs": [f"{Path(d).parent.name}/{Path(d).name}" for d in (e_dir, f_dir)],
           "seed": seed}
    clean = {name: read(m, torch.cat([X for X, _ in batches])) == y for name, m in models.items()}
    for name, model in models.items():
        measures = {"clean": float(clean[name].double().mean())}
        for eps in (0.1, 0.3):
            right = {loss: answers(model, batches, fgsm, eps, loss=loss)[0] == y
                     for loss in ("cross_entropy", "margin")}
            for loss, r in right.items():
                measures[f"FGSM {loss} {eps}"] = float(r.double().mean())
            measures[f"FGSM {eps}: only the margin fools, only the cross-entropy fools, p"] = list(
                mcnemar(right["cross_entropy"], right["margin"]))
        torch.manual_seed(seed)
        measures["random sign 0.1"] = float((answers(model, batches, random_sign, 0.1)[0] == y)
                                            .double().mean())
        row[name] = measures
    torch.manual_seed(seed)
    e_wrong, X_adv = answers(models["E"], batches, pgd, 0.1, steps=20, loss="margin")
    f_reads = read(models["F"], X_adv)
    base = clean["E"] & clean["F"] & (e_wrong != y)
    torch.manual_seed(seed)
    _, X_random = answers(models["E"], batches, random_sign, 0.1)
    row["transfer, E's PGD margin 0.1 read by F"] = {
        "both right, E fooled": int(base.sum()),
        "F fooled": int((base & (f_reads != y)).sum()),
        "F fooled with E's wrong digit": int((base & (f_reads != y) & (f_reads == e_wrong)).sum()),
        "F fooled by a random sign instead": int((base & (read(models["F"], X_random) != y)).sum())}
    return row


def main(argv=None):
    args = arguments(__doc__, argv)
    flush_denormals()
    batches = list(batch_loader(MNIST(batch_size=1000).test, 1000))
    y = torch.cat([labels for _, labels in batches])
    by_seed = {}
    for run_dir in sorted(args.run_dirs):
        config, _, _ = load_run(run_dir)
        by_seed.setdefault(config["seed"], {})[config["preset"]] = run_dir
    rows = [measure_pair(pair["E"], pair["F"], batches, y)
            for _, pair in sorted(by_seed.items()) if {"E", "F"} <= set(pair)]
    write_runs(args.out, __doc__, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
