"""MNIST as a d2l DataModule, served from tensors in memory."""
import math

import numpy as np
import torch
from d2l import torch as d2l
from PIL import Image

from .download import default_root, load_raw

IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049
FLOAT_CACHE_BYTES = 256 * 2**20  # see MNISTSplit.floats


class MNIST(d2l.DataModule):
    """The MNIST digits, held in memory: `train` has the 60,000 training images and `val`, as
    in the original notebook, the 10,000 test images (also in `test`).

    `val_split=N` holds out N training images as `val` instead, leaving the test set for the
    end; `validate=False` trains on all 60,000 with no `val` at all. Batches equal those of
    torchvision's MNIST with `Resize(resize)` + `ToTensor()`, in the same shuffled order.
    """

    def __init__(self, batch_size=64, resize=(28, 28), root=None, val_split=0, validate=True):
        super().__init__()
        root = str(root or default_root())  # $MNIST_MLP_DATA, data/ in a clone, ~/.cache
        self.save_hyperparameters()
        _positive_int(batch_size, "batch_size")
        raw, size = load_raw(root), _pair(resize)
        train = MNISTSplit.from_idx(raw["train-images-idx3-ubyte"],
                                    raw["train-labels-idx1-ubyte"], size)
        self.test = MNISTSplit.from_idx(raw["t10k-images-idx3-ubyte"],
                                        raw["t10k-labels-idx1-ubyte"], size)
        if not validate and val_split:
            raise ValueError("validate=False trains on all training images: leave val_split 0")
        if val_split and not 0 < _positive_int(val_split, "val_split") < len(train):
            raise ValueError(f"val_split must be below {len(train)}, got {val_split}")
        if not validate:
            self.train, self.val = train, None
        elif val_split:  # always the same held-out images, whatever the training seed
            order = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))
            self.train, self.val = train.subset(order[val_split:]), train.subset(order[:val_split])
        else:
            self.train, self.val = train, self.test

    def get_dataloader(self, train):
        """Training batches are shuffled every epoch; validation batches keep dataset order."""
        if not train and self.val is None:
            return None
        return InMemoryLoader(self.train if train else self.val, self.batch_size, shuffle=train)

    def test_dataloader(self):
        """The 10,000 test images in order (the same as `val_dataloader()` without val_split)."""
        return InMemoryLoader(self.test, self.batch_size, shuffle=False)

    def to(self, device):
        """Every split moved to `device` (the GPU d2l.Trainer trains on); returns self."""
        same = self.val is self.test
        self.train, self.test = self.train.to(device), self.test.to(device)
        self.val = self.test if same else self.val and self.val.to(device)
        return self


class MNISTSplit(torch.utils.data.Dataset):
    """One split: `data` (uint8, N x 28 x 28) and `targets` as torchvision has them."""

    def __init__(self, data, targets, pixels):
        if not len(data) == len(targets) == len(pixels):
            raise ValueError(f"{len(data)} images but {len(targets)} labels")
        self.data, self.targets = data, targets
        self.pixels = pixels  # uint8, as stored; ToTensor's float32 `/ 255` comes in batch()
        self._floats = None

    @classmethod
    def from_idx(cls, image_bytes, label_bytes, resize=(28, 28)):
        """A split from the bytes of its IDX image and label files."""
        data = parse_idx(image_bytes, IMAGE_MAGIC)
        return cls(data, parse_idx(label_bytes, LABEL_MAGIC).long(),
                   resize_like_pil(data, resize).unsqueeze(1))

    def to(self, device):
        """This split with its tensors on `device`."""
        return MNISTSplit(self.data, self.targets.to(device), self.pixels.to(device))

    def subset(self, index):
        """A new split with the examples at `index` (a tensor of positions)."""
        return MNISTSplit(self.data[index], self.targets[index], self.pixels[index])

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        return to_float(self.pixels[i]), int(self.targets[i])

    def batch(self, index):
        """Images and labels at `index` (a slice, or a tensor of positions); new tensors."""
        images = self.floats()
        if isinstance(index, slice):
            X = images[index].clone() if images is not None else to_float(self.pixels[index])
            return X, self.targets[index]
        # index_select is several times faster than fancy indexing for a batch of rows.
        index = index.to(self.pixels.device)
        X = (to_float(self.pixels.index_select(0, index)) if images is None
             else images.index_select(0, index))
        return X, self.targets.index_select(0, index)

    def floats(self):
        """All images converted once, when that takes at most FLOAT_CACHE_BYTES (else None).

        The per-batch conversion was about 2 % of an epoch of model E; at 28 x 28 the whole
        training split takes 188 MB as float32. Resized splits (d2l's 224 x 224, say) would not
        fit, and keep converting per batch.
        """
        if self._floats is None and 4 * self.pixels.numel() <= FLOAT_CACHE_BYTES:
            self._floats = to_float(self.pixels)
        return self._floats


class InMemoryLoader:
    """Iterable of (X, y) batches with DataLoader's length and shuffling order."""

    def __init__(self, dataset, batch_size, shuffle):
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        n, size = len(self.dataset), self.batch_size
        order = shuffled_order(n) if self.shuffle else None
        for start in range(0, n, size):
            index = slice(start, start + size) if order is None else order[start:start + size]
            yield self.dataset.batch(index)


def shuffled_order(n):
    """The permutation a shuffling DataLoader (no workers) draws from the global torch RNG."""
    torch.empty((), dtype=torch.int64).random_()  # the loader's worker base seed, drawn first
    seed = int(torch.empty((), dtype=torch.int64).random_().item())  # RandomSampler's seed
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))


def to_float(pixels):
    """ToTensor's conversion of uint8 pixels: float32 in [0, 1]."""
    return pixels.to(torch.float32).div(255)


def parse_idx(blob, magic):
    """Decode an IDX file (big-endian header, then uint8 values) into a uint8 tensor."""
    found = int.from_bytes(blob[:4], "big")
    if found != magic:
        raise ValueError(f"not an MNIST IDX file: magic number {found}, expected {magic}")
    ndim = magic & 0xFF
    shape = [int.from_bytes(blob[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    values = np.frombuffer(blob, dtype=np.uint8, offset=4 + 4 * ndim)
    if values.size != math.prod(shape):
        raise ValueError(f"IDX file holds {values.size} values, header says {shape}")
    return torch.from_numpy(values.copy()).view(*shape)


def resize_like_pil(images, size):
    """Resize uint8 images as torchvision's Resize does on PIL images (a no-op at 28 x 28)."""
    if tuple(images.shape[-2:]) == tuple(size):
        return images
    height, width = size
    out = [np.asarray(Image.fromarray(img.numpy()).resize((width, height),
                                                                     Image.BILINEAR))
           for img in images]
    return torch.from_numpy(np.stack(out))


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _pair(resize):
    """(height, width) from an int or a pair; torchvision's int form means a square here."""
    pair = (resize, resize) if isinstance(resize, (int, np.integer)) else tuple(resize)
    if len(pair) != 2:
        raise ValueError(f"resize must be an int or a (height, width) pair, got {resize!r}")
    return tuple(_positive_int(side, "each side of resize") for side in pair)
