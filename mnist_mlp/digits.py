"""Any image of one handwritten digit, a photo included, brought into MNIST's format (or into its
geometry alone)."""
import math
import os

import numpy as np
import torch
from PIL import Image, ImageOps
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError
from skimage.filters import threshold_otsu

from .checks import BOOLEAN, require

BOX, FIELD = 20, 28  # MNIST fits each digit in a 20 x 20 box inside a 28 x 28 field
INK_THRESHOLD = 0.1  # fraction of the darkest ink below which a pixel counts as background
RESAMPLE = {"bilinear": Image.BILINEAR, "lanczos": Image.LANCZOS}  # fit_to_box's filters
PHOTO_SIDE = 64  # from this size on both sides an image is read as a photo: its light may vary
MAX_SIDE = 1024  # a bigger photo is first shrunk to this longer side
SKETCH = 128  # the paper's brightness is estimated on a copy with this longer side
PAPER_WINDOW = 8  # ... its strokes found by a closing an eighth of the photo wide
FILL_STEPS = 100  # ... and filled in by this many steps of Jacobi's method
NEIGHBOURS = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]]) / 4
EVEN = 0.1  # a border is evenly lit if its middle half spans less of the range than this
GRAIN = 0.002  # a photo's neighbouring pixels typically differ by more than this (a drawing's: 0)
MIN_CONTRAST = 0.35  # a photo's ink is at least this much darker than the paper around it
PART = 0.1  # a stroke belongs to the digit if it has this fraction of the largest one's area
GAP = 0.5  # ... and lies within this fraction of the largest one's size from its box
BAND = 0.8  # ink in contact with a side along this fraction of it is the desk, not a stroke
SOLID = 0.25  # ink whose inside lies this deep (a fraction of its box) is a patch (a shadow)
FRAMED = 0.2  # a stroke around another at least this fraction of its size is a box or circle
ENCLOSED, RAYS = 0.75, 72  # ... around it in this share of RAYS directions from its centre
APART = 0.5  # strokes apart from the digit's with this share of its ink or size: a second digit
DIGIT_SIZE = 1 / 40  # ... those three left out only if a stroke (none) this large remains
BAR, UNDERLINE_GAP = 0.15, 0.1  # an underline: this thin (height / width), this far below
SHEET_SOLID, SHEET_RECT = 0.95, 0.9  # a sheet's outline: convex, nearly its smallest rectangle
SHEET_AREA = 0.02  # ... of this share of the photo or more (a sticky note from standing height)
MAX_CUTS = 3  # sheets cut out of sheets (a white screen in a black bezel on a light desk)
LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R 601: grey from red, green and blue, as PIL's "L"
# Strokes make neighbouring pixels alike; in noise they are unrelated. Their correlation is
# refused below NOISE_SDS standard deviations of its spread in noise (1 / sqrt(pairs)), and
# below NOISE_FLOOR: scikit-learn's 8 x 8 digits reach 0.28 at least, MNIST's 0.55.
NOISE_SDS, NOISE_FLOOR, MIN_PAIRS = 2.5, 0.1, 100


