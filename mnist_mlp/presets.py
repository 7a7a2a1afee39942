"""Named configurations: models A-E of the original notebook, model F of the second one,
G and H, F's recipe trained 5 and 15 times as long (docs/results.md, "How far a plain MLP goes"),
I, H's with the virtual-adversarial term as it first ran, and J, H's with VAT as the paper
computes it (docs/vat.md)."""
from .config import Config

# Model F (notebook 2): five batch-normalised hidden layers with Gaussian noise on the inputs
# and every hidden layer (the architecture and noise scheme of the supervised baseline of
# Rasmus et al. 2015, whose noise is 0.5), AdamW with weight decay, a one-cycle learning rate
# and label smoothing, and, as in Rasmus et al.'s code, batch statistics recomputed on the
# clean training images after training; chosen on a held-out validation split
# (docs/results.md). 24 epochs of 50,000 images = 20 of 60,000.
_F = Config(hidden_sizes=(1000, 500, 250, 250, 250), af="relu", optimizer="adamw", lr=0.003,
            batch_norm=True, noise=0.3, weight_decay=0.05, schedule="onecycle",
            label_smoothing=0.1, batch_size=256, epochs=24, clean_statistics=True)
_H = _F.replace(batch_size=128, epochs=150)  # model H below; model I starts from it

class Presets(dict):
    """The presets by name; a name not among them is a KeyError that lists them (the command
    line also takes 'c' for 'C')."""

    def __missing__(self, name):
        upper = name.upper() if isinstance(name, str) else None
        hint = f" (upper case: {upper!r})" if upper in self else ""
        raise KeyError(f"no preset {name!r}{hint}; the presets are {', '.join(self)}")


PRESETS = Presets({
    # The original's five models: batch 64, 10 epochs (Config's defaults).
    "A": Config(hidden_sizes=(128,), af="sigmoid", optimizer="sgd", lr=0.1),
    "B": Config(hidden_sizes=(128,), af="sigmoid", optimizer="adam", lr=0.001),
    "C": Config(hidden_sizes=(128,), af="relu", optimizer="adam", lr=0.001),
    "D": Config(hidden_sizes=(256,), af="relu", optimizer="adam", lr=0.001),
    "E": Config(hidden_sizes=(256, 256), af="relu", optimizer="adam", lr=0.001),
    "F": _F,
    # Model G: F's recipe for 100 epochs of all 60,000 images (~15 min per
    # seed on a 2-core CPU), chosen with 120 epochs of 50,000 on the held-out split
    # (results/validacao_G.json); train it with --no-validation (make long LONG=G).
    "G": _F.replace(epochs=100),
    # Model H: F's recipe with three times G's steps, batch 128 for 150 epochs of 60,000 (the
    # length of Rasmus et al.'s baseline; ~23 min per seed), chosen with 180 epochs of 50,000
    # on the held-out split (results/validacao_H.json); train it with --no-validation (make long).
    "H": _H,
    # Model I: H with virtual adversarial training (eps 2.0 in L2 over the 784 pixels, xi 1e-6,
    # one power iteration) and no Gaussian noise, chosen on the held-out split by the protocol
    # registered before any run (docs/vat.md, results/vat_pilotos.json, results/validacao_I.json);
    # ~30 min per seed on a 2-core Intel Xeon. Train it with --no-validation (make long LONG=I).
    # Its xi is kept as it ran: in float32, 1e-6 gives a direction of rounding, not VAT's
    # (results/vat_xi.json), and its runs used the VAT term before p came from a clean pass.
    "I": _H.replace(noise=0.0, vat=2.0, vat_xi=1e-6),
    # Model J: H with virtual adversarial training as Miyato et al. compute it (p from a clean
    # pass, the perturbed passes without noise and with batch norm's statistics untouched, xi
    # 1e-3, one power iteration, eps 2.0) and no Gaussian noise, chosen on the held-out split by
    # the second protocol registered before any of its runs (docs/vat.md,
    # results/vat2_pilotos.json); at full length (180 epochs of 50,000) 99.21 % on
    # validation (results/validacao_J.json). Train it with --no-validation (make long LONG=J).
    "J": _H.replace(noise=0.0, vat=2.0),
})
