"""The MLP: architecture, arguments, optimizers, and short real training runs."""
import pytest
import torch
from d2l import torch as d2l
from torch import nn

from mnist_mlp import MLP, evaluate_accuracy
from mnist_mlp.experiment import fit, set_seed
from mnist_mlp.layers import Dropout
from mnist_mlp.model import ScheduledOptimizer
from mnist_mlp.optim import FusedAdam


def linear_shapes(model):
    return [tuple(layer.weight.shape) for layer in model.net if isinstance(layer, nn.Linear)]


def test_architecture_follows_hidden_sizes_and_activation():
    model = MLP(num_outputs=10, hidden_sizes=[256, 256], lr=0.001, af="relu")
    assert linear_shapes(model) == [(256, 784), (256, 256), (10, 256)]
    assert [type(layer) for layer in model.net] == [
        nn.Flatten, nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    assert MLP(10, [128], 0.1).net[2].__class__ is nn.Sigmoid  # the original's default
    assert linear_shapes(MLP(10, [], 0.1)) == [(10, 784)]


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


@pytest.mark.parametrize("kwargs, message", [
    ({"af": "tanh"}, "af='tanh' is not supported; use one of 'sigmoid', 'relu'"),
    ({"af": "ReLU"}, "use one of 'sigmoid', 'relu'"),
    ({"hidden_sizes": [128, 0]}, "hidden_sizes must be a list of positive integers"),
    ({"hidden_sizes": "128"}, "hidden_sizes must be a list of positive integers"),
    ({"hidden_sizes": [12.5]}, "hidden_sizes must be a list of positive integers"),
    ({"num_outputs": 1}, "num_outputs must be an integer >= 2"),
    ({"lr": 0}, "lr must be a positive number"),
    ({"lr": float("nan")}, "lr must be a positive number"),
    ({"lr": "0.1"}, "lr must be a positive number"),
    ({"optimizer": "rmsprop"}, "optimizer='rmsprop' is not supported"),
    ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
    ({"schedule": "cosine"}, "schedule='cosine' is not supported"),
])
def test_bad_arguments_name_what_is_wrong(kwargs, message):
    arguments = {"num_outputs": 10, "hidden_sizes": [128], "lr": 0.1, **kwargs}
    with pytest.raises(ValueError, match=message):
        MLP(**arguments)


def test_wrong_input_size_says_how_to_fix_it():
    with pytest.raises(ValueError, match=r"1024 values .* num_inputs=1024"):
        MLP(10, [16], 0.1)(torch.rand(2, 1, 32, 32))
    assert MLP(10, [16], 0.1, num_inputs=1024)(torch.rand(2, 1, 32, 32)).shape == (2, 10)


def test_optimizers():
    sgd = MLP(10, [16], 0.1).configure_optimizers()
    assert type(sgd) is torch.optim.SGD and sgd.param_groups[0]["lr"] == 0.1
    adam = MLP(10, [16], 0.001, optimizer="adam").configure_optimizers()
    assert type(adam) is FusedAdam and adam.param_groups[0]["lr"] == 0.001
    assert adam.kernel is torch._fused_adam_  # torch.optim.Adam(fused=True)'s kernel
    adamw = MLP(10, [16], 0.001, optimizer="adamw", weight_decay=0.1).configure_optimizers()
    assert adamw.kernel is torch._fused_adamw_ and adamw.param_groups[0]["weight_decay"] == 0.1
    model = MLP(10, [16], 0.001, optimizer="adam").to(torch.float64)  # no fused kernel: torch's
    assert type(model.configure_optimizers()) is torch.optim.Adam


def test_original_add_to_class_pattern_still_replaces_the_optimizer():
    original = MLP.configure_optimizers
    try:
        @d2l.add_to_class(MLP)
        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=self.lr)

        assert type(MLP(10, [16], 0.001).configure_optimizers()) is torch.optim.Adam
    finally:
        MLP.configure_optimizers = original
    assert type(MLP(10, [16], 0.001).configure_optimizers()) is torch.optim.SGD


class TinyData(d2l.DataModule):
    """Two linearly separable blobs, 256 examples: trains in milliseconds."""

    def __init__(self):
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        y = torch.arange(256) % 2
        X = torch.randn(256, 1, 2, 2, generator=generator) + 3 * y.view(-1, 1, 1, 1)
        self.batch_size, self.X, self.y = 32, X, y

    def get_dataloader(self, train):
        return self.get_tensorloader((self.X, self.y), train)