def to_mnist(image, drawing=False):
    """A (1, 28, 28) float32 tensor in [0, 1], white digit on black, as MNIST's images are.

    `image` is anything `grey` reads: a PIL image, a numpy array or a torch tensor, in any
    numeric range.

    An image under 64 px on a side (PHOTO_SIDE), such as MNIST's or scikit-learn's digits, or a
    drawing (`drawing=True`: the drawing pad's canvas, a digital drawing) is read as cropped
    and evenly lit, every mark in it the digit's (but a drawing's dots, a tap of the pen; no desk
    or shadow is looked for): the background is the
    border's colour (a light one is inverted), intensities are scaled so the background is 0
    and the darkest ink 1, and pixels under 10% of that are cleared. Any other image is read as
    a photo, where light may vary: ink is measured as a fraction of the paper's brightness
    around it (estimated locally, unless the border is evenly lit), so gradients and soft
    shadows are not ink; noise is told from ink by Otsu's threshold (after a blur, where the
    image has grain), and only the strokes of the digit are kept, not specks away from it, nor
    a band of desk along the frame, a solid shadow beside it, a box or circle around it (closed
    or nearly) or lines under it, where a stroke remains (a solid patch over it is refused, as
    are strokes apart from the digit's with half its size or ink: a second digit; one written
    closer than half the digit's size is read with it, as one: crop the photo to one digit); ink is
    scaled by a high percentile, not the one darkest pixel, and cleared under 10%. Under
    uneven light a photo must be of dark ink on light paper, with strokes narrower than an
    eighth of its longer side. A sheet on a dark desk seen all round it (the border evenly
    dark; of several, the one holding ink), or a dark screen on a light desk, is cut out
    first, at any angle. Keep the desk out of the frame otherwise: in a grainy photo (noise of
    some 5% of the range or more, in any light) pieces of its edge may be kept. A shadow longer
    than wide that takes more than a third of the light (MIN_CONTRAST), and a box or circle
    touching the digit, are read as ink: photograph in even light, and look at what the model
    is given. A thin pen's strokes come out thinner than MNIST's (a pixel wide, which models
    read worse): write with a marker. Either way the digit goes through
    `fit_to_box` with LANCZOS anti-aliasing and its darkest pixel is brought back to 1, as
    LeCun et al. made MNIST.
    """
    require("drawing", drawing, BOOLEAN)
    pixels = grey(image)
    if drawing:
        ink = _drawn_ink(pixels)
    else:
        try:
            ink = _photo_ink(pixels) if min(pixels.shape) >= PHOTO_SIDE else _ink(pixels)
        except _Scattered as err:
            _refuse_noise(pixels)  # noise scatters into strokes too: it is named as noise
            raise ValueError(str(err)) from None  # the user's traceback names no private class
    _refuse_noise(pixels)  # after the ink: a blank page's grain is told as no ink, not noise
    field = fit_to_box(ink, resample="lanczos")
    return field / field.max()  # resampling blurs the darkest pixel; MNIST's darkest is always ~1


# fit_to_box: the share of the frame's pixels lit, by paper brighter than the image on average,
# over which the ink is taken to be dark on light paper
LIT_FRAME = 0.75


def fit_to_box(ink, resample="bilinear"):
    """MNIST's geometry alone: a (1, 28, 28) float32 tensor with the ink's bounding box resized
    so its longer side is 20 px, keeping its aspect ratio, and its centre of mass at (14, 14).

    `ink` is an image (anything `grey` reads) of values >= 0 with the background exactly 0
    (white on black); its contrast is kept: no inversion, rescaling or clearing of faint ink.
    `resample` is "bilinear" or "lanczos" (PIL's filters, anti-aliased when shrinking).
    """
    if not isinstance(resample, str) or resample not in RESAMPLE:
        raise ValueError(f"resample={resample!r} is not supported; use one of {tuple(RESAMPLE)}")
    ink = grey(ink)
    if ink.min() < 0 or ink.max() == 0:
        raise ValueError("fit_to_box expects ink >= 0 on a background of exactly 0, with some "
                         "ink; for any other image use to_mnist")
    frame = np.concatenate([ink[0], ink[-1], ink[1:-1, 0], ink[1:-1, -1]])
    lit = (frame > 0).mean()
    # a frame lit nearly all round, by paper brighter than the image on average, or by a faint
    # background (a dark grey canvas) all round an image wider than a stroke: its bounding box
    # would be the whole image, the digit shrunk in it. Of MNIST's 10 000 test digits, padded
    # or cropped tight, none is refused, nor of 2 000 blurred and cropped tight (upscaled and
    # cropped tight, about 1 in 2 000: pad it); of their negatives, 99.2%. Grain sprinkled on a
    # background of 0 lights only part of the frame: it is not told from a soft edge.
    if lit > LIT_FRAME and (frame.mean() > ink.mean() or (
            lit > 0.95 and min(ink.shape) >= 8 and np.median(frame) < ink.max() / 4)):
        raise ValueError("fit_to_box expects ink on a background of exactly 0, and this "
                         "image's background is not 0: dark ink on light paper? invert it "
                         "(255 - image); a faint background? clear it (image[image < t] = 0); "
                         "light ink cropped tight? pad it (np.pad(image, 1)); or use to_mnist, "
                         "which does these")
    rows, cols = np.nonzero(ink)
    box = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = BOX / max(box.shape)
    size = (max(1, round(box.shape[1] * scale)), max(1, round(box.shape[0] * scale)))
    resized = Image.fromarray(box.astype(np.float32)).resize(size, RESAMPLE[resample])
    digit = np.clip(np.asarray(resized), 0, box.max())  # LANCZOS rings past the ink's range
    field = np.zeros((FIELD, FIELD), np.float32)
    # Where the digit starts along each axis so that its centre of mass lands at FIELD / 2.
    top, left = (int(np.clip(np.floor(FIELD / 2 - centre + 0.5), 0, FIELD - size))
                 for centre, size in zip(ndimage.center_of_mass(digit), digit.shape))
    field[top:top + digit.shape[0], left:left + digit.shape[1]] = digit
    return torch.from_numpy(field).unsqueeze(0)


