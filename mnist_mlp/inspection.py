"""Looking inside trained MLPs (notebook 3): first-layer weights as images, accuracy on moved
digits and on scikit-learn's digits."""
import math

import torch
import torchvision.transforms.functional as TF
from sklearn.datasets import load_digits
from torch import nn
from torch.nn.functional import interpolate

from .checks import Interval, is_count, require
from .data import MNISTSplit, batch_loader
from .digits import fit_to_box, to_mnist
from .evaluation import confusion, device_of, evaluate_accuracy


def first_layer(model):
    """The first Linear layer of a model built as a Sequential `net` (as MLP is)."""
    device_of(model)  # a model, with values (not on 'meta')
    layers = [m for m in getattr(model, "net", []) if isinstance(m, nn.Linear)]
    if not layers:
        raise ValueError(f"expected one of the package's MLPs (a Sequential `net` of Linear "
                         f"layers), got {type(model).__name__}")
    return layers[0]


def first_layer_images(model, count=None, side=None):
    """Each hidden unit's input weights as a side x side image (side: the layer's, square),
    largest norm first."""
    if count is not None:
        require("count", count)  # a positive integer: -1 would drop a unit, 0 leave none
    weights = first_layer(model).weight.detach().cpu()
    if side is None and math.isqrt(weights.shape[1]) ** 2 == weights.shape[1]:
        side = math.isqrt(weights.shape[1])  # 28 for MNIST's models, 14 for MNIST(resize=14)'s
    if not is_count(side) or side * side != weights.shape[1]:
        raise ValueError(f"side={side!r} does not tile the layer's {weights.shape[1]} inputs: "
                         f"side * side must equal them")
    if count is not None and count > len(weights):  # fewer would come back, without a word
        raise ValueError(f"count={count}, but the layer has {len(weights)} units: ask for "
                         f"{len(weights)} or fewer")
    order = weights.norm(dim=1).argsort(descending=True)
    return weights[order[:count]].reshape(-1, side, side)


def weight_scale(model, pixels):
    """Mean |weight| leaving the pixels where `pixels` (a bool mask of the images' side x side,
    as never_inked gives it) is True, over its value at initialisation (nn.Linear draws
    uniformly in +-1/sqrt(fan_in), so mean |w| is half of that): 1 for weights that never moved,
    below 1 for weights that only decayed."""
    layer = first_layer(model)
    side = math.isqrt(layer.in_features)
    if side * side != layer.in_features:
        raise ValueError(f"the model's first layer takes {layer.in_features} pixels, not a "
                         "square image's: weight_scale reads models of square images")
    pixels = check_mask(pixels, side)
    weights = layer.weight.detach().cpu().abs().reshape(-1, *pixels.shape)
    return float(weights[:, pixels].mean() / (0.5 / math.sqrt(layer.in_features)))


def check_mask(pixels, side=28):
    """`pixels` as a tensor if it is a side x side boolean mask with some True (never_inked's),
    else a ValueError in one line (an int mask would index rows 0 and 1, not mask pixels)."""
    try:
        mask = torch.as_tensor(pixels)
    except (TypeError, ValueError, RuntimeError):  # None, ragged lists: no tensor at all
        mask = None
    if mask is None or mask.dtype != torch.bool or mask.shape != (side, side) or not mask.any():
        found = (f"{mask.dtype} of shape {tuple(mask.shape)}" if mask is not None
                 else type(pixels).__name__)
        none = mask is not None and mask.numel() and not mask.any()
        raise ValueError(f"pixels must be a {side} x {side} boolean mask with some True, as "
                         f"never_inked returns, got {found}" + (" and none True" if none else ""))
    return mask


