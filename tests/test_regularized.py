"""Model F's MLP: the original's layers plus batch norm, noise, dropout, schedules."""
import copy
from types import SimpleNamespace

import pytest
import torch
from tiny import TinyData
from torch import nn

from mnist_mlp import MLP, ConfigError, evaluate_accuracy
from mnist_mlp.experiment import fit, set_seed
from mnist_mlp.regularized import GaussianNoise, RegularizedMLP


def test_with_every_option_off_it_is_the_original_mlp():
    torch.manual_seed(0)
    plain = MLP(10, [32, 16], 0.1, af="relu")
    torch.manual_seed(0)
    extended = RegularizedMLP(10, [32, 16], 0.1, af="relu")
    assert [type(a) for a in plain.net] == [type(b) for b in extended.net]
    for a, b in zip(plain.parameters(), extended.parameters(), strict=True):
        assert torch.equal(a, b)
    X = torch.rand(4, 1, 28, 28)
    torch.testing.assert_close(plain(X), extended(X), rtol=0, atol=0)
    assert type(extended.configure_optimizers()) is torch.optim.SGD
    assert extended.scheduler is None


def test_batch_norm_sits_between_product_and_activation_and_replaces_the_bias():
    net = RegularizedMLP(10, [32, 16], 0.1, af="relu", batch_norm=True, dropout=0.1).net
    assert [type(layer) for layer in net] == [
        nn.Flatten, nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Dropout,
        nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Dropout, nn.Linear]
    assert net[1].bias is None and net[5].bias is None and net[9].bias is not None
    assert net[4].p == 0.1


def test_noise_goes_on_the_inputs_and_on_each_normalised_product():
    net = RegularizedMLP(10, [32, 16], 0.1, af="relu", batch_norm=True, noise=0.3).net
    assert [type(layer).__name__ for layer in net] == [
        "Flatten", "GaussianNoise", "Linear", "BatchNorm1d", "GaussianNoise", "ReLU",
        "Linear", "BatchNorm1d", "GaussianNoise", "ReLU", "Linear"]


@pytest.mark.parametrize("name, bad", [
    ("af", "tanh"), ("optimizer", "rmsprop"), ("batch_norm", "yes"), ("noise", -0.5),
    ("dropout", 1.0), ("weight_decay", -1), ("schedule", "cosine"), ("label_smoothing", 1.0),
    ("clean_statistics", "no"),
])
def test_each_option_is_checked_by_its_rule(name, bad):
    """The wiring: each of F's options reaches its rule (tests/test_checks.py holds the rules)."""
    with pytest.raises(ConfigError, match=f"^{name}"):
        RegularizedMLP(10, [8], 0.1, **{name: bad})


def _first_products(model, batches):
    """The first hidden layer's products (before batch normalisation), batch by batch."""
    with torch.no_grad():
        return [model.net[2](model.net[0](X)) for X in batches]  # Flatten, (noise), Linear


def test_clean_statistics_are_the_mean_of_the_clean_batches_statistics():
    torch.manual_seed(0)
    model = RegularizedMLP(10, [32, 16], 0.1, af="relu", batch_norm=True, noise=0.5,
                           dropout=0.2)
    batches = [torch.rand(n, 1, 28, 28) for n in (64, 64, 40)]
    model.train()
    for X in batches:
        model(X)  # noisy training passes move the running statistics
    model.train()
    model.recompute_statistics([(X, None) for X in batches])
    products = _first_products(model, batches)  # noise off: net[1] is skipped below
    norm = model.net[3]
    torch.testing.assert_close(norm.running_mean,
                               torch.stack([Z.mean(dim=0) for Z in products]).mean(dim=0))
    torch.testing.assert_close(norm.running_var,
                               torch.stack([Z.var(dim=0) for Z in products]).mean(dim=0))
    assert norm.num_batches_tracked == len(batches)
    assert model.training and norm.momentum == 0.1  # mode and momentum as they were


def test_clean_statistics_leave_mode_and_statistics_as_found_after_an_error():
    model = RegularizedMLP(10, [8], 0.1, batch_norm=True, noise=0.3).train()
    model(torch.rand(4, 1, 28, 28))
    model.eval()
    before = copy.deepcopy(model.net[3].state_dict())
    with pytest.raises(ValueError, match="each image has 3 pixels"):  # the second batch's size
        model.recompute_statistics([(torch.rand(4, 1, 28, 28),), (torch.rand(4, 3),)])
    assert not model.training and not model.net[3].training
    assert model.net[3].momentum == 0.1
    for key, value in model.net[3].state_dict().items():
        assert torch.equal(value, before[key]), key


def test_without_batch_norm_clean_statistics_change_nothing():
    torch.manual_seed(0)  # F's exercises take ingredients out one at a time, batch norm too
    model = RegularizedMLP(10, [8], 0.1, noise=0.3, clean_statistics=True)
    before = copy.deepcopy(model.state_dict())
    model.recompute_statistics([(torch.rand(4, 1, 28, 28),)])
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_fit_ends_with_clean_statistics_only_when_asked():
    data = TinyData(batch_size=32)
    data.train = torch.utils.data.TensorDataset(data.X, data.y)
    ordered = [data.X[i:i + 32] for i in range(0, len(data.X), 32)]
    for clean in (True, False):
        set_seed(0)
        model = RegularizedMLP(2, [16], 0.01, af="relu", optimizer="adam", batch_norm=True,
                               noise=0.3, clean_statistics=clean)
        fit(model, data, max_epochs=1)
        mean = torch.stack([Z.mean(dim=0) for Z in _first_products(model, ordered)]).mean(0)
        same = torch.allclose(model.net[3].running_mean, mean, atol=1e-6)
        assert same == clean