def grey(image):
    """The image's grey levels: a finite 2-D float64 array in the image's own range and
    polarity (nothing is rescaled or inverted), the one reading of an image that `to_mnist`,
    `fit_to_box` and the drawing pad share.

    `image` is a PIL image of any mode: 8-bit, 16-bit (I;16), 32-bit integer (I) or float (F)
    grey, or colour (RGB, P, CMYK...); a numpy array or torch tensor of any numeric dtype
    (bool, int, float, bfloat16), H x W, 1 x H x W or H x W x 1 grey (a batch of one too),
    H x W x 3 RGB, or either with alpha (H x W x 2 or 4). Colour becomes grey by ITU-R 601 luma
    (0.299 R + 0.587 G + 0.114 B, PIL's "L" without its rounding), and transparent pixels become
    white paper, as a viewer shows them. Anything else, a file's path included, raises a
    ValueError of one line that says what to pass instead.
    """
    if isinstance(image, str | os.PathLike):
        raise ValueError(f"got a path, {os.fspath(image)!r}, not an image: open it first, e.g. "
                         "PIL.Image.open(path)")
    if isinstance(image, bytes | bytearray):
        raise ValueError("got bytes, not an image: open them first, e.g. "
                         "PIL.Image.open(io.BytesIO(data))")
    if image is None:
        raise ValueError("got None, not an image: no image was given (did a load or a "
                         "function that draws return None?)")
    if hasattr(image, "read"):  # an open file
        raise ValueError("got an open file, not an image: open it as one, e.g. "
                         "PIL.Image.open(file)")
    if isinstance(image, Image.Image):
        # a phone stores a portrait photo sideways, with an EXIF tag saying how to turn it
        image = ImageOps.exif_transpose(image)
        if image.has_transparency_data:  # over paper, as the arrays with alpha
            image = _over_paper(np.asarray(image.convert("RGBA"))) @ LUMA
        elif image.mode not in ("1", "L", "I", "F") and not image.mode.startswith("I;16"):
            # RGB, palette, CMYK, YCbCr...: the colours they stand for, then their luma.
            image = np.asarray(image.convert("RGB"), np.float64) @ LUMA
    elif isinstance(image, torch.Tensor):
        image = image.detach().cpu()
        # numpy has no bfloat16: widen floats first.
        image = image.double() if image.is_floating_point() else image
    array = np.asarray(image)
    if array.dtype.kind not in "biuf":  # bool, signed, unsigned, float
        raise ValueError(f"the image must hold numbers (bool, int or float), got dtype "
                         f"{array.dtype}: convert it, e.g. with np.asarray(image, float)")
    shape = array.shape  # as given, for the errors
    if array.size == 0:
        raise ValueError(f"the image is empty (shape {shape}): pass an image of a digit")
    ones = 0
    while array.ndim > 2 and array.shape[0] == 1:  # 1 x H x W, or a batch of one (X[:1])
        array, ones = array[0], ones + 1
    if array.ndim == 3 and array.shape[-1] in (2, 4):  # grey or RGB with alpha (an LA or RGBA
        array = _over_paper(array)  # PNG, plt.imread's)
    if array.ndim == 3 and array.shape[-1] == 1:  # H x W x 1: Keras' and OpenCV's grey
        array = array[..., 0]
    if array.ndim == 3 and array.shape[-1] == 3:
        array = array.astype(np.float64) @ LUMA
    name = "image" + "[0]" * ones  # what the hints below call
    if array.ndim == 3 and array.shape[0] in (2, 3, 4):  # ToTensor's layout of LA, RGB, RGBA
        # or 2 to 4 digits (dataset.data[:2]): which, only the caller knows
        method = "permute" if isinstance(image, torch.Tensor) else "transpose"
        raise ValueError(f"got shape {shape}: several digits? pass them one at a time, e.g. "
                         f"{name}[0]; a channel-first image (ToTensor of a photo)? pass "
                         f"{name}.{method}(1, 2, 0)")
    if array.ndim == 1 or array.ndim == 2 and min(array.shape) <= 3 < 49 <= max(array.shape):
        raise ValueError(f"got shape {shape}: {_flattened(array, name)}")
    if array.ndim != 2:
        raise ValueError(f"expected one image (H x W grey, H x W x 3 colour, or with alpha), got "
                         f"shape {shape}" + (": several images? pass them one at a time, e.g. "
                                             "images[0]" if array.ndim > 2 else ""))
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError("the image holds NaN or infinite values: replace them (np.nan_to_num) "
                         "or fix how the image was made")
    return array


