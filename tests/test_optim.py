"""FusedAdam against torch.optim.Adam / AdamW (fused): the same parameters after every step."""
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from mnist_mlp.optim import FusedAdam


def net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                         nn.Linear(16, 3))


def train_both(ours, reference, steps=25, schedule=False, frozen=None):
    models, optimizers = (net(), net()), []
    for model, make in zip(models, (ours, reference)):
        if frozen:  # a parameter with no gradient: both optimizers must skip it
            model[frozen].weight.requires_grad_(False)
        optimizers.append(make([p for p in model.parameters() if p.requires_grad]))
    schedulers = [torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.01, total_steps=steps)
                  for o in optimizers] if schedule else []
    X, y = torch.randn(64, 20, generator=torch.Generator().manual_seed(1)), torch.arange(64) % 3
    for _ in range(steps):
        for model, optimizer in zip(models, optimizers):
            optimizer.zero_grad()
            F.cross_entropy(model(X), y).backward()
            optimizer.step()
        for scheduler in schedulers:
            scheduler.step()
        for a, b in zip(*(m.parameters() for m in models)):
            assert torch.equal(a, b)
    return optimizers


@pytest.mark.parametrize("decoupled", [False, True])
@pytest.mark.parametrize("schedule", [False, True])
def test_same_parameters_as_torch_at_every_step(decoupled, schedule):
    Reference = torch.optim.AdamW if decoupled else torch.optim.Adam
    ours, reference = train_both(
        lambda p: FusedAdam(p, lr=0.003, weight_decay=0.05, decoupled=decoupled),
        lambda p: Reference(p, lr=0.003, weight_decay=0.05, fused=True), schedule=schedule)
    if schedule:  # one-cycle moved the learning rate and beta1 of both alike
        assert ours.param_groups[0]["lr"] == reference.param_groups[0]["lr"]
        assert ours.param_groups[0]["betas"] == reference.param_groups[0]["betas"]
    # the same state, under the same names
    for p_ours, p_ref in zip(ours.param_groups[0]["params"], reference.param_groups[0]["params"]):
        for key in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(ours.state[p_ours][key], reference.state[p_ref][key])


def test_parameters_without_gradient_are_left_alone():
    train_both(lambda p: FusedAdam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01, fused=True),
               steps=5, frozen=2)


def test_supports_only_float32_on_one_device():
    assert FusedAdam.supports(list(net().parameters()))
    assert not FusedAdam.supports(list(net().to(torch.float64).parameters()))
    mixed = [torch.zeros(2), torch.zeros(2, dtype=torch.float64)]
    assert not FusedAdam.supports(mixed)


def test_other_dtypes_are_refused_with_the_alternative():
    with pytest.raises(ValueError, match="float32 parameters on one CPU or CUDA device.*"
                                         "torch.optim.Adam"):
        FusedAdam(net().to(torch.float64).parameters())
