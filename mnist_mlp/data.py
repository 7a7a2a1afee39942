"""MNIST as a d2l DataModule, served from tensors in memory."""
import math

import numpy as np
import torch
from d2l import torch as d2l
from PIL import Image

from .checks import require
from .download import default_root, load_raw

IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049


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
        return batch_loader(self.train if train else self.val, self.batch_size, shuffle=train)

    def test_dataloader(self):
        """The 10,000 test images in order (the same as `val_dataloader()` without val_split)."""
        return batch_loader(self.test, self.batch_size, shuffle=False)

    def to(self, device):
        """Every split moved to `device` (the GPU d2l.Trainer trains on); returns self."""
        same = self.val is self.test
        self.train, self.test = self.train.to(device), self.test.to(device)
        self.val = self.test if same else self.val and self.val.to(device)
        return self


class MNISTSplit(torch.utils.data.Dataset):
    """One split: `data` (uint8, N x 28 x 28) and `targets` as torchvision has them.

    `split[i]` is one (image, label) item, as torchvision's; `split[indices]` (a list or tensor
    of positions) is a whole batch (X, y) in one indexing, which is what `batch_loader` asks for.
    """

    def __init__(self, data, targets, pixels):
        if not len(data) == len(targets) == len(pixels):
            raise ValueError("data, targets and pixels must hold the same number of images, got "
                             f"{len(data)}, {len(targets)} and {len(pixels)}")
        self.data, self.targets = data, targets
        self.pixels = pixels  # uint8, as stored; ToTensor's float32 `/ 255` comes per batch

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

    def __getitem__(self, index):
        if isinstance(index, int) or getattr(index, "ndim", None) == 0:  # one item
            return to_float(self.pixels[index]), int(self.targets[index])
        # index_select is several times faster than fancy indexing for a batch of rows.
        index = torch.as_tensor(index, device=self.pixels.device)
        return to_float(self.pixels.index_select(0, index)), self.targets.index_select(0, index)


def batch_loader(split, batch_size, shuffle=False):
    """A DataLoader of (X, y) batches that indexes the split once per batch.

    Shuffled, it draws from torch's global generator exactly what `DataLoader(split,
    batch_size, shuffle=True)` draws, so a seed gives torchvision's batches in torchvision's
    order; in order, it draws nothing from it, so validating does not move the next shuffle.
    """
    order = (torch.utils.data.RandomSampler(split) if shuffle
             else torch.utils.data.SequentialSampler(split))
    batches = torch.utils.data.BatchSampler(order, batch_size, drop_last=False)
    # Each iteration draws a seed for worker processes (there are none) from `generator`:
    # the global one when shuffling, as DataLoader does; a private one otherwise.
    return torch.utils.data.DataLoader(split, sampler=batches, batch_size=None,
                                       generator=None if shuffle else torch.Generator())


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
    return int(require(name, value))  # the package's one rule for counts


def _pair(resize):
    """(height, width) from an int or a pair; torchvision's int form means a square here."""
    pair = (resize, resize) if isinstance(resize, (int, np.integer)) else tuple(resize)
    if len(pair) != 2:
        raise ValueError(f"resize must be an int or a (height, width) pair, got {resize!r}")
    return tuple(_positive_int(side, "each side of resize") for side in pair)