def _over_paper(array):
    """An image with alpha (H x W x 2 or 4) without it: over white paper, as a viewer shows
    it, but light ink of one colour whose strokes are in the alpha alone (a dark theme's
    drawing, white on transparent) over black, where it was drawn."""
    white = _full_scale(array)
    alpha = array[..., -1:].astype(np.float64) / white
    colour = array[..., :-1].astype(np.float64)
    seen = colour[alpha[..., 0] > 0]
    light_ink = (seen.size and np.ptp(seen) <= 0.1 * white and seen.mean() > white / 2
                 and alpha.min() < alpha.max())
    return colour * alpha + (0.0 if light_ink else white) * (1 - alpha)


def _flattened(array, name):
    """What a row of values (784, a row or a few rows of them, or 785 with a label) may be."""
    values = max(array.shape)
    rows = "" if array.ndim == 1 or min(array.shape) == 1 else "rows of "
    one = f"{name}[0]" if rows else name
    if values >= 64 and math.isqrt(values) ** 2 == values:
        return (f"{rows or 'a '}flattened image{'s' if rows else ''}? pass "
                f"{'one, ' if rows else ''}{one}.reshape({math.isqrt(values)}, "
                f"{math.isqrt(values)})")
    if values > 64 and math.isqrt(values - 1) ** 2 == values - 1:  # Kaggle's CSV: label first
        side = math.isqrt(values - 1)
        return (f"{rows or 'a '}flattened image{'s' if rows else ''} with a label first (a "
                f"CSV row)? drop the label: {one}.ravel()[1:].reshape({side}, {side})")
    return "a line of values, not an image of a digit: pass an H x W image"


def _full_scale(array):
    """Full opacity (and white) in an image's own range: 1 for bools and floats under 2 (a
    resize's overshoot of 0..1), 255 for 8-bit values, 65535 for 16-bit ones (a 16-bit PNG's
    alpha), else the image's maximum."""
    top = float(array.max())
    if array.dtype.kind == "b" or (array.dtype.kind == "f" and top < 2):  # 1.002: bicubic's
        return 1.0  # overshoot of a 0..1 image
    slack = 1.2 if array.dtype.kind == "f" else 1.0
    return next((full for full in (255.0, 65535.0) if top <= full * slack), top)


def neighbour_correlation(pixels):
    """The correlation between each pixel and its right and lower neighbours (1 if flat)."""
    a = np.asarray(pixels, dtype=np.float64)
    x = np.concatenate([a[:, :-1].ravel(), a[:-1, :].ravel()])
    y = np.concatenate([a[:, 1:].ravel(), a[1:, :].ravel()])
    if x.size < 2 or x.std() == 0 or y.std() == 0:
        return 1.0
    return float(np.corrcoef(x, y)[0, 1])


