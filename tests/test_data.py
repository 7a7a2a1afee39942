"""The in-memory MNIST DataModule against torchvision's per-image pipeline."""
import itertools

import pytest
import torch
import torchvision
from torchvision import transforms

from mnist_mlp import MNIST
from mnist_mlp.data import IMAGE_MAGIC, parse_idx
from mnist_mlp.download import default_root


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
    assert isinstance(data.train_dataloader(), torch.utils.data.DataLoader)
    assert torch.bincount(data.val.targets).tolist()[:3] == [980, 1135, 1032]


@pytest.mark.slow  # torchvision's per-image pipeline over a whole split
def test_validation_batches_equal_torchvision_pipeline(data):
    reference = torchvision_loader(default_root(), train=False)
    assert assert_same_batches(data.val_dataloader(), reference) == 157


def test_shuffled_batches_equal_torchvision_dataloader_for_the_same_seed(data):
    torch.manual_seed(7)
    ours = list(itertools.islice(data.train_dataloader(), 5))
    torch.manual_seed(7)
    assert assert_same_batches(ours, torchvision_loader(default_root(), train=True), 5) == 5


@pytest.mark.slow  # whole training epochs
def test_each_epoch_is_a_new_permutation_of_all_examples(data):
    loader = data.train_dataloader()
    first = torch.cat([y for _, y in loader])
    second = torch.cat([y for _, y in loader])
    assert len(first) == 60000 and not torch.equal(first, second)
    assert torch.equal(torch.bincount(first), torch.bincount(data.train.targets))


@pytest.mark.slow  # PIL resizes all 70,000 images
def test_other_resize_equals_torchvision_resize(data):
    resized = MNIST(batch_size=100, resize=(32, 32))
    X, y = next(iter(resized.val_dataloader()))
    assert X.shape == (100, 1, 32, 32)
    assert assert_same_batches(resized.val_dataloader(),
                               torchvision_loader(default_root(), False, (32, 32), 100), 3) == 3


def test_dataset_items_are_like_torchvision(data):
    image, label = data.val[0]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert label == 7 and isinstance(label, int)


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 0}, "batch_size must be a positive integer"),  # the rules: test_checks.py
    ({"validate": "no"}, "validate must be True or False"),
    # MNIST's own rules: the size of an image, the number of training images, their agreement
    ({"resize": (28,)}, "resize must be an int or a"),
    ({"resize": (28, -1)}, "each side of resize must be a positive integer"),
    ({"resize": 28.0}, "resize must be an int or a"),
    ({"val_split": -1}, "val_split must be a whole number from 0 to 59998"),
    ({"val_split": 60000}, "val_split must be a whole number from 0 to 59998"),
    ({"val_split": 5000, "validate": False}, "validate=False trains on all training images"),
])
def test_bad_arguments_are_clear_errors_before_any_file_is_read(kwargs, message, monkeypatch):
    def no_reading(root):
        raise AssertionError("the files were read before the arguments were checked")
    monkeypatch.setattr("mnist_mlp.data.load_raw", no_reading)
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


@pytest.mark.needs_mnist
def test_to_device_moves_every_split_and_serves_batches_there():
    """`MNIST.to` as on a GPU, with torch's "meta" device (shapes, no values) standing in."""
    moved = MNIST(batch_size=64).to("meta")
    assert moved.val is moved.test  # one split, moved once
    for split in (moved.train, moved.test):
        assert split.pixels.device.type == split.targets.device.type == "meta"
    for loader, count in ((moved.train_dataloader(), 938), (moved.test_dataloader(), 157)):
        X, y = next(iter(loader))
        assert X.device.type == y.device.type == "meta" and len(loader) == count
        assert X.shape == (64, 1, 28, 28) and X.dtype == torch.float32
    held_out = MNIST(batch_size=64, val_split=5000).to("meta")
    assert held_out.val.pixels.device.type == "meta" and held_out.val is not held_out.test


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_batches_on_the_gpu_equal_those_on_the_cpu(data):
    moved = MNIST(batch_size=64).to("cuda")
    torch.manual_seed(3)
    on_gpu = list(itertools.islice(moved.train_dataloader(), 3))
    torch.manual_seed(3)
    on_cpu = list(itertools.islice(data.train_dataloader(), 3))
    for (X, y), (X0, y0) in zip(on_gpu, on_cpu, strict=True):
        assert X.is_cuda and torch.equal(X.cpu(), X0) and torch.equal(y.cpu(), y0)


