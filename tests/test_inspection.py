"""First-layer images and moved digits, against direct tensor computations."""
import torch

from mnist_mlp import MLP
from mnist_mlp.data import MNISTSplit
from mnist_mlp.inspection import accuracy_when_moved, first_layer_images, moved, weight_scale


def test_first_layer_images_are_the_rows_largest_norm_first():
    torch.manual_seed(0)
    model = MLP(10, [32, 16], 0.1)
    images = first_layer_images(model, count=5)
    weights = model.net[1].weight.detach()
    best = weights.norm(dim=1).argmax()
    assert images.shape == (5, 28, 28)
    torch.testing.assert_close(images[0], weights[best].reshape(28, 28))
    assert (images.flatten(1).norm(dim=1).diff() <= 0).all()


def test_weight_scale_is_one_at_initialisation_and_follows_the_weights():
    torch.manual_seed(0)
    model = MLP(10, [256], 0.1)
    border = torch.ones(28, 28, dtype=torch.bool)
    border[3:-3, 3:-3] = False
    assert 0.95 < weight_scale(model, border) < 1.05
    with torch.no_grad():
        model.net[1].weight.view(-1, 28, 28)[:, :3].mul_(0.5)  # the top rows only
    top = torch.zeros(28, 28, dtype=torch.bool)
    top[:3] = True
    assert 0.47 < weight_scale(model, top) < 0.53


def test_moved_shifts_with_a_black_background():
    pixels = torch.arange(1, 17, dtype=torch.uint8).reshape(1, 1, 4, 4)
    split = MNISTSplit(pixels[:, 0], torch.tensor([3]), pixels)
    right = moved(split, dx=1).pixels[0, 0]
    assert right[:, 0].eq(0).all() and torch.equal(right[:, 1:], pixels[0, 0, :, :3])
    down = moved(split, dy=2).pixels[0, 0]
    assert down[:2].eq(0).all() and torch.equal(down[2:], pixels[0, 0, :2])
    assert torch.equal(moved(split).pixels, pixels)


def test_accuracy_when_moved_counts_on_the_moved_images(data):
    class Centre(torch.nn.Module):
        """Says 1 when the centre pixel is lit, else 0."""

        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, X):
            lit = (X[:, 0, 14, 14] > 0).long()
            return torch.nn.functional.one_hot(lit, 10).float()

    split = data.val.subset(torch.arange(500))
    model = Centre()
    found = accuracy_when_moved(model, split, [(0, 0, 0), (3, 0, 0)])
    for move, accuracy in found.items():
        lit = moved(split, *move).pixels[:, 0, 14, 14] > 0
        assert accuracy == (lit.long() == split.targets).sum().item() / len(split)


def test_scikit_learns_digits_in_three_versions_of_mnists_size():
    from mnist_mlp.inspection import sklearn_versions

    versions, labels = sklearn_versions()
    assert list(versions) == ["(a) campo inteiro", "(b) geometria do MNIST", "(c) to_mnist"]
    assert labels.shape == (1797,) and set(labels.tolist()) == set(range(10))
    for images in versions.values():
        assert images.shape == (1797, 1, 28, 28) and images.min() >= 0
    full, geometry, prepared = versions.values()
    assert (full[:, 0, 0] > 0).any()  # (a) fills the field up to its border rows
    assert (geometry[:, 0, :2] == 0).all() and (prepared[:, 0, :2] == 0).all()  # a 20 x 20 box
    assert torch.allclose(prepared.amax(dim=(1, 2, 3)), torch.ones(1797))  # to_mnist: ink 1


def test_notebook3_measures_name_every_move_and_version(data):
    from mnist_mlp.inspection import MOVES, never_inked, notebook3_measures, sklearn_versions

    split = data.val.subset(torch.arange(200))
    never = never_inked(data.train)
    assert int(never.sum()) == 67  # MNIST's training images never ink 67 of the 784 pixels
    torch.manual_seed(0)
    versions, labels = sklearn_versions()
    found = notebook3_measures(MLP(10, [8], 0.1), split, versions, labels, never)
    assert list(found["moved"]) == list(MOVES) and list(found["sklearn"]) == list(versions)
    assert len(found["sklearn (c) per digit"]) == 10
    assert all(0 <= a <= 1 for a in found["moved"].values())