def moved(split, dx=0, dy=0, degrees=0.0):
    """A copy of the split with every digit shifted dx right, dy down and rotated `degrees`
    anticlockwise, on a black background."""
    check_split_given(split)
    # whole pixels, less than a side (a whole side leaves a black image); a string would be
    # torchvision's TypeError
    height, width = split.pixels.shape[-2:]
    require("dx", dx, Interval(whole=True, low=1 - width, high=width - 1))
    require("dy", dy, Interval(whole=True, low=1 - height, high=height - 1))
    require("degrees", degrees, Interval(whole=False, low=-360, high=360))
    def move(images, scale=1.0):  # uint8 N x 1 x H x W, rounded back to uint8 by torchvision
        if degrees:
            images = TF.rotate(images, float(degrees),
                               interpolation=TF.InterpolationMode.BILINEAR)
        if dx or dy:
            images = TF.affine(images, angle=0.0, translate=[round(dx * scale), round(dy * scale)],
                               scale=1.0, shear=[0.0])
        return images

    pixels = move(split.pixels)
    # `data` is what students look at (torchvision's N x 28 x 28): moved too, the same pixels
    # when the split is not resized, else as far in its own pixels (2 of 14 are 4 of 28)
    data = (pixels[:, 0] if pixels.shape[1:] == (1, *split.data.shape[1:])
            else move(split.data.unsqueeze(1), split.data.shape[-1] / width)[:, 0])
    return MNISTSplit(data, split.targets, pixels)


def accuracy_when_moved(model, split, moves, batch_size=1000):
    """{move: accuracy} over the split, for each (dx, dy, degrees) in `moves`."""
    check_split_given(split)
    require("batch_size", batch_size)
    # a dict gives its names, not its moves; a string, its letters
    moves = (list(moves) if hasattr(moves, "__iter__") and not isinstance(moves, (dict, str))
             else [])
    if not moves or not all(isinstance(move, (tuple, list)) and len(move) == 3 for move in moves):
        raise ValueError("moves must be a list of (dx, dy, degrees) triples, e.g. "
                         "list(MOVES.values()) or [(1, 0, 0), (0, 0, 10)]")
    moves = [tuple(move) for move in moves]
    return {move: evaluate_accuracy(model, batch_loader(moved(split, *move), batch_size))
            for move in moves}


def check_split_given(split):
    """ValueError, in one line, unless `split` is one of MNIST's splits (data.test, data.val)."""
    if not isinstance(split, MNISTSplit):
        hint = ("pass one of its splits, e.g. data.test" if hasattr(split, "test_dataloader")
                else "pass e.g. data.test")
        raise ValueError(f"expected a split of MNIST, got {type(split).__name__}: {hint}")
    if not len(split):  # a mask that selected nothing
        raise ValueError("the split is empty: it holds no images")


# Notebook 3's moves: shifts to the right, diagonal shifts (right and down) and rotations.
MOVES = {"original": (0, 0, 0),
         **{f"{d} px →": (d, 0, 0) for d in (1, 2, 3, 4)},
         **{f"{d} px ↘": (d, d, 0) for d in (1, 2, 3)},
         **{f"rotação de {g}°": (0, 0, g) for g in (10, 20)}}


def sklearn_versions():
    """Os 1.797 dígitos 8 × 8 do scikit-learn em três versões de 28 × 28, e os seus rótulos."""
    digits = load_digits()
    eight = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1)  # valores de 0 a 16
    versions = {
        "(a) campo inteiro": interpolate(eight / 16, size=(28, 28), mode="bilinear"),
        "(b) geometria do MNIST": torch.stack([fit_to_box(image / 16) for image in eight]),
        "(c) to_mnist": torch.stack([to_mnist(image) for image in eight]),
    }
    return versions, torch.tensor(digits.target)


def never_inked(split):
    """The mask (height x width) of the pixels that are 0 in every image of `split`."""
    check_split_given(split)
    return ~(split.pixels[:, 0] > 0).any(dim=0)


def notebook3_measures(model, test, versions, labels, never):
    """What notebook 3 measures of one trained model, as plain numbers: accuracy on the moved
    test digits (by MOVES' names), on each of scikit-learn's versions and on version (a) with
    the ink on `never` (MNIST's never-inked pixels) erased, and per digit on version (c)."""
    never = check_mask(never)
    moves = accuracy_when_moved(model, test, list(MOVES.values()))
    erased = versions["(a) campo inteiro"].clone()
    erased[:, 0][:, never] = 0
    per_digit = confusion(model, [(versions["(c) to_mnist"], labels)])
    return {"moved": {name: moves[move] for name, move in MOVES.items()},
            "sklearn": {name: evaluate_accuracy(model, [(images, labels)])
                        for name, images in versions.items()},
            "sklearn (a) without the never-inked pixels": evaluate_accuracy(model,
                                                                          [(erased, labels)]),
            "sklearn (c) per digit": (per_digit.diagonal() / per_digit.sum(axis=1)).tolist()}
