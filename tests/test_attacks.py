"""The attacks against references: for a linear model, FGSM's first-order loss increase and the
smallest flipping eps are known in closed form; PGD stays in its ball; bad input is refused."""
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from mnist_mlp.attacks import (
    accuracy_under_attack,
    fgsm,
    loss_gradient,
    pgd,
    smallest_flip,
    unit,
    virtual_adversarial_loss,
)
from mnist_mlp.presets import PRESETS


def linear(classes=10, seed=0):
    """A linear model in float64, in evaluation mode, as the attacks expect."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, classes)).double().eval()


def images(n=8, low=0.4, high=0.6, seed=1):
    """Images away from 0 and 1, so that no clamp binds for a small eps."""
    generator = torch.Generator().manual_seed(seed)
    return low + (high - low) * torch.rand(n, 1, 28, 28, generator=generator, dtype=torch.float64)


def test_fgsm_loss_increase_is_eps_times_gradient_l1_norm_to_first_order():
    model, X, y = linear(), images(), torch.arange(8)
    eps = 1e-5
    gradient = loss_gradient(model, X, y)
    before = F.cross_entropy(model(X), y, reduction="none")
    after = F.cross_entropy(model(fgsm(model, X, y, eps)), y, reduction="none")
    expected = eps * gradient.flatten(1).abs().sum(dim=1)
    torch.testing.assert_close(after - before, expected, rtol=1e-3, atol=0)


def test_fgsm_moves_every_pixel_by_eps_inside_the_range_and_clamps_at_its_ends():
    model, y = linear(), torch.arange(8)
    X = images()
    assert torch.allclose((fgsm(model, X, y, 0.1) - X).abs(), torch.full_like(X, 0.1))
    X = torch.cat([torch.zeros(4, 1, 28, 28), torch.ones(4, 1, 28, 28)]).double()
    X_adv = fgsm(model, X, y, 0.3)
    assert X_adv.min() >= 0 and X_adv.max() <= 1
    assert (X_adv - X).abs().max() <= 0.3 + 1e-12


def test_the_gradient_is_per_image_and_leaves_the_weights_alone():
    model, X, y = linear(), images(), torch.arange(8)
    whole = loss_gradient(model, X, y)
    assert torch.allclose(loss_gradient(model, X[:1], y[:1]), whole[:1])  # no 1/batch factor
    assert all(p.grad is None for p in model.parameters())


def test_pgd_on_a_two_class_linear_model_ends_where_fgsm_does():
    # The loss's gradient for two classes keeps one sign pattern (w1 - w0): every step moves
    # toward the same corner of the box, which PGD's 2.5 eps of travel reaches from any start.
    model, X, y = linear(classes=2), images(), torch.arange(8) % 2
    generator = torch.Generator().manual_seed(0)
    torch.testing.assert_close(pgd(model, X, y, 0.05, generator=generator), fgsm(model, X, y, 0.05))


def test_pgd_stays_in_its_ball_and_hurts_a_small_network_at_least_as_much_as_fgsm():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10)).eval()
    X, y = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
    X_pgd = pgd(model, X, y, 0.1, steps=20, generator=torch.Generator().manual_seed(0))
    assert (X_pgd - X).abs().max() <= 0.1 + 1e-6 and X_pgd.min() >= 0 and X_pgd.max() <= 1
    loss = {name: F.cross_entropy(model(Z), y).item()
            for name, Z in (("clean", X), ("fgsm", fgsm(model, X, y, 0.1)), ("pgd", X_pgd))}
    assert loss["clean"] < loss["fgsm"] <= loss["pgd"]


def test_smallest_flip_finds_the_margin_over_the_gradients_l1_norm():
    # Two classes, linear: FGSM lowers the margin (w_top - w_other)·x + b by eps ‖w_top − w_other‖₁.
    model, X = linear(classes=2), images(n=1)
    layer = model[1]
    with torch.no_grad():
        scores = model(X)[0]
    top = int(scores.argmax())
    margin = float(scores[top] - scores[1 - top])
    expected = margin / float((layer.weight[top] - layer.weight[1 - top]).detach().abs().sum())
    assert 0 < expected < 0.4  # the clamp never binds: X is in [0.4, 0.6]
    eps, X_adv, before, after = smallest_flip(model, X[0, 0], most=0.4, tolerance=1e-4)
    assert (before, after) == (top, 1 - top)
    assert expected <= eps <= expected + 1e-4
    assert X_adv.shape == (28, 28)


def test_smallest_flip_is_none_when_even_the_largest_eps_keeps_the_answer():
    model = linear(classes=2)
    with torch.no_grad():
        model[1].weight.zero_()
        model[1].bias.copy_(torch.tensor([5.0, 0.0]))
    assert smallest_flip(model, images(n=1)[0, 0]) is None


def test_accuracy_under_attack_at_zero_is_the_clean_accuracy_and_falls_with_eps():
    torch.manual_seed(0)
    model = linear(classes=2)
    X = images(n=200, low=0.0, high=1.0)
    y = (model(X).argmax(dim=1) + (torch.arange(200) % 10 == 0)) % 2  # 90 % right
    batches = [(X[:100], y[:100]), (X[100:], y[100:])]
    accuracies = [accuracy_under_attack(model, batches, fgsm, eps) for eps in (0, 0.002, 0.05)]
    assert accuracies[0] == pytest.approx(0.9)
    assert accuracies[0] > accuracies[1] > accuracies[2]


@pytest.mark.parametrize("eps", [-0.1, 1.5, float("nan"), True, "0.1"])
def test_a_bad_eps_is_one_clear_error(eps):
    with pytest.raises(ValueError, match=r"^eps must be in \[0, 1\] \(pixel intensity\)"):
        fgsm(linear(), images(), torch.arange(8), eps)


@pytest.mark.parametrize("attack", [fgsm, pgd])
def test_a_model_in_training_mode_is_refused(attack):
    model = PRESETS["F"].model()  # noise and batch statistics: another function at each call
    with pytest.raises(ValueError, match="training mode.*call model.eval\\(\\) first"):
        attack(model, torch.rand(4, 1, 28, 28), torch.arange(4), 0.1)
    assert model.training  # the mode is the caller's to change


def test_images_outside_zero_one_are_refused():
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        fgsm(linear(), images() * 255, torch.arange(8), 0.1)


@pytest.mark.parametrize("options, message", [({"steps": 0}, "steps"),
                                              ({"step_size": -1.0}, "step_size")])
def test_pgd_refuses_bad_steps(options, message):
    with pytest.raises(ValueError, match=f"^{message} must be"):
        pgd(linear(), images(), torch.arange(8), 0.1, **options)


def test_the_virtual_adversarial_direction_is_the_top_eigenvector_of_the_divergences_curvature():
    # For a linear model the divergence's Hessian in x is W^T (diag(p) - p p^T) W; many power
    # iterations from a random start find its top eigenvector, and r has norm eps.
    model, X = linear(classes=3), images(n=1)
    W = model[1].weight.detach()
    p = torch.softmax(model(X), dim=1)[0]
    hessian = W.T @ (torch.diag(p) - torch.outer(p, p)) @ W
    top = torch.linalg.eigh(hessian).eigenvectors[:, -1]
    captured = {}

    def spy(module, inputs, output):
        captured["x"] = inputs[0].detach()

    model[1].register_forward_hook(spy)
    torch.manual_seed(0)
    virtual_adversarial_loss(model, X, eps=0.5, xi=1e-3, iterations=30)
    r = captured["x"] - X.flatten(1)
    assert r.norm().item() == pytest.approx(0.5)
    assert abs(torch.dot(unit(r)[0], top).item()) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("option", [{"vat": 1.0}, {"adversarial": 0.1}])
def test_an_adversarial_term_is_added_to_the_training_loss_and_the_model_trains(option):
    from tiny import TinyData

    from mnist_mlp.experiment import fit, set_seed

    set_seed(0)
    model = PRESETS["F"].replace(hidden_sizes=(32, 32), epochs=2, **option).model()
    fit(model, TinyData(), max_epochs=2)
    assert model.history.column("val_acc")[-1] > 0.9
    model.train()
    X = torch.rand(16, 1, 28, 28)
    assert model.penalty((X, torch.zeros(16, dtype=torch.long)), model(X)).item() >= 0
    assert PRESETS["F"].model().penalty((X, None), None) is None  # off by default


def test_the_margin_loss_gradient_is_the_difference_of_two_weight_rows_for_a_linear_model():
    model, X = linear(classes=3), images(n=4)
    y = torch.tensor([0, 1, 2, 0])
    W = model[1].weight.detach()
    with torch.no_grad():
        scores = model(X).masked_fill(F.one_hot(y, 3).bool(), -float("inf"))
    expected = W[scores.argmax(dim=1)] - W[y]
    torch.testing.assert_close(loss_gradient(model, X, y, "margin").flatten(1), expected)


def test_an_unknown_loss_is_refused():
    with pytest.raises(ValueError, match="^loss='hinge' is not supported"):
        pgd(linear(), images(), torch.arange(8), 0.1, loss="hinge")


def test_the_adversarial_term_is_the_loss_on_the_fgsm_images_of_the_batch():
    model = PRESETS["F"].replace(hidden_sizes=(16,), noise=0.0, adversarial=0.2).model().double()
    model.eval()  # no noise, running statistics: the term is a fixed function of the batch
    X, y = images(n=8), torch.arange(8)
    expected = F.cross_entropy(model(fgsm(model, X, y, 0.2)), y)
    torch.testing.assert_close(model.penalty((X, y), model(X)), expected)


def test_numpy_scalars_are_numbers_and_a_negative_vat_radius_is_refused():
    import numpy as np

    from mnist_mlp.attacks import fgsm, virtual_adversarial_loss

    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10)).eval()
    X, y = torch.rand(2, 1, 28, 28), torch.tensor([1, 2])
    assert fgsm(model, X, y, np.float32(0.1)).shape == X.shape  # was refused: "not a number"
    with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
        virtual_adversarial_loss(model, X, -1.0)  # was accepted
    with pytest.raises(ValueError, match="iterations must be a positive integer"):
        virtual_adversarial_loss(model, X, 1.0, iterations=0)


def _deep_batch_norm_network():
    """Preset I's network (784-1000-500-250-250-250-10, batch norm), in training mode."""
    torch.manual_seed(0)
    return PRESETS["I"].model().train()