def _refuse_noise(pixels):
    pairs = pixels.shape[0] * (pixels.shape[1] - 1) + (pixels.shape[0] - 1) * pixels.shape[1]
    if pairs < MIN_PAIRS:  # too few to tell noise from strokes (an 8 x 8 image has 112)
        return
    limit = max(NOISE_SDS / np.sqrt(pairs), NOISE_FLOOR)
    found = neighbour_correlation(pixels)
    if found < limit:
        raise ValueError(f"the image looks like noise, not a digit: neighbouring pixels are "
                         f"unrelated (correlation {found:.2f}, strokes give more than "
                         f"{limit:.2f}); pass a photo or drawing of one digit")


def lightness(pixels):
    """`grey`'s levels, not all one, as fractions of the lightest (the paper, on a drawing or a
    photo of dark ink), black being 0 (or the lowest level, if below 0)."""
    zero = min(pixels.min(), 0)  # black, unless the values go below it
    return (pixels - zero) / (pixels.max() - zero)


def _ink(pixels):
    """Ink in [0, 1] on a background of 0, whatever the image's polarity and range."""
    low, high = _range(pixels)
    # Most of the border is background even where the digit touches it, so its median says
    # which end of the range is paper; the far end is the darkest ink.
    background = np.median(border(pixels))
    if background > (low + high) / 2:
        ink = (background - pixels) / (background - low)
    else:
        ink = (pixels - background) / (high - background)
    ink = np.clip(ink, 0, 1)
    ink[ink < INK_THRESHOLD] = 0  # paper texture, noise and JPEG artefacts, not strokes
    return ink


def _photo_ink(pixels, cuts=0):
    """Ink in [0, 1] on a background of 0 in a photo: the digit's strokes measured against the
    paper around them, nothing else."""
    pixels = _shrink(pixels, MAX_SIDE)  # the digit ends 20 px tall: spare time and memory
    low, high = _range(pixels)
    quartiles = np.percentile(border(pixels), [25, 50, 75])
    even = quartiles[2] - quartiles[0] < EVEN * (high - low)
    dark_ground = quartiles[1] < (low + high) / 2
    # a sheet on a dark desk, or a screen on a light one (in a frame of its own, cut again)
    if even and cuts < MAX_CUTS and (inside := _sheet(pixels, low, high, dark_ground)) is not None:
        return _photo_ink(inside, cuts + 1)
    # light ink on an evenly dark ground, or dark ink on paper in any light
    light = (high - pixels) / (high - low) if even and dark_ground else lightness(pixels)
    # Light multiplies: ink reflects a fixed fraction of the light its paper reflects, in
    # light or in shade, so it is measured as a fraction of the paper's brightness there.
    paper = np.median(border(light)) if even else _paper(light)
    ink = np.clip(1 - light / np.maximum(paper, 1e-9), 0, 1)
    # The blur: noise makes no strokes. A drawing has none, and its pen may be one pixel wide,
    # which the blur would bring under MIN_CONTRAST.
    strokes = _strokes(ndimage.gaussian_filter(ink, 1) if _noisy(light) else ink)
    ink = ink * ndimage.binary_dilation(strokes, iterations=2)  # the strokes' soft edges too
    ink = np.clip(ink / np.percentile(ink[strokes], 99), 0, 1)  # not the one darkest pixel
    ink[ink < INK_THRESHOLD] = 0
    return ink


def _sheet(pixels, low, high, light=True):
    """The sheet of paper in a photo of it on a dark desk (`light`; else a dark screen on a
    light desk), cut out and the desk painted in the sheet's colour; None if the largest region
    of that shade is not such a sheet but ink (chalk, a negative; a digit on paper). Of blank
    sheets and one holding ink, the latter is cut out. A sheet holds ink, takes SHEET_AREA of
    the photo or more, and its outline is a quadrilateral: convex (SHEET_SOLID) and nearly
    filling its smallest rectangle, at any angle (SHEET_RECT). Filled in, no MNIST digit is
    so, padded or cropped tight (at most 0.88 of its rectangle, 2 000 test digits); sheets
    holding them are 0.89 to 1."""
    middle = (low + high) / 2
    shade = pixels > middle if light else pixels < middle
    labels, _ = ndimage.label(shade)
    areas = np.bincount(labels.ravel())[1:]
    for i in np.argsort(areas)[::-1]:  # the largest first; past it only while sheets are blank
        region = labels == i + 1  # (two sheets side by side: the digit's is the smaller one)
        sheet = ndimage.binary_fill_holes(region)
        if sheet.mean() < SHEET_AREA or not _sheet_shaped(sheet):
            return None
        if (sheet & ~region).sum() >= 0.005 * sheet.sum():  # it holds ink
            return _cut_out(pixels, sheet, region)
    return None


