"""Any grayscale image of one handwritten digit, brought into MNIST's format (or into its
geometry alone)."""
import numpy as np
import torch
from PIL import Image

BOX, FIELD = 20, 28  # MNIST fits each digit in a 20 x 20 box inside a 28 x 28 field
INK_THRESHOLD = 0.1  # fraction of the darkest ink below which a pixel counts as background
RESAMPLE = {"bilinear": Image.BILINEAR, "lanczos": Image.LANCZOS}  # fit_to_box's filters


def to_mnist(image):
    """A (1, 28, 28) float32 tensor in [0, 1], white digit on black, as MNIST's images are.

    `image` is a 2-D (or 1 x H x W) numpy array or torch tensor of any numeric dtype and range,
    or a PIL image. The background is the border's colour: a light one is inverted. Intensities
    are scaled so the background is 0 and the darkest ink 1, faint pixels are cleared, the digit
    goes through `fit_to_box` with LANCZOS anti-aliasing, and its darkest pixel is brought back
    to 1, as LeCun et al. made MNIST.
    """
    field = fit_to_box(_ink(_pixels(image)), resample="lanczos")
    return field / field.max()  # resampling blurs the darkest pixel; MNIST's darkest is always ~1


def fit_to_box(ink, resample="bilinear"):
    """MNIST's geometry alone: a (1, 28, 28) float32 tensor with the ink's bounding box resized
    so its longer side is 20 px, keeping its aspect ratio, and its centre of mass at (14, 14).

    `ink` is a 2-D (or 1 x H x W) array or tensor of values >= 0 with the background exactly 0
    (white on black); its contrast is kept: no inversion, rescaling or clearing of faint ink.
    `resample` is "bilinear" or "lanczos" (PIL's filters, anti-aliased when shrinking).
    """
    if resample not in RESAMPLE:
        raise ValueError(f"resample={resample!r} is not supported; use one of {tuple(RESAMPLE)}")
    ink = _pixels(ink)
    if ink.min() < 0 or ink.max() == 0:
        raise ValueError("fit_to_box expects ink >= 0 on a background of exactly 0, with some "
                         "ink; for any other image use to_mnist")
    rows, cols = np.nonzero(ink)
    box = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = BOX / max(box.shape)
    size = (max(1, round(box.shape[1] * scale)), max(1, round(box.shape[0] * scale)))
    resized = Image.fromarray(box.astype(np.float32)).resize(size, RESAMPLE[resample])
    digit = np.clip(np.asarray(resized), 0, box.max())  # LANCZOS rings past the ink's range
    field = np.zeros((FIELD, FIELD), np.float32)
    top, left = (_offset(digit, axis, FIELD) for axis in (0, 1))
    field[top:top + digit.shape[0], left:left + digit.shape[1]] = digit
    return torch.from_numpy(field).unsqueeze(0)


def _pixels(image):
    """The image as a finite 2-D float64 array; ValueError for anything else."""
    if isinstance(image, Image.Image):
        image = image.convert("L")
    elif isinstance(image, torch.Tensor):
        image = image.detach().cpu()
        # numpy has no bfloat16: widen floats first.
        image = image.double() if image.is_floating_point() else image
    array = np.asarray(image)
    if array.dtype.kind not in "biuf":  # bool, signed, unsigned, float
        raise ValueError(f"the image must hold numbers (bool, int or float), got dtype "
                         f"{array.dtype}: convert it, e.g. with np.asarray(image, float)")
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2:
        raise ValueError(f"expected one grayscale image, H x W or 1 x H x W, got shape "
                         f"{array.shape}: convert colour images to grayscale (PIL: .convert('L'))"
                         " and pass digits one at a time")
    if array.size == 0:
        raise ValueError(f"the image is empty (shape {array.shape}): pass an image of a digit")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError("the image holds NaN or infinite values: replace them (np.nan_to_num) "
                         "or fix how the image was made")
    return array


def _ink(pixels):
    """Ink in [0, 1] on a background of 0, whatever the image's polarity and range."""
    low, high = pixels.min(), pixels.max()
    if low == high:
        raise ValueError(f"the image is all one colour ({low:g}): there is no digit in it")
    border = np.concatenate([pixels[0], pixels[-1], pixels[1:-1, 0], pixels[1:-1, -1]])
    background = np.median(border)
    # Most of the border is background even where the digit touches it, so its median says
    # which end of the range is paper; the far end is the darkest ink.
    if background > (low + high) / 2:
        ink = (background - pixels) / (background - low)
    else:
        ink = (pixels - background) / (high - background)
    ink = np.clip(ink, 0, 1)
    ink[ink < INK_THRESHOLD] = 0  # paper texture, noise and JPEG artefacts, not strokes
    return ink


def _offset(digit, axis, field):
    """Where the digit starts along `axis` so its centre of mass lands at field / 2."""
    mass = digit.sum(axis=1 - axis)
    centre = (np.arange(len(mass)) * mass).sum() / mass.sum()
    return int(np.clip(np.floor(field / 2 - centre + 0.5), 0, field - len(mass)))