def test_label_smoothing_applies_in_training_only():
    model = RegularizedMLP(3, [4], 0.1, label_smoothing=0.2)
    Y_hat, Y = torch.tensor([[4.0, 0.0, 0.0]]), torch.tensor([0])
    smoothed = nn.functional.cross_entropy(Y_hat, Y, label_smoothing=0.2)
    assert model.loss(Y_hat, Y) == pytest.approx(float(smoothed))
    model.eval()
    assert model.loss(Y_hat, Y) == pytest.approx(float(nn.functional.cross_entropy(Y_hat, Y)))


def test_adam_and_adamw_are_torchs_fused_ones_with_weight_decay():
    adam = RegularizedMLP(10, [8], 0.01, optimizer="adam", weight_decay=0.1).configure_optimizers()
    adamw = RegularizedMLP(10, [8], 0.01, optimizer="adamw",
                           weight_decay=0.1).configure_optimizers()
    assert type(adam) is torch.optim.Adam and type(adamw) is torch.optim.AdamW
    assert adam.defaults["fused"] and adamw.defaults["fused"]
    assert adamw.param_groups[0]["weight_decay"] == 0.1


def onecycle_model():
    set_seed(0)
    return RegularizedMLP(2, [8], 0.05, af="relu", optimizer="adamw", schedule="onecycle",
                          dropout=0.1, weight_decay=0.01, label_smoothing=0.1)


def test_one_cycle_schedule_moves_the_learning_rate_through_d2l_trainer():
    model = onecycle_model()
    trainer, _ = fit(model, TinyData(), max_epochs=3)
    assert type(trainer.optim) is torch.optim.AdamW  # torch's own, stepped by d2l
    assert model.scheduler.optimizer is trainer.optim
    assert model.scheduler.last_epoch == 3 * 8  # one scheduler step per optimizer step
    assert trainer.optim.param_groups[0]["lr"] < 0.05 / 100  # annealed far below the peak
    assert evaluate_accuracy(model, TinyData().val_dataloader()) > 0.95


def test_a_scheduled_optimizer_checkpoint_resumes_where_it_stopped():
    schedule = SimpleNamespace(max_epochs=3, num_train_batches=8)  # what the optimizer reads
    X, y = TinyData().X[:32], TinyData().y[:32]

    def steps(model, optim, n):
        for _ in range(n):
            loss = model.loss(model(X), y)
            optim.zero_grad()
            loss.backward()
            optim.step()
        return optim.param_groups[0]["lr"], [p.detach().clone() for p in model.parameters()]

    model = onecycle_model()
    model.trainer = schedule
    optim = model.configure_optimizers()
    steps(model, optim, 5)
    saved = copy.deepcopy({"model": model.state_dict(), "optim": optim.state_dict(),
                           "scheduler": model.scheduler.state_dict()})
    torch.manual_seed(1)  # dropout masks
    expected_lr, expected = steps(model, optim, 3)
    assert expected_lr != saved["optim"]["param_groups"][0]["lr"]  # the schedule moved on

    restored = onecycle_model()
    restored.trainer = schedule
    restored.load_state_dict(saved["model"])
    again = restored.configure_optimizers()
    again.load_state_dict(saved["optim"])
    restored.scheduler.load_state_dict(saved["scheduler"])
    assert restored.scheduler.last_epoch == 5
    torch.manual_seed(1)
    lr, params = steps(restored, again, 3)
    assert lr == expected_lr and restored.scheduler.last_epoch == 8
    for a, b in zip(params, expected, strict=True):
        assert torch.equal(a, b)


def test_gaussian_noise_adds_std_times_a_fresh_draw_of_the_seeded_generator():
    X = torch.rand(64, 100)
    torch.manual_seed(3)
    expected = X + 0.3 * torch.randn_like(X)
    state_after_one_draw = torch.get_rng_state()
    torch.manual_seed(3)
    noisy = GaussianNoise(0.3)(X)
    torch.testing.assert_close(noisy, expected)
    assert torch.equal(torch.get_rng_state(), state_after_one_draw)  # that draw and no other
    assert not torch.equal(GaussianNoise(0.3)(X), noisy)  # the next call draws anew
    torch.manual_seed(3)
    assert torch.equal(GaussianNoise(0.3)(X), noisy)  # and the seed repeats it


def test_gaussian_noise_leaves_its_input_alone_and_is_off_in_evaluation():
    X = torch.rand(8, 50)
    before = X.clone()
    layer = GaussianNoise(0.5)
    noisy = layer(X)
    assert torch.equal(X, before) and noisy.data_ptr() != X.data_ptr()
    layer.eval()
    assert layer(X) is X
    assert GaussianNoise(0.0)(X) is X
    with pytest.raises(ValueError, match="must be a finite number >= 0, got -1"):
        GaussianNoise(-1)


def test_clean_statistics_from_no_images_are_refused_and_the_old_ones_kept():
    # a used-up loader reset the statistics to means 0 and variances 1, silently
    model = RegularizedMLP(10, [8], 0.1, batch_norm=True, noise=0.3).train()
    model(torch.rand(4, 1, 28, 28))
    before = copy.deepcopy(model.net[3].state_dict())
    with pytest.raises(ValueError, match="recompute_statistics got no images"):
        model.recompute_statistics(iter([]))
    for key, value in model.net[3].state_dict().items():
        assert torch.equal(value, before[key]), key
