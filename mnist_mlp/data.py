"""MNIST as a d2l DataModule, served from tensors in memory."""
import math
from numbers import Integral

import numpy as np
import torch
from d2l import torch as d2l
from PIL import Image

from .checks import BOOLEAN, TRAIN_IMAGES, ConfigError, check_split, require  # noqa: F401
from .download import load_raw

IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049


class MNIST(d2l.DataModule):
    """Os dígitos do MNIST, em memória: `train` tem as 60.000 imagens de treino e `val`, como no
    trabalho original, as 10.000 imagens de teste (também em `test`)."""

    def __init__(self, batch_size=64, resize=(28, 28), root=None, val_split=0, validate=True):
        super().__init__()
        self.save_hyperparameters()
        # Lê o MNIST (baixado uma vez e conferido); val_split e validate: segundo caderno.
        self.train, self.val, self.test = load_splits(batch_size, resize, root, val_split,
                                                      validate)

    def get_dataloader(self, train):
        """Os lotes de treino (embaralhados a cada época) ou de validação (em ordem)."""
        if not train and self.val is None:
            return None  # validate=False: o d2l.Trainer entende que não há validação
        split = self.train if train else self.val
        return batch_loader(split, self.batch_size, shuffle=train)

    def test_dataloader(self):
        """The 10,000 test images in order (the same as `val_dataloader()` without val_split)."""
        return batch_loader(self.test, self.batch_size, shuffle=False)

    def to(self, device):
        """Every split moved to `device` (the GPU d2l.Trainer trains on); returns self."""
        device = usable_device(device)
        same = self.val is self.test
        self.train, self.test = self.train.to(device), self.test.to(device)
        self.val = self.test if same else self.val and self.val.to(device)
        return self


def usable_device(device):
    """`device` as a torch.device, or a ConfigError in one line: no such name, or no such
    device here ('gpu', 'cuda' on a machine without one: torch's traceback)."""
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(f"device must be a torch device such as 'cpu' or 'cuda', got "
                          f"{device!r}") from None
    if (device.type == "cuda" and not torch.cuda.is_available()
            or device.type == "mps" and not torch.backends.mps.is_available()):
        raise ConfigError(f"no {device.type.upper()} device is visible to torch here: keep the "
                          "data on the CPU")
    return device


def load_splits(batch_size, resize, root, val_split, validate):
    """(train, val, test) of MNIST at `resize`: val is the test set (the original's protocol),
    `val_split` held-out training images (always the same ones, whatever the training seed), or
    None with `validate=False`. Every argument is checked before any file is read."""
    require("batch_size", batch_size)
    size = _pair(resize)
    check_split(val_split, validate)
    raw = load_raw(root)  # root None: $MNIST_MLP_DATA, data/ in a clone, ~/.cache/mnist_mlp
    train = MNISTSplit.from_idx(raw["train-images-idx3-ubyte"], raw["train-labels-idx1-ubyte"],
                                size)
    test = MNISTSplit.from_idx(raw["t10k-images-idx3-ubyte"], raw["t10k-labels-idx1-ubyte"],
                               size)
    if not validate:
        return train, None, test
    if not val_split:
        return train, test, test
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))
    return train.subset(order[val_split:]), train.subset(order[:val_split]), test