def _sheet_shaped(sheet):
    """Whether a filled region's outline is a quadrilateral: convex (SHEET_SOLID) and nearly
    filling its smallest rectangle, at any angle (SHEET_RECT)."""
    outline = np.argwhere(sheet & ~ndimage.binary_erosion(sheet)).astype(float)
    try:
        hull = ConvexHull(outline)
    except QhullError:  # a line: no sheet
        return False
    corners = outline[hull.vertices]
    return (sheet.sum() >= SHEET_SOLID * hull.volume
            and sheet.sum() >= SHEET_RECT * _rectangle(corners))


def _cut_out(pixels, sheet, region):
    """The `sheet` (a filled region; `region`, its paper) cut out of the photo, the desk painted
    in the paper's colour; None if nothing is left once its edge is."""
    # its edge (shaded, or cut slanting by the desk) left out with the desk
    inner = ndimage.binary_erosion(sheet, iterations=max(1, round(0.02 * max(sheet.shape))))
    if not inner.any():
        return None
    rows, cols = np.nonzero(inner)
    painted = np.where(inner, pixels, np.median(pixels[region]))
    return painted[rows.min():rows.max() + 1, cols.min():cols.max() + 1]


def _rectangle(corners):
    """The area of the smallest rectangle, at any angle, holding the convex polygon `corners`
    (one of its sides lies along one of the polygon's: the rotating-calipers rule)."""
    sides = np.diff(np.vstack([corners, corners[:1]]), axis=0)
    best = np.inf
    for angle in np.arctan2(sides[:, 1], sides[:, 0]):  # turned by -angle: that side upright
        turned = corners @ np.array([[np.cos(angle), -np.sin(angle)],
                                     [np.sin(angle), np.cos(angle)]])
        best = min(best, (np.ptp(turned[:, 0]) + 1) * (np.ptp(turned[:, 1]) + 1))
    return best


def _noisy(light):
    """Whether neighbouring pixels differ by grain (a photo's) rather than only at strokes and
    in gradients (a drawing, even saved as a JPEG): their typical difference, by the median."""
    return np.median(np.abs(np.diff(light, axis=1))) > GRAIN


def _range(pixels):
    """The lowest and highest value; ValueError if they are the same."""
    low, high = pixels.min(), pixels.max()
    if low == high:
        raise ValueError(f"the image is all one colour ({low:g}): there is no digit in it")
    return low, high


def border(pixels):
    """The pixels of the image's border, top, bottom, left and right."""
    return np.concatenate([pixels[0], pixels[-1], pixels[1:-1, 0], pixels[1:-1, -1]])


