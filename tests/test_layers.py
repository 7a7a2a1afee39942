"""The training-time noise layers: Dropout behaves as nn.Dropout (drop rate, scale, gradients,
evaluation), GaussianNoise adds noise of the asked size in training only, read from a fixed
table at offsets the seed draws."""
import pytest
import torch
from torch import nn

from mnist_mlp import MLP, layers
from mnist_mlp.layers import Dropout, GaussianNoise, keep_mask

N = 1_000_000


@pytest.mark.parametrize("p", [0.1, 0.2, 0.5])
def test_keep_mask_drops_a_fraction_p_and_keeps_the_mean(p):
    torch.manual_seed(0)
    mask = keep_mask((1000, 1000), p)
    kept = round((1 - p) * 65536) / 65536
    assert set(mask.unique().tolist()) == pytest.approx([0.0, 1 / kept])
    sigma = (p * (1 - p) / N) ** 0.5  # binomial spread of the dropped fraction
    dropped = (mask == 0).double()
    assert abs(dropped.mean().item() - p) < 5 * sigma
    assert abs(mask.double().mean().item() - 1) < 5 * sigma / (1 - p)
    # each 64-bit draw yields four masks elements: every lane, and neighbours jointly, are fair
    lanes = dropped.view(-1, 4)
    assert (lanes.mean(0) - p).abs().max().item() < 5 * 2 * sigma
    both = (lanes[:, 0] * lanes[:, 1]).mean().item()
    assert abs(both - p * p) < 5 * (p * p / (N / 4)) ** 0.5


def test_same_drop_rate_as_torch_dropout():
    torch.manual_seed(0)
    x = torch.ones(N)
    ours = (Dropout(0.3)(x) == 0).double().mean().item()
    reference = (nn.functional.dropout(x, 0.3, training=True) == 0).double().mean().item()
    assert abs(ours - reference) < 5 * 2 * (0.3 * 0.7 / N) ** 0.5


def test_gradient_is_the_mask_and_eval_is_the_identity():
    layer = Dropout(0.25)
    x = torch.randn(33, 17, requires_grad=True)  # 561 elements: not a multiple of four
    y = layer(x)
    y.sum().backward()
    assert torch.allclose(x.grad * x.detach(), y.detach())  # y = mask * x, dy/dx = mask
    assert ((x.grad == 0) | torch.isclose(x.grad, torch.tensor(1 / 0.75), atol=1e-4)).all()
    assert 0 < (x.grad == 0).sum() < x.numel()
    layer.eval()
    assert layer(x) is x
    assert Dropout(0.0)(x) is x


def test_masks_follow_the_seed():
    torch.manual_seed(3)
    first = keep_mask((8, 100), 0.2)
    torch.manual_seed(3)
    assert torch.equal(first, keep_mask((8, 100), 0.2))
    assert not torch.equal(first, keep_mask((8, 100), 0.2))


def test_bad_probability_is_refused():
    with pytest.raises(ValueError, match=r"dropout probability must be in \[0, 1\), got 1.0"):
        Dropout(1.0)


def test_gaussian_noise_has_the_asked_spread_in_training_only():
    torch.manual_seed(0)
    layer = GaussianNoise(0.3)
    x = torch.full((1000, 1000), 2.0)
    noise = (layer(x) - x).double()
    assert abs(noise.mean().item()) < 5 * 0.3 / N**0.5
    assert abs(noise.std().item() - 0.3) < 0.001
    layer.eval()
    assert layer(x) is x
    assert GaussianNoise(0.0)(x) is x
    with pytest.raises(ValueError, match="noise standard deviation must be >= 0, got -1"):
        GaussianNoise(-1)


def test_mlp_adds_noise_to_inputs_and_to_each_normalised_product():
    net = MLP(10, [32, 16], 0.1, af="relu", batch_norm=True, noise=0.3).net
    kinds = [type(layer).__name__ for layer in net]
    assert kinds == ["Flatten", "GaussianNoise", "Linear", "BatchNorm1d", "GaussianNoise", "ReLU",
                     "Linear", "BatchNorm1d", "GaussianNoise", "ReLU", "Linear"]
    with pytest.raises(ValueError, match="noise must be a standard deviation >= 0"):
        MLP(10, [32], 0.1, noise=-0.1)


def test_cpu_noise_is_a_window_of_the_table_at_an_offset_the_seed_draws():
    X = torch.zeros(4, 25)
    torch.manual_seed(3)
    start = int(torch.randint(layers.NOISE_TABLE_SIZE - X.numel() + 1, ()))
    torch.manual_seed(3)
    noise = layers.standard_normal_like(X)
    assert torch.equal(noise.flatten(), layers.noise_table()[start:start + X.numel()])
    assert not torch.equal(layers.standard_normal_like(X), noise)  # the next call moves on
    torch.manual_seed(3)
    assert torch.equal(layers.standard_normal_like(X), noise)  # and the seed repeats it
    assert layers.standard_normal_like(X.bfloat16()).dtype == torch.bfloat16


def test_noise_table_is_standard_normal_and_does_not_depend_on_the_seed():
    table = layers.noise_table().double()
    assert len(table) == layers.NOISE_TABLE_SIZE
    assert abs(table.mean().item()) < 5 / len(table) ** 0.5
    assert abs(table.std().item() - 1) < 0.001
    torch.manual_seed(123)
    layers.noise_table.cache_clear()
    assert torch.equal(layers.noise_table().double(), table)


def test_large_tensors_get_fresh_noise(monkeypatch):
    monkeypatch.setattr(layers, "NOISE_TABLE_SIZE", 64)  # 100 values > 64 // 8: too many
    X = torch.zeros(4, 25)
    torch.manual_seed(5)
    expected = torch.randn_like(X)
    torch.manual_seed(5)
    assert torch.equal(layers.standard_normal_like(X), expected)