class MNISTSplit(torch.utils.data.Dataset):
    """One split: `data` (uint8, N x 28 x 28) and `targets` as torchvision has them.

    `split[i]` is one (image, label) item, as torchvision's; `split[indices]` (a slice, a list or
    tensor of positions, or a boolean mask) is a whole batch (X, y) in one indexing, which is
    what `batch_loader` asks for.
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
        device = usable_device(device)
        return MNISTSplit(self.data, self.targets.to(device), self.pixels.to(device))

    def subset(self, index):
        """A new split with the examples at `index` (a tensor of positions)."""
        self._not_a_truth(index)
        if isinstance(index, int) or getattr(index, "ndim", None) == 0:  # one item, no split
            raise ValueError(f"subset takes positions (e.g. torch.arange({int(index)}) for the "
                             f"first {int(index)}), got the number {int(index)}")
        try:  # positions' own errors, as a one-line ValueError of subset's
            index = self.positions(index)
        except (TypeError, IndexError) as err:
            raise ValueError(f"subset: {err}") from None
        return MNISTSplit(self.data[index.to(self.data.device)], self.targets[index],
                          self.pixels[index])

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        self._not_a_truth(index)
        if isinstance(index, int) or getattr(index, "ndim", None) == 0:  # one item
            return to_float(self.pixels[index]), int(self.targets[index])
        # index_select is several times faster than fancy indexing for a batch of rows.
        index = self.positions(index)
        return to_float(self.pixels.index_select(0, index)), self.targets.index_select(0, index)

    def _not_a_truth(self, index):
        """TypeError for split[True] (torch's puzzling errors: a bool is an int, and 0-d)."""
        if isinstance(index, (bool, np.bool_)) or (isinstance(index, torch.Tensor)
                                                   and index.dim() == 0
                                                   and index.dtype == torch.bool):
            raise TypeError(f"index a split with a position, a slice, positions or a boolean "
                            f"mask of its {len(self)} images, not {index!r}")

    def positions(self, index):
        """`index` (a slice, a list or tensor of positions, negative ones counting from the end,
        or a boolean mask) as a tensor of positions on the split's device, or an error that says
        what was wrong (checked where the positions are on the CPU, as a loader's are)."""
        device = self.pixels.device
        if isinstance(index, slice):
            return torch.arange(len(self), device=device)[index]
        try:
            index = torch.as_tensor(index)
        except (TypeError, ValueError, RuntimeError):
            index = None
        if index is not None and index.dtype == torch.bool and index.shape == (len(self),):
            return index.nonzero().flatten().to(device)
        if index is not None and index.dtype == torch.uint8:  # torch's old masks, or positions
            raise TypeError("index a split with a uint8 tensor: pass mask.bool() for a mask, "
                            "mask.long() for positions")
        if index is not None and index.is_floating_point() and not index.numel():
            index = index.long()  # [] holds no positions: an empty split
        if (index is not None and not index.is_floating_point() and index.dtype != torch.bool
                and index.dim() == 1 and len(index) > 2 and index.device.type == "cpu"
                and bool(((index == 0) | (index == 1)).all())):
            # (targets == 3).int(): as positions, images 0 and 1 over and over, silently
            other = ("" if len(index) == len(self) else
                     f" (and of this split's length, {len(self)}, not {len(index)})")
            raise TypeError(f"these {len(index)} positions are all 0 or 1: a 0/1 mask? pass "
                            f"mask.bool(){other}, e.g. split.targets == 3")
        if (index is None or index.dim() != 1 or index.is_floating_point()
                or index.dtype == torch.bool):
            raise TypeError("index a split with a position, a slice, a list or tensor of "
                            f"positions, or a boolean mask of its {len(self)} images")
        if index.device.type == "cpu" and len(index):
            if not -len(self) <= int(index.min()) <= int(index.max()) < len(self):
                raise IndexError(f"positions from {int(index.min())} to {int(index.max())} "
                                 f"for a split of {len(self)} images")
            index = index % len(self)
        return index.to(device)


def join(splits):
    """One split with the examples of `splits`, in order, e.g. a split and its moved copies:
    join([moved(data.train, dx) for dx in range(-3, 4)])."""
    splits = list(splits)
    if not splits or not all(isinstance(split, MNISTSplit) for split in splits):
        raise ValueError("join takes a non-empty list of splits (MNISTSplit), e.g. "
                         "[data.train, moved(data.train, 1)]")
    sizes = {tuple(split.pixels.shape[1:]) for split in splits}
    if len(sizes) > 1:  # torch.cat's "Sizes of tensors must match"
        raise ValueError(f"join takes splits of one image size, got {sorted(sizes)}: build "
                         "them from one MNIST (one resize)")
    return MNISTSplit(*(torch.cat(parts) for parts in
                        zip(*((split.data, split.targets, split.pixels) for split in splits))))


def batch_loader(split, batch_size, shuffle=False):
    """A DataLoader of (X, y) batches that indexes the split once per batch (another Dataset:
    item by item).

    Shuffled, it draws from torch's global generator exactly what `DataLoader(split,
    batch_size, shuffle=True)` draws, so a seed gives torchvision's batches in torchvision's
    order; in order, it draws nothing from it, so validating does not move the next shuffle.
    Shuffled, a last batch of one image is left out: batch normalisation cannot train on one
    image (every other split and size keeps all its batches).
    """
    require("batch_size", batch_size)  # 0: torch's error; 64.7: batches of 64, silently
    require("shuffle", shuffle, BOOLEAN)  # "False" is a true string
    if not isinstance(split, torch.utils.data.Dataset):
        raise ValueError(f"batch_loader takes a split of MNIST, got {type(split).__name__}: e.g. "
                         "batch_loader(data.test, 1000)")
    batch_size = int(batch_size)  # a NumPy integer passes the package's rule but not torch's
    lone = shuffle and len(split) % batch_size == 1
    if not isinstance(split, (MNISTSplit, torch.utils.data.TensorDataset)):  # a torchvision
        # dataset, one's own: indexed one item at a time (a list of positions would fail)
        return torch.utils.data.DataLoader(split, batch_size, shuffle=shuffle, drop_last=lone,
                                           generator=None if shuffle else torch.Generator())
    order = (torch.utils.data.RandomSampler(split) if shuffle
             else torch.utils.data.SequentialSampler(split))
    batches = torch.utils.data.BatchSampler(order, batch_size, drop_last=lone)
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


def _pair(resize):
    """(height, width) from an int or a pair; torchvision's int form means a square here."""
    try:
        pair = ((resize, resize) if isinstance(resize, Integral) else
                () if isinstance(resize, str) else tuple(resize))  # '28' is not ('2', '8')
    except TypeError:  # neither an int nor a sequence
        pair = ()
    if len(pair) != 2:
        raise ConfigError(f"resize must be an int or a (height, width) pair, got {resize!r}")
    return tuple(int(require("each side of resize", side)) for side in pair)