def test_one_cycle_schedule_moves_the_learning_rate_through_d2l_trainer():
    set_seed(0)
    model = MLP(2, [8], 0.05, af="relu", optimizer="adamw", num_inputs=4, schedule="onecycle",
                dropout=0.1, weight_decay=0.01, label_smoothing=0.1)
    model.board.display = False
    trainer, _ = fit(model, TinyData(), max_epochs=3)
    assert isinstance(trainer.optim, ScheduledOptimizer)
    assert trainer.optim.scheduler.last_epoch == 3 * 8
    final_lr = trainer.optim.param_groups[0]["lr"]
    assert final_lr < 0.05 / 100  # annealed far below the peak
    assert evaluate_accuracy(model, TinyData().val_dataloader()) > 0.95


@pytest.mark.slow
def test_model_c_reaches_90_percent_after_one_real_epoch(data):
    set_seed(0)
    model = MLP(num_outputs=10, hidden_sizes=[128], lr=0.001, af="relu", optimizer="adam")
    fit(model, data, max_epochs=1)
    accuracy = evaluate_accuracy(model, data.val_dataloader())
    assert accuracy >= 0.90
    assert set(model.board.data) == {"train_loss", "val_loss", "val_acc"}
    # the board's per-epoch validation accuracy is the same measurement, batch-averaged
    assert abs(model.board.data["val_acc"][-1][1] - accuracy) < 0.005


@pytest.mark.slow
def test_model_a_learns_with_plain_sgd(data):
    set_seed(0)
    model = MLP(num_outputs=10, hidden_sizes=[128], lr=0.1)
    fit(model, data, max_epochs=1)
    assert evaluate_accuracy(model, data.val_dataloader()) >= 0.85


def test_input_dropout_comes_first_and_bfloat16_is_refused_without_hardware(monkeypatch):
    from mnist_mlp import model as model_module
    net = MLP(10, [64], 0.1, input_dropout=0.2).net
    assert isinstance(net[1], Dropout) and net[1].p == 0.2
    monkeypatch.setattr(model_module, "has_bf16", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="precision='bfloat16' needs a CPU with AVX512_BF16"):
        MLP(10, [64], 0.1, precision="bfloat16")
    with pytest.raises(ValueError, match="precision='half' is not supported"):
        MLP(10, [64], 0.1, precision="half")


def test_bfloat16_forward_stays_close_to_float32(monkeypatch):
    from mnist_mlp import model as model_module
    monkeypatch.setattr(model_module, "has_bf16", lambda: True)  # autocast runs on any CPU
    torch.manual_seed(0)
    model = MLP(10, [64], 0.1, af="relu", precision="bfloat16")
    X = torch.rand(8, 1, 28, 28)
    out = model(X)
    assert out.dtype == torch.float32
    model.precision = "float32"
    torch.testing.assert_close(out, model(X), atol=0.05, rtol=0.05)


def test_batch_norm_sits_between_product_and_activation_and_replaces_the_bias():
    net = MLP(10, [32, 16], 0.1, af="relu", batch_norm=True, dropout=0.1).net
    kinds = [type(layer) for layer in net]
    assert kinds == [nn.Flatten, nn.Linear, nn.BatchNorm1d, nn.ReLU, Dropout,
                     nn.Linear, nn.BatchNorm1d, nn.ReLU, Dropout, nn.Linear]
    assert net[1].bias is None and net[5].bias is None and net[9].bias is not None
    with pytest.raises(ValueError, match="batch_norm must be True or False, got 'yes'"):
        MLP(10, [32], 0.1, batch_norm="yes")


def test_batch_norm_model_evaluates_with_running_statistics():
    torch.manual_seed(0)
    model = MLP(10, [32], 0.1, af="relu", batch_norm=True)
    X = torch.rand(8, 1, 28, 28)
    model.train()
    model(X)  # one training pass moves the running statistics
    model.eval()
    one_by_one = torch.cat([model(x[None]) for x in X])
    assert torch.allclose(model(X), one_by_one, atol=1e-6)  # no batch dependence in eval