def _paper(light):
    """The paper's brightness under each pixel, from a small copy: the copy itself, except on
    the strokes (darker than a grey closing wider than them), where it is filled in smoothly
    from the paper around them by Laplace's equation, which keeps a gradient a gradient."""
    sketch = _shrink(light, SKETCH)
    closed = ndimage.grey_closing(sketch, size=max(3, max(sketch.shape) // PAPER_WINDOW) | 1)
    strokes = ndimage.binary_dilation(sketch < (1 - INK_THRESHOLD) * closed)  # and soft edges
    paper = np.where(strokes, closed, sketch)
    for _ in range(FILL_STEPS):  # each stroke pixel becomes the mean of its four neighbours
        paper = np.where(strokes, ndimage.convolve(paper, NEIGHBOURS, mode="nearest"), sketch)
    return resize(paper, light.shape, Image.BILINEAR)


def _strokes(ink):
    """The digit's pixels: darker than the paper by Otsu's threshold (and MIN_CONTRAST), in
    the largest connected stroke and those of a similar size linked to it, each within reach
    of another. Two kinds of ink are left out whenever a stroke remains that is neither: a band
    lying along a side of the photo (the desk) and a solid patch (a shadow, a speck). A stroke
    of the digit that crosses the frame touches it only across its width, so it is kept."""
    mask = ink > max(threshold_otsu(ink), MIN_CONTRAST)
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    if count == 0:
        raise ValueError(f"no ink in this photo is {MIN_CONTRAST:.0%} darker than the paper "
                         "around it: photograph the digit closer, in dark ink, on light paper")
    areas = np.bincount(labels.ravel())[1:]
    boxes = ndimage.find_objects(labels)
    height, width = mask.shape
    # for each stroke, the largest share of a side (top, bottom, left, right) it lies along
    contact = np.max([np.bincount(side, minlength=count + 1)[1:] / side.size
                      for side in (labels[0], labels[-1], labels[:, 0], labels[:, -1])], axis=0)

    def band(i):  # in contact with a side along BAND of its length, or edge to edge in an
        # outer third (what a desk wider than _paper's window leaves: its inner edge)
        rows, cols = boxes[i]
        return (contact[i] >= BAND or rows.stop - rows.start == height and _outer(cols, width)
                or cols.stop - cols.start == width and _outer(rows, height))

    def solid(i):  # its inside lies deep for its size: a patch, not a stroke
        return _solid(labels, boxes, i)

    large = np.array([_size(b) for b in boxes]) >= DIGIT_SIZE * max(mask.shape)
    unlike_a_stroke = np.array([band(i) or solid(i) or large[i] and _frame(labels, boxes, i)
                                for i in range(count)])
    strokes = ~unlike_a_stroke & large
    if strokes.any():
        areas = np.where(unlike_a_stroke, 0, areas)
    largest = areas.argmax()
    # wider than strokes can be (an eighth of the photo): no digit's, a shadow over it
    if not strokes.any() and 2 * _depth(labels, boxes, largest) > max(mask.shape) / PAPER_WINDOW:
        raise ValueError("the ink found in this photo is a solid patch, not strokes: a shadow "
                         "over the digit? photograph it in even light; a box touching it? crop "
                         "inside it; light ink cropped tight? pad it (np.pad(image, 1))")
    linked = _linked(boxes, largest, {
        i for i in range(count) if areas[i] and areas[i] >= PART * areas[largest]})
    kept = _without_underline(boxes, linked)
    digit = [boxes[j - 1] for j in kept]
    size = max(max(b[0].stop for b in digit) - min(b[0].start for b in digit),
               max(b[1].stop for b in digit) - min(b[1].start for b in digit))
    # of a digit's size (a notebook's gutter, a ruler's edge are larger)
    apart = [i for i in range(count) if strokes[i] and i + 1 not in linked
             and _size(boxes[i]) <= size / APART]
    if (areas[apart].sum() >= APART * areas[[j - 1 for j in kept]].sum()
            or any(_size(boxes[i]) >= APART * size for i in apart)):
        raise _Scattered("strokes apart from the digit's are half its size or ink or more (a "
                         "second digit? a thin pen's strokes broken apart?): crop the photo to "
                         "one digit, taken closer")
    return np.isin(labels, kept)


class _Scattered(ValueError):
    """Strokes apart from the digit's with half its size or ink: two digits, or noise."""


def _drawn_ink(pixels):
    """`_ink` of a drawing, less its dots (a tap of the pen: a small part of the ink, solid,
    and inside the frame, where a stroke cut by the frame is not) where they are together a
    small part of it (PART): a digit drawn in dots or dashes is all dots."""
    ink = _ink(pixels)
    labels, count = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if count < 2:
        return ink
    areas = np.bincount(labels.ravel())[1:]
    boxes = ndimage.find_objects(labels)

    def dot(i):
        rows, cols = boxes[i]
        inside = (rows.start > 0 and cols.start > 0 and rows.stop < labels.shape[0]
                  and cols.stop < labels.shape[1])
        return (areas[i] < PART * areas.sum() and inside
                and _solid(labels, boxes, i))

    dots = [i for i in range(count) if dot(i)]
    if areas[dots].sum() >= PART * areas.sum():
        return ink
    return ink * ~np.isin(labels, [i + 1 for i in dots])


def _linked(boxes, largest, candidates):
    """The labels (from 1) of the stroke `largest` (an index) and of the `candidates` linked to
    it, each within reach (GAP of its size) of another: a digit cut by the frame in three."""
    reach = GAP * _size(boxes[largest])
    kept, new = {largest}, [largest]
    while new:
        near = {i for i in candidates - kept if any(_near(boxes[i], boxes[j], reach)
                                                   for j in new)}
        kept |= near
        new = list(near)
    return [i + 1 for i in kept]


def _frame(labels, boxes, i):
    """Whether stroke `i` (an index) encloses, or nearly (in ENCLOSED of the directions around
    it), another at least FRAMED of its size: a printed box or a circle around the digit, the
    student's not quite closed; not a stroke of it (a 0 holds no stroke so large)."""
    rows, cols = boxes[i]
    own = labels[boxes[i]] == i + 1
    angles = np.linspace(0, 2 * np.pi, RAYS, endpoint=False)[:, None]
    steps = np.arange(0, sum(own.shape), 0.5)[None]  # half-pixel steps, across i's box
    for j, box in enumerate(boxes):
        if (j == i or _size(box) < FRAMED * _size(boxes[i]) or box[0].start < rows.start
                or box[0].stop > rows.stop or box[1].start < cols.start
                or box[1].stop > cols.stop):
            continue
        # rays from its centre meeting stroke i inside i's box
        centre = ((box[0].start + box[0].stop) / 2 - rows.start,
                  (box[1].start + box[1].stop) / 2 - cols.start)
        r = np.round(centre[0] + steps * np.sin(angles)).astype(int)
        c = np.round(centre[1] + steps * np.cos(angles)).astype(int)
        inside = (r >= 0) & (r < own.shape[0]) & (c >= 0) & (c < own.shape[1])
        met = np.zeros(r.shape, bool)
        met[inside] = own[r[inside], c[inside]]
        if met.any(axis=1).mean() >= ENCLOSED:
            return True
    return False


def _without_underline(boxes, kept):
    """The labels `kept` (from 1) less the bars (BAR) under the other strokes, apart from them
    (UNDERLINE_GAP of their height): the student's underlines, one or more."""
    def bar(j):
        rows, cols = boxes[j - 1]
        return rows.stop - rows.start <= BAR * (cols.stop - cols.start)

    body = [boxes[j - 1][0] for j in kept if not bar(j)]
    if not body:
        return kept
    top, bottom = min(r.start for r in body), max(r.stop for r in body)
    return [j for j in kept if not (bar(j) and boxes[j - 1][0].start
                                    >= bottom + UNDERLINE_GAP * (bottom - top))]


def _solid(labels, boxes, i):
    """Whether the inside of stroke `i` (an index) lies deep for its size (SOLID): a patch or a
    dot, not a stroke. Padded: a stroke that fills its box (a bar) has its edge at its box's."""
    return _depth(labels, boxes, i) > SOLID * _size(boxes[i])


def _depth(labels, boxes, i):
    """How deep the inside of stroke `i` (an index) lies: its half-width at its widest."""
    return ndimage.distance_transform_edt(np.pad(labels[boxes[i]] == i + 1, 1)).max()


def _size(box):
    """The longer side of a bounding box (a tuple of slices)."""
    return max(s.stop - s.start for s in box)


def _outer(span, length):
    """Whether a slice lies within the first or the last third of `length`."""
    return span.stop <= length / 3 or span.start >= 2 * length / 3


def _near(box, other, reach):
    """Whether two bounding boxes come within `reach` of each other along both axes."""
    return all(s.start - reach < o.stop and o.start - reach < s.stop for s, o in zip(box, other))


def _shrink(pixels, side):
    """`pixels` with its longer side at most `side`, each pixel the mean of those it covers."""
    scale = side / max(pixels.shape)
    if scale >= 1:
        return pixels
    return resize(pixels, [max(1, round(n * scale)) for n in pixels.shape], Image.BOX)


def resize(pixels, shape, resample):
    """`pixels` resized to `shape` (rows, columns) with one of PIL's filters."""
    resized = Image.fromarray(pixels.astype(np.float32)).resize(shape[::-1], resample)
    return np.asarray(resized, np.float64)