@pytest.mark.slow  # whole training epochs
def test_a_training_epoch_is_the_order_and_the_draws_of_a_shuffling_dataloader(data):
    """Every batch of an epoch, and what the epoch leaves in torch's generator, as a plain
    `DataLoader(shuffle=True)`: later epochs, dropout and noise see the same random numbers."""
    plain = torch.utils.data.DataLoader(torch.arange(60000), 64, shuffle=True)
    torch.manual_seed(11)
    ours = [y for _, y in data.train_dataloader()]
    after_ours = torch.get_rng_state()
    torch.manual_seed(11)
    expected = [data.train.targets[index] for index in plain]
    assert len(ours) == len(expected) == 938
    assert all(torch.equal(a, b) for a, b in zip(ours, expected, strict=True))
    assert torch.equal(after_ours, torch.get_rng_state())


def test_validation_draws_nothing_so_it_does_not_move_the_next_shuffle(data):
    torch.manual_seed(5)
    state = torch.get_rng_state()
    for loader in (data.val_dataloader(), data.test_dataloader()):
        assert sum(len(y) for _, y in loader) == 10000
    assert torch.equal(torch.get_rng_state(), state)


def test_a_batch_is_the_items_of_its_indices_in_a_new_tensor(data):
    split = data.train
    index = [5, 0, 59999, 5]
    X, y = split[index]
    items = [split[i] for i in index]
    assert torch.equal(X, torch.stack([image for image, _ in items]))
    assert y.tolist() == [label for _, label in items] and y.dtype == torch.int64
    assert torch.equal(split[torch.tensor(index)][0], X)  # a tensor of positions, too
    X.zero_()  # a caller may change a batch in place: the dataset keeps its images
    assert split[index][0].sum() > 0


def test_new_pixels_reach_the_next_batch(data):
    """Notebook 1's exercise: permuting `pixels` in place of the split's images."""
    shuffled = MNIST(batch_size=64)
    loader = shuffled.train_dataloader()  # made before, as d2l.Trainer holds it
    torch.manual_seed(0)
    X, y = next(iter(loader))
    permutation = torch.randperm(28 * 28, generator=torch.Generator().manual_seed(1))
    for part in (shuffled.train, shuffled.val):
        part.pixels = part.pixels.flatten(1)[:, permutation].reshape(-1, 1, 28, 28)
    torch.manual_seed(0)
    X_new, y_new = next(iter(loader))
    assert torch.equal(y_new, y)
    assert torch.equal(X_new, X.flatten(1)[:, permutation].reshape(-1, 1, 28, 28))
    X_val, _ = next(iter(shuffled.val_dataloader()))
    assert torch.equal(X_val.flatten(1), data.val[list(range(64))][0].flatten(1)[:, permutation])


def test_join_keeps_every_example_in_order_and_refuses_what_is_not_a_split():
    from mnist_mlp.data import MNISTSplit, join

    def split(label, n):
        pixels = torch.full((n, 1, 28, 28), label, dtype=torch.uint8)
        return MNISTSplit(pixels[:, 0], torch.full((n,), label), pixels)

    joined = join([split(1, 2), split(7, 3)])
    assert len(joined) == 5 and joined.targets.tolist() == [1, 1, 7, 7, 7]
    X, y = joined[torch.tensor([1, 2])]
    assert y.tolist() == [1, 7] and X[1].max() == pytest.approx(7 / 255)
    for bad in ([], [split(1, 2), "train"]):
        with pytest.raises(ValueError, match="join takes a non-empty list of splits"):
            join(bad)


def _ten_images():
    from mnist_mlp.data import MNISTSplit

    pixels = torch.arange(10, dtype=torch.uint8).view(10, 1, 1, 1).expand(10, 1, 28, 28)
    return MNISTSplit(pixels[:, 0], torch.arange(10), pixels.contiguous())


@pytest.mark.parametrize("index, labels", [
    (slice(0, 3), [0, 1, 2]),  # slices were torch's "Could not infer dtype of slice"
    (slice(None, None, 4), [0, 4, 8]),
    ([-1, 0], [9, 0]),  # negative positions were "index out of range in self"
    (torch.arange(10) % 5 == 0, [0, 5]),  # boolean masks were index_select's dtype error
])
def test_a_split_takes_slices_masks_and_positions_from_the_end(index, labels):
    X, y = _ten_images()[index]
    assert y.tolist() == labels and (X[:, 0, 0, 0] * 255).round().tolist() == labels


@pytest.mark.parametrize("index, error, message", [
    ([11], IndexError, "positions from 11 to 11 for a split of 10 images"),
    ([2.0, 3.0], TypeError, "index a split with a position, a slice"),
])
def test_a_position_a_split_has_not_is_one_line(index, error, message):
    with pytest.raises(error, match=message):
        _ten_images()[index]
