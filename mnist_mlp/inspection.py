"""Looking inside trained MLPs: first-layer weights as images, and accuracy on moved digits."""
import math

import torchvision.transforms.functional as TF
from torch import nn

from .data import MNISTSplit, batch_loader
from .evaluation import evaluate_accuracy


def first_layer(model):
    """The first Linear layer of a model built as a Sequential `net` (as MLP is)."""
    return next(layer for layer in model.net if isinstance(layer, nn.Linear))


def first_layer_images(model, count=None, side=28):
    """Each hidden unit's input weights as a side x side image, largest norm first."""
    weights = first_layer(model).weight.detach().cpu()
    order = weights.norm(dim=1).argsort(descending=True)
    return weights[order[:count]].reshape(-1, side, side)


def weight_scale(model, pixels):
    """Mean |weight| leaving the pixels where `pixels` (a 28 x 28 bool mask) is True, over
    its value at initialisation (nn.Linear draws uniformly in +-1/sqrt(fan_in), so mean |w| is
    half of that): 1 for weights that never moved, below 1 for weights that only decayed."""
    layer = first_layer(model)
    weights = layer.weight.detach().cpu().abs().reshape(-1, *pixels.shape)
    return float(weights[:, pixels].mean() / (0.5 / math.sqrt(layer.in_features)))


def moved(split, dx=0, dy=0, degrees=0.0):
    """A copy of the split with every digit shifted dx right, dy down and rotated `degrees`
    anticlockwise, on a black background."""
    pixels = split.pixels
    if degrees:
        pixels = TF.rotate(pixels, degrees, interpolation=TF.InterpolationMode.BILINEAR)
    if dx or dy:
        pixels = TF.affine(pixels, angle=0.0, translate=[dx, dy], scale=1.0, shear=[0.0])
    return MNISTSplit(split.data, split.targets, pixels)


def accuracy_when_moved(model, split, moves, batch_size=1000):
    """{move: accuracy} over the split, for each (dx, dy, degrees) in `moves`."""
    return {move: evaluate_accuracy(model, batch_loader(moved(split, *move), batch_size))
            for move in moves}