def test_vats_passes_draw_no_noise_and_leave_the_running_statistics_alone():
    # Before: p came from the training step's noisy scores and every perturbed pass drew fresh
    # noise (two calls from one start differed) and moved batch norm's running statistics.
    model = PRESETS["F"].replace(hidden_sizes=(32, 16)).model().train()  # noise 0.3, batch norm
    X = torch.rand(16, 1, 28, 28)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    values = [virtual_adversarial_loss(model, X, 2.0, xi=1e-2,
                                       generator=torch.Generator().manual_seed(1))
              for _ in range(2)]
    assert values[0].item() == values[1].item() > 0
    for key, value in model.state_dict().items():  # running means, variances, batch counts
        assert torch.equal(value, state[key]), key
    assert all(m.training for m in model.modules())  # the noise is on again for the step


def test_the_float32_direction_at_the_default_xi_is_the_float64_one():
    # On a deep float32 batch-norm network in training mode, one power iteration from the same
    # start in float32 and in float64: at Config's xi the directions agree; at I's 1e-6 the
    # float32 one is rounding (docs/vat.md, results/vat_xi.json).
    import copy

    from mnist_mlp.attacks import vat_direction
    from mnist_mlp.config import Config

    model = _deep_batch_norm_network()
    wide = copy.deepcopy(model).double()
    X = torch.rand(64, 1, 28, 28)

    def cosines(xi):
        found = []
        for net, images in ((model, X), (wide, X.double())):
            with net.vat_passes():
                found.append(vat_direction(net, images, xi, 1,
                                           generator=torch.Generator().manual_seed(0)))
        return (found[0].double() * found[1]).flatten(1).sum(dim=1)

    default = cosines(Config().vat_xi)
    assert default.median() >= 0.99 and default.quantile(0.1) >= 0.9
    assert cosines(1e-6).median() < 0.5


@pytest.mark.parametrize("X, message", [
    (images() * 255, r"must be in \[0, 1\]"),  # 0-255 pixels: a divergence of another input
    (torch.arange(8), "one image per row"),  # labels passed as images: an IndexError before
    (images().float(), "non-empty torch.float64 tensor"),  # the model's dtype, as fgsm's rule
])
def test_the_virtual_adversarial_loss_refuses_what_fgsm_refuses(X, message):
    with pytest.raises(ValueError, match=message):
        virtual_adversarial_loss(linear(), X, 1.0)
