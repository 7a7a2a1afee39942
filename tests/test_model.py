"""The original notebook's MLP: architecture, arguments, optimizers, real training runs."""
import pytest
import torch
from d2l import torch as d2l
from tiny import TinyData
from torch import nn

from mnist_mlp import MLP, ConfigError, evaluate_accuracy
from mnist_mlp.experiment import fit, set_seed
from mnist_mlp.presets import PRESETS


def linear_shapes(model):
    return [tuple(layer.weight.shape) for layer in model.net if isinstance(layer, nn.Linear)]


def test_architecture_follows_hidden_sizes_and_activation():
    model = MLP(num_outputs=10, hidden_sizes=[256, 256], lr=0.001, af="relu")
    assert linear_shapes(model) == [(256, 784), (256, 256), (10, 256)]
    assert [type(layer) for layer in model.net] == [
        nn.Flatten, nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    assert MLP(10, [128], 0.1).net[2].__class__ is nn.Sigmoid  # the original's default
    assert linear_shapes(MLP(10, [], 0.1)) == [(10, 784)]
    assert MLP(10, (64,), 0.1).hparams == {"num_outputs": 10, "hidden_sizes": (64,), "lr": 0.1,
                                           "af": "sigmoid",  # the original's four arguments
                                           "num_inputs": 784}  # and the pixels, 28 x 28


def test_forward_matches_a_hand_written_reference():
    torch.manual_seed(0)
    model = MLP(10, [32, 16], 0.1, af="relu")
    X = torch.rand(5, 1, 28, 28)
    (W1, b1), (W2, b2), (W3, b3) = [(layer.weight, layer.bias) for layer in model.net
                                    if isinstance(layer, nn.Linear)]
    H = torch.clamp(X.reshape(5, -1) @ W1.T + b1, min=0)
    H = torch.clamp(H @ W2.T + b2, min=0)
    torch.testing.assert_close(model(X), H @ W3.T + b3)
    sigmoid = MLP(10, [8], 0.1)
    V, c = sigmoid.net[1].weight, sigmoid.net[1].bias
    expected = sigmoid.net[3](1 / (1 + torch.exp(-(X.reshape(5, -1) @ V.T + c))))
    torch.testing.assert_close(sigmoid(X), expected)


@pytest.mark.parametrize("name, bad", [("num_outputs", 0), ("hidden_sizes", [128, 0]),
                                       ("lr", float("nan")), ("af", "tanh")])
def test_each_argument_is_checked_by_its_rule(name, bad):
    """The wiring: each argument reaches its rule (tests/test_checks.py holds the rules)."""
    with pytest.raises(ConfigError, match=f"^{name}") as error:
        MLP(**{"num_outputs": 10, "hidden_sizes": [128], "lr": 0.1, name: bad})
    assert "\n" not in str(error.value)


def test_it_trains_with_d2ls_sgd_as_the_original():
    sgd = MLP(10, [16], 0.1).configure_optimizers()
    assert type(sgd) is torch.optim.SGD and sgd.param_groups[0]["lr"] == 0.1
    assert sgd.defaults["momentum"] == 0 and sgd.defaults["weight_decay"] == 0


def test_the_originals_add_to_class_changes_the_optimizer_that_training_uses():
    """The original swaps the optimizer with d2l.add_to_class: fit must then train with it."""
    original = MLP.configure_optimizers
    try:
        @d2l.add_to_class(MLP)
        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9)

        set_seed(0)
        model = MLP(2, [8], 0.1)
        trainer, _ = fit(model, TinyData(), max_epochs=1)
        assert type(trainer.optim) is torch.optim.SGD
        assert trainer.optim.defaults["momentum"] == 0.9
        assert "SGD" in model.board.title  # the title names the optimizer training used
    finally:
        del MLP.configure_optimizers  # d2l.Module's again
    assert MLP.configure_optimizers is original


@pytest.mark.slow
def test_model_c_reaches_90_percent_after_one_real_epoch(data):
    set_seed(0)
    model = PRESETS["C"].model()  # MLP's layers, trained with Adam
    fit(model, data, max_epochs=1)
    accuracy = evaluate_accuracy(model, data.val_dataloader())
    assert accuracy >= 0.90
    [epoch] = model.history.epochs
    assert set(epoch) == {"epoch", "train_loss", "val_loss", "val_acc"}
    assert epoch["val_acc"] == pytest.approx(accuracy)  # weighted by batch size: the same count


@pytest.mark.slow
def test_model_a_learns_with_plain_sgd(data):
    set_seed(0)
    model = MLP(num_outputs=10, hidden_sizes=[128], lr=0.1)
    fit(model, data, max_epochs=1)
    assert evaluate_accuracy(model, data.val_dataloader()) >= 0.85


def test_other_image_sizes_need_only_num_inputs():
    # MNIST(resize=(32, 32)) gives 32 x 32 images; the original's nn.LazyLinear inferred it
    model = MLP(num_outputs=10, hidden_sizes=[16], lr=0.1, num_inputs=32 * 32)
    assert model(torch.rand(5, 1, 32, 32)).shape == (5, 10)
    with pytest.raises(ConfigError, match="num_inputs must be a positive integer"):
        MLP(num_outputs=10, hidden_sizes=[16], lr=0.1, num_inputs=0)
