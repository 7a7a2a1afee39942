"""The in-memory MNIST DataModule against torchvision's per-image pipeline."""
import itertools

import pytest
import torch
import torchvision
from torchvision import transforms

from mnist_mlp import MNIST
from mnist_mlp.data import IMAGE_MAGIC, parse_idx


def torchvision_loader(root, train, resize=(28, 28), batch_size=64):
    """The original notebook's pipeline: PIL image -> Resize -> ToTensor, per image."""
    pipeline = transforms.Compose([transforms.Resize(resize), transforms.ToTensor()])
    dataset = torchvision.datasets.MNIST(root=root, train=train, transform=pipeline,
                                         download=False)
    return torch.utils.data.DataLoader(dataset, batch_size, shuffle=train, num_workers=0)


def assert_same_batches(ours, reference, count=None):
    pairs = zip(ours, reference) if count is None else itertools.islice(zip(ours, reference), count)
    n = 0
    for (X, y), (X_ref, y_ref) in pairs:
        assert X.dtype == X_ref.dtype and y.dtype == y_ref.dtype
        assert torch.equal(X, X_ref) and torch.equal(y, y_ref)
        n += 1
    return n


def test_sizes_shapes_and_types(data):
    assert (len(data.train), len(data.val)) == (60000, 10000)
    assert data.train.data.shape == (60000, 28, 28) and data.train.data.dtype == torch.uint8
    X, y = next(iter(data.train_dataloader()))
    assert X.shape == (64, 1, 28, 28) and X.dtype == torch.float32
    assert y.shape == (64,) and y.dtype == torch.int64
    assert X.min() >= 0.0 and X.max() <= 1.0
    assert len(data.train_dataloader()) == 938 and len(data.val_dataloader()) == 157
    assert torch.bincount(data.val.targets).tolist()[:3] == [980, 1135, 1032]


def test_validation_batches_equal_torchvision_pipeline(data):
    reference = torchvision_loader(data.root, train=False)
    assert assert_same_batches(data.val_dataloader(), reference) == 157


def test_shuffled_batches_equal_torchvision_dataloader_for_the_same_seed(data):
    torch.manual_seed(7)
    ours = list(itertools.islice(data.train_dataloader(), 5))
    torch.manual_seed(7)
    assert assert_same_batches(ours, torchvision_loader(data.root, train=True), 5) == 5


def test_each_epoch_is_a_new_permutation_of_all_examples(data):
    loader = data.train_dataloader()
    first = torch.cat([y for _, y in loader])
    second = torch.cat([y for _, y in loader])
    assert len(first) == 60000 and not torch.equal(first, second)
    assert torch.equal(torch.bincount(first), torch.bincount(data.train.targets))


def test_other_resize_equals_torchvision_resize(data):
    resized = MNIST(batch_size=100, resize=(32, 32))
    X, y = next(iter(resized.val_dataloader()))
    assert X.shape == (100, 1, 32, 32)
    assert assert_same_batches(resized.val_dataloader(),
                               torchvision_loader(data.root, False, (32, 32), 100), 3) == 3


def test_dataset_items_are_like_torchvision(data):
    image, label = data.val[0]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert label == 7 and isinstance(label, int)


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 0}, "batch_size must be a positive integer"),
    ({"batch_size": 6.4}, "batch_size must be a positive integer"),
    ({"resize": (28,)}, "resize must be an int or a"),
    ({"resize": (28, -1)}, "each side of resize must be a positive integer"),
])
def test_bad_arguments_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MNIST(**kwargs)


def test_idx_parser_rejects_other_files():
    with pytest.raises(ValueError, match="not an MNIST IDX file"):
        parse_idx(b"PK\x03\x04" + bytes(100), IMAGE_MAGIC)
    header = IMAGE_MAGIC.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in (2, 28, 28))
    with pytest.raises(ValueError, match="header says"):
        parse_idx(header + bytes(28 * 28), IMAGE_MAGIC)


def test_val_split_holds_out_a_fixed_part_of_training(data):
    split = MNIST(batch_size=64, val_split=5000)
    assert (len(split.train), len(split.val), len(split.test)) == (55000, 5000, 10000)
    assert torch.equal(split.test.pixels, data.val.pixels)  # test set untouched
    together = torch.cat([split.train.targets, split.val.targets])
    assert torch.equal(torch.bincount(together), torch.bincount(data.train.targets))
    again = MNIST(batch_size=64, val_split=5000)
    assert torch.equal(again.val.pixels, split.val.pixels)  # the same draw every time
    assert len(split.test_dataloader()) == 157
    with pytest.raises(ValueError, match="val_split must be below 60000"):
        MNIST(val_split=60000)


def test_to_device_keeps_batches_and_shares_the_test_split(data):
    """`MNIST.to` (used on GPUs) moves the splits; here the CPU stands in for the device."""
    moved = MNIST(batch_size=64).to("cpu")
    assert moved.val is moved.test
    torch.manual_seed(3)
    X, y = next(iter(moved.train_dataloader()))
    torch.manual_seed(3)
    X0, y0 = next(iter(data.train_dataloader()))
    assert torch.equal(X, X0) and torch.equal(y, y0)


def test_batches_are_the_same_with_and_without_the_float_cache(data, monkeypatch):
    split = MNIST(batch_size=64).train
    assert split.floats() is not None  # 60,000 x 784 floats fit under FLOAT_CACHE_BYTES
    index = torch.tensor([5, 0, 59999])
    cached = split.batch(index), split.batch(slice(10, 20))
    monkeypatch.setattr("mnist_mlp.data.FLOAT_CACHE_BYTES", 0)
    uncached = MNIST(batch_size=64).train
    assert uncached.floats() is None  # too large: converted per batch instead
    for (X, y), (X_ref, y_ref) in zip(cached, (uncached.batch(index),
                                                uncached.batch(slice(10, 20)))):
        assert torch.equal(X, X_ref) and torch.equal(y, y_ref)
    # a batch is a new tensor: changing it in place leaves the dataset alone
    X, _ = split.batch(slice(0, 4))
    X.zero_()
    assert split.batch(slice(0, 4))[0].sum() > 0
