# ruff: noqa: E501  (the docstring holds whole commands, one per line)
"""A stronger PGD against notebook 4's adversarially trained F: the committed results/pgd_forte_caderno4.json.

    python -m mnist_mlp train F --seeds 5 6 7 8 9 --no-validation --epochs 5 --adversarial 0.1 --out build/runs-referencia/caderno4/adversarial
    python -m mnist_mlp train F --seeds 5 6 7 8 9 --no-validation --epochs 5 --out build/runs-referencia/caderno4/cinco-epocas
    python -m tools.strong_pgd build/runs-referencia/caderno4/*/F-seed? --out results/pgd_forte_caderno4.json

(`make references` trains these runs for the failure budget's second half; this tool reads them.)

A model trained against a one-step attack can learn to mask its gradient rather than resist
(Kurakin et al. 2017; Tramer et al. 2018); a longer attack with several random starts reveals
it. On the first IMAGES test images, with eps 0.1 and the margin loss, each model is attacked
by notebook 4's PGD (PGD_STEPS steps, one start) and by a stronger one (STRONG_STEPS steps of
the same path length 2.5 eps, from RESTARTS starts: an image counts as read right only if it
survives every start). Nothing is chosen from these figures.
"""
import torch

from mnist_mlp.attacks import PGD_STEPS, pgd
from mnist_mlp.cpu import flush_denormals
from mnist_mlp.data import MNIST, batch_loader
from mnist_mlp.runs import load_run
from tools.references import arguments, write_runs

EPS, IMAGES, STRONG_STEPS, RESTARTS = 0.1, 1000, 100, 5


def survivors(model, X, y, steps, generator):
    """Which images the model still reads right after one PGD by the margin from one start."""
    X_adv = pgd(model, X, y, EPS, steps=steps, loss="margin", generator=generator)
    with torch.no_grad():
        return model(X_adv).argmax(dim=1) == y


def measure(run_dir, X, y):
    config, _, model = load_run(run_dir)
    model.eval()
    generator = torch.Generator().manual_seed(config["seed"])
    with torch.no_grad():
        clean = model(X).argmax(dim=1) == y
    weak = survivors(model, X, y, PGD_STEPS, generator)
    strong = clean.clone()
    for _ in range(RESTARTS):
        strong &= survivors(model, X, y, STRONG_STEPS, generator)
    return {"run": f"{run_dir.parent.name}/{run_dir.name}", "seed": config["seed"],
            "adversarial": config["adversarial"], "images": len(y),
            "clean": clean.double().mean().item(),
            f"PGD margin {PGD_STEPS} steps, 1 start": weak.double().mean().item(),
            f"PGD margin {STRONG_STEPS} steps, {RESTARTS} starts": strong.double().mean().item(),
            "every attack tried": (weak & strong).double().mean().item(),
            "lost to the stronger attack": int((weak & ~strong).sum()),
            "survived it only": int((strong & ~weak).sum())}


def main(argv=None):
    args = arguments(__doc__, argv)
    flush_denormals()
    X, y = next(iter(batch_loader(MNIST(batch_size=IMAGES).test, IMAGES)))
    write_runs(args.out, __doc__, [measure(d, X, y) for d in sorted(args.run_dirs)],
               attack={"eps": EPS, "images": IMAGES, "loss": "margin", "steps": STRONG_STEPS,
                       "restarts": RESTARTS, "path": "2.5 eps"})


if __name__ == "__main__":
    main()
