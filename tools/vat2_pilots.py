# ruff: noqa: E501  (the docstring holds whole commands, one per line)
"""Protocol 2's pilots (docs/vat.md, "A second protocol"), read and chosen by its registered rule.

    python -m mnist_mlp train H --epochs 24 --val-split 10000 --seed 0 --vat EPS --vat-iterations K --noise NOISE [--vat-xi XI] --out runs/vat2-pilotos/NAME
    python -m tools.vat2_pilots runs/vat2-pilotos/*/H-seed0 --out results/vat2_pilotos.json

(the nine pilots of step 3: eps 1, 2, 4 with one power iteration, noise 0 and 0.3; eps 2 with two
iterations; the control with neither noise nor VAT; I's term as it ran, xi 1e-6.)

Validation only: each pilot's trained network is read on the 10,000 validation images of
`--val-split 10000` (the test set is never loaded). The rule, as registered: among the VAT pilots
(xi 1e-3), the leader has the highest validation accuracy; a pilot whose McNemar test against the
leader gives p >= 0.05 is tied with it; among the tied, the simplest wins: one power iteration
before two, no noise before noise, then eps closest to 2.0. The control and the random-direction
pilot are not candidates: each is compared with the chosen pilot the same way.
"""
import sys
from pathlib import Path

from mnist_mlp import MNIST
from mnist_mlp.cpu import flush_denormals
from mnist_mlp.data import batch_loader
from mnist_mlp.evaluation import correct, mcnemar
from mnist_mlp.runs import load_run
from tools.references import arguments, write_runs

CHOSEN_XI = 1e-3  # the protocol's step 1
TIE_P = 0.05


def kind(config):
    """'VAT', 'control' (neither noise nor VAT) or 'random direction' (I's xi)."""
    if config["vat"] == 0:
        return "control"
    return "VAT" if config["vat_xi"] == CHOSEN_XI else "random direction"


def simplicity(row):
    """The registered order among tied pilots: fewer iterations, no noise, eps nearest 2."""
    return (row["vat_iterations"], row["noise"] > 0, abs(row["vat"] - 2.0))


def choose(rows, right):
    """The leader, the tied pilots and the choice, by the registered rule; right: run -> the
    per-image correctness on the validation images."""
    candidates = [r for r in rows if r["kind"] == "VAT"]
    leader = max(candidates, key=lambda r: r["val_accuracy"])
    for r in rows:
        if r is not leader:
            only_r, only_leader, p = mcnemar(right[r["run"]], right[leader["run"]])
            r["mcnemar against the leader (pilot only, leader only, p)"] = [only_r, only_leader, p]
    tied = [leader] + [r for r in candidates if r is not leader
                       and r["mcnemar against the leader (pilot only, leader only, p)"][2] >= TIE_P]
    chosen = min(tied, key=simplicity)
    for r in rows:
        if r["kind"] != "VAT":
            r["mcnemar against the choice (pilot only, choice only, p)"] = list(
                mcnemar(right[r["run"]], right[chosen["run"]]))
    return {"leader": leader["run"], "tied with the leader": [r["run"] for r in tied],
            "chosen": chosen["run"], "rule": __doc__.split("\n\n")[3].replace("\n", " ")}


def main(argv=None):
    args = arguments(__doc__, argv)
    flush_denormals()
    data = MNIST(batch_size=1000, val_split=10_000)
    batches = list(batch_loader(data.val, 1000))
    rows, right = [], {}
    for run_dir in sorted(args.run_dirs):
        config, metrics, model = load_run(run_dir)
        name = Path(run_dir).parent.name
        right[name] = correct(model, batches)
        rows.append({"run": name, "kind": kind(config), "vat": config["vat"],
                     "vat_iterations": config["vat_iterations"], "vat_xi": config["vat_xi"],
                     "noise": config["noise"], "epochs": config["epochs"], "seed": config["seed"],
                     "val_accuracy": float(right[name].double().mean()),
                     "val_accuracy as train recorded": metrics["val_accuracy"],
                     "train_seconds": metrics["train_seconds"]})
    choice = choose(rows, right)
    write_runs(args.out, __doc__, rows, choice=choice)
    for r in sorted(rows, key=lambda r: -r["val_accuracy"]):
        print(f"{r['run']:24} {r['kind']:16} {r['val_accuracy']:.4f}",
              r.get("mcnemar against the leader (pilot only, leader only, p)", "leader"))
    print("chosen:", choice["chosen"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
