"""grey, to_mnist and fit_to_box: any image's grey levels, and one digit in MNIST's format or in
its geometry alone (no MNIST needed), from a cropped image or from a photo under uneven light."""
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from photos import photo
from PIL import Image
from torch.nn import functional as F

from mnist_mlp.digits import INK_THRESHOLD, fit_to_box, grey, to_mnist


def nine(height, width, canvas=None, top=0, left=0, supersample=8):
    """A '9' (a ring on a stem) drawn with anti-aliasing into a uint8 canvas, white on black.

    It fills rows top..top+height-1 and columns left..left+width-1 exactly.
    """
    canvas = np.zeros((height, width) if canvas is None else canvas, np.uint8)
    n = supersample
    y, x = np.mgrid[0:height * n, 0:width * n]
    y, x = (y + 0.5) / (height * n), (x + 0.5) / (width * n)  # unit coordinates of subpixels
    ring = np.abs(np.hypot((y - 0.3) / 0.3, (x - 0.5) / 0.5) - 0.83) < 0.17
    stem = (np.abs(x - (0.86 - 0.2 * (y - 0.3))) < 0.14) & (y > 0.3)
    cover = (ring | stem).reshape(height, n, width, n).mean(axis=(1, 3))
    canvas[top:top + height, left:left + width] = np.round(255 * cover)
    return canvas


def centre_of_mass(image):
    """(row, column) of an image's centre of mass, in pixel indices."""
    rows, cols = np.indices(image.shape)
    return (rows * image).sum() / image.sum(), (cols * image).sum() / image.sum()


def box(image):
    """Height and width of the bounding box of the non-zero pixels."""
    rows, cols = np.nonzero(image)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def assert_mnist_format(out):
    assert out.shape == (1, 28, 28) and out.dtype == torch.float32
    image = out[0].numpy()
    assert image.min() == 0 and image.max() == pytest.approx(1)
    assert np.abs(np.array(centre_of_mass(image)) - 14).max() <= 0.5
    assert max(box(image)) in (19, 20, 21)


def test_output_is_one_mnist_image():
    out = to_mnist(nine(60, 45, (100, 100), 10, 20))
    assert_mnist_format(out)
    assert out[0, :, 0].sum() == out[0, 0].sum() == 0  # a black border, as in MNIST


def test_dark_on_light_gives_the_same_result():
    digit = nine(60, 45, (100, 100), 10, 20)
    assert torch.allclose(to_mnist(255 - digit), to_mnist(digit), atol=1e-6)


def test_digit_touching_the_border_is_read_with_the_right_polarity():
    digit = nine(40, 30)  # tightly cropped: the ring and stem touch every side
    assert_mnist_format(to_mnist(digit))
    assert torch.allclose(to_mnist(255 - digit), to_mnist(digit), atol=1e-6)
    assert torch.allclose(to_mnist(nine(40, 30, (80, 80), 20, 25)), to_mnist(digit), atol=1e-6)


def test_off_centre_digit_in_a_big_canvas_is_centred_and_scaled():
    out = to_mnist(nine(90, 70, (400, 300), 300, 10))
    assert_mnist_format(out)
    assert box(out[0].numpy())[0] == 20


def test_aspect_ratio_is_kept():
    bar = np.zeros((200, 200))
    bar[30:130, 100:110] = 1.0  # 100 x 10: a tall thin bar
    height, width = box(to_mnist(bar)[0].numpy())
    assert height == 20 and width <= 4
    wide = box(to_mnist(bar.T)[0].numpy())
    assert wide == (width, height)


@pytest.mark.parametrize("convert, atol", [
    (lambda a: a.astype(np.float64) / 255, 1e-5),
    (lambda a: a.astype(np.float32) * 40 - 3000, 1e-5),
    (lambda a: a.astype(np.int64) - 128, 1e-5),
    (torch.from_numpy, 1e-5),
    (lambda a: torch.from_numpy(a / 255).unsqueeze(0).to(torch.bfloat16), 2e-2),
    (lambda a: a[None], 1e-5),
    (Image.fromarray, 1e-5),
    (lambda a: Image.fromarray(a).convert("RGB"), 1e-5),
], ids=["float01", "float-any-range", "int64", "tensor-uint8", "tensor-1xHxW-bf16",
        "array-1xHxW", "pil-L", "pil-RGB"])
def test_input_types_agree(convert, atol):
    digit = nine(60, 45, (100, 100), 10, 20)
    assert torch.allclose(to_mnist(convert(digit)), to_mnist(digit), atol=atol)


GREY_INK = 255.0 - nine(60, 45, (100, 100), 10, 20) // 2  # mid-grey ink on white, float 0-255


@pytest.mark.parametrize("convert, scale", [
    (lambda a: a, 1),
    (lambda a: a / 255, 1 / 255),
    (lambda a: a.astype(np.uint8), 1),
    (lambda a: Image.fromarray(a.astype(np.uint8)), 1),
    (lambda a: Image.fromarray(a.astype(np.uint8)).convert("RGB"), 1),
    (lambda a: Image.fromarray(a.astype(np.uint8)).convert("P"), 1),
    (lambda a: Image.fromarray(a.astype(np.uint8)).convert("LA"), 1),
    (lambda a: Image.fromarray((a * 257).astype(np.uint16)), 257),
    (lambda a: Image.fromarray((a * 257).astype(np.int32)), 257),
    (lambda a: Image.fromarray(a.astype(np.float32) / 255), 1 / 255),
    (lambda a: Image.fromarray(a.astype(np.float32) * 257), 257),
    (lambda a: torch.from_numpy(a * 257).unsqueeze(0), 257),
], ids=["float-0-255", "float-0-1", "uint8", "pil-L", "pil-RGB", "pil-P", "pil-LA",
        "pil-I;16", "pil-I", "pil-F-0-1", "pil-F-0-65535", "tensor-1xHxW-0-65535"])
def test_grey_keeps_each_image_s_own_range(convert, scale):
    """8-bit, 16-bit and float images alike: their levels as they are, not clamped to 0-255."""
    levels = grey(convert(GREY_INK))
    assert levels.shape == GREY_INK.shape and levels.dtype == np.float64
    assert np.allclose(levels / scale, GREY_INK, atol=1e-4)
    assert torch.allclose(to_mnist(convert(GREY_INK)), to_mnist(GREY_INK), atol=1e-5)


def test_colour_becomes_grey_by_luma_and_transparency_white_paper():
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 0], rgb[0, 1], rgb[1, 0] = (255, 0, 0), (0, 255, 0), (0, 0, 255)
    luma = np.array([[0.299, 0.587], [0.114, 0]]) * 255
    assert np.allclose(grey(rgb), luma) and np.allclose(grey(Image.fromarray(rgb)), luma)
    rgba = np.zeros((1, 2, 4), np.uint8)
    rgba[0, 1, 3] = 255  # a transparent black pixel, then an opaque one
    assert grey(Image.fromarray(rgba)).tolist() == [[255, 0]]


@pytest.mark.parametrize("path", ["meu_digito.png", Path("meu_digito.png")],
                         ids=["str", "pathlib"])
def test_a_path_is_answered_with_how_to_open_it(path):
    message = "got a path, 'meu_digito.png', not an image: open it first, e.g. PIL.Image.open"
    for read in (grey, to_mnist, fit_to_box):
        with pytest.raises(ValueError, match=message) as caught:
            read(path)
        assert "\n" not in str(caught.value)
    with pytest.raises(ValueError, match=r"got bytes, not an image: .*io\.BytesIO"):
        to_mnist(b"\x89PNG")


def test_bool_image_is_ink_on_background():
    binary = nine(60, 45, (100, 100), 10, 20) > 127
    assert torch.equal(to_mnist(binary), to_mnist(binary.astype(np.uint8) * 255))


def test_scikit_learn_digits_come_out_right():
    sklearn = pytest.importorskip("sklearn.datasets")
    images = sklearn.load_digits().images  # 8 x 8, values 0..16, light on dark
    for image in images:
        assert_mnist_format(to_mnist(image))


def test_image_already_in_mnist_format_is_nearly_unchanged():
    rows, cols = centre_of_mass(nine(20, 16))
    mnist = nine(20, 16, (28, 28), round(14 - rows), round(14 - cols))
    image = mnist / 255
    # The premise: a 20 px box (counting faint pixels as to_mnist does) centred by mass.
    assert max(box(image >= INK_THRESHOLD)) == 20
    assert np.abs(np.array(centre_of_mass(image)) - 14).max() <= 0.5
    out = to_mnist(mnist)[0].numpy()
    assert np.abs(out - image).max() <= INK_THRESHOLD  # only faint pixels are cleared
    assert np.abs(out - image).mean() < 0.01


def test_fit_to_box_gives_mnist_geometry_and_keeps_contrast():
    ink = nine(60, 45, (100, 100), 10, 20) / 255 * 0.4  # faint ink: its darkest is 0.4
    out = fit_to_box(ink)
    assert out.shape == (1, 28, 28) and out.dtype == torch.float32
    image = out[0].numpy()
    assert np.abs(np.array(centre_of_mass(image)) - 14).max() <= 0.5
    assert max(box(image)) in (19, 20, 21)
    assert 0.35 < image.max() <= 0.4  # not rescaled to 1
    assert image[image > 0].min() < INK_THRESHOLD * 0.4  # faint pixels are not cleared


def test_fit_to_box_bilinear_is_the_full_frame_filter():
    # A digit that already fills its square frame is only enlarged: PIL's bilinear filter then
    # gives what torch's bilinear interpolation gives to the whole frame.
    ink = np.random.default_rng(0).random((8, 8)).astype(np.float32)
    field = fit_to_box(ink)[0]
    rows, cols = np.nonzero(field.numpy())
    enlarged = F.interpolate(torch.from_numpy(ink)[None, None], size=(20, 20), mode="bilinear",
                             align_corners=False)[0, 0]
    assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == (20, 20)
    assert torch.allclose(field[rows.min():rows.max() + 1, cols.min():cols.max() + 1],
                          enlarged, atol=1e-6)


def test_to_mnist_is_fit_to_box_with_lanczos_and_full_contrast():
    binary = (nine(60, 45, (100, 100), 10, 20) > 127).astype(np.float64)  # no faint pixels
    boxed = fit_to_box(binary, resample="lanczos")
    assert torch.allclose(to_mnist(binary), boxed / boxed.max(), atol=1e-6)
    assert not torch.allclose(fit_to_box(binary), boxed, atol=0.01)  # the filters differ


@pytest.mark.parametrize("ink, resample, message", [
    (np.ones((8, 8)), "nearest", "resample='nearest' is not supported"),
    (np.zeros((8, 8)), "bilinear", "with some ink"),
    (np.full((8, 8), -1.0), "bilinear", "ink >= 0"),
    (np.ones((5, 8, 8)), "bilinear", "several images"),
], ids=["filter", "no-ink", "negative", "batch"])
def test_fit_to_box_bad_input_raises_a_helpful_value_error(ink, resample, message):
    with pytest.raises(ValueError, match=message):
        fit_to_box(ink, resample=resample)


@pytest.mark.parametrize("image, message", [
    (np.zeros((0, 5)), "empty"),
    (np.zeros(10), "a line of values, not an image of a digit"),
    (np.zeros((5, 28, 28)), "several images"),
    (np.zeros((28, 28, 4)), "all one colour"),  # transparent everywhere: white
    (np.zeros((28, 28, 3)), "all one colour"),
    (np.full((28, 28), 7), "all one colour"),
    (torch.zeros(28, 28), "no digit"),
    (np.array([["1", "2"], ["3", "4"]]), "must hold numbers"),
    (np.ones((4, 4), complex), "must hold numbers"),
    (np.array([[0.0, np.nan], [1.0, 0.0]]), "NaN or infinite"),
    (torch.tensor([[0.0, float("inf")], [1.0, 0.0]]), "NaN or infinite"),
], ids=["empty", "1-D", "batch", "rgba-array", "rgb-uniform", "uniform", "uniform-tensor",
        "strings", "complex", "nan", "inf"])
def test_bad_input_raises_a_helpful_value_error(image, message):
    with pytest.raises(ValueError, match=message):
        to_mnist(image)


NINE = nine(20, 15, (28, 28), 4, 6)  # a 9 as MNIST has them: 20 px tall, white on black


def correlation(a, b):
    return np.corrcoef(np.ravel(a), np.ravel(b))[0, 1]


def on_paper(canvas):
    """A white-on-black uint8 drawing as dark ink on white paper."""
    return 255 - np.asarray(canvas, np.uint8)


@pytest.mark.parametrize("seed", range(6))
def test_photo_under_uneven_light_and_a_shadow_reads_as_the_clean_digit(seed):
    picture = photo(NINE, seed)  # RGB, JPEG, on a sheet of 400-600 px
    # The premise: one paper brightness for the whole sheet, the border's median, would call
    # much of the paper ink at 10% of the darkest ink (the same sheet and light, no digit).
    paper = np.asarray(photo(np.zeros_like(NINE), seed).convert("L"), float)
    background = np.median(np.concatenate([paper[0], paper[-1], paper[:, 0], paper[:, -1]]))
    darkest = np.asarray(picture.convert("L"), float).min()
    assert (paper < background - INK_THRESHOLD * (background - darkest)).mean() > 0.1
    out = to_mnist(picture)
    assert_mnist_format(out)
    assert np.abs(np.subtract(box(out[0].numpy()), box(to_mnist(NINE)[0].numpy()))).max() <= 1
    assert correlation(out, to_mnist(NINE)) > 0.9


def test_rgb_array_and_pil_photo_agree():
    picture = photo(NINE, 0)
    assert torch.equal(to_mnist(np.asarray(picture)), to_mnist(picture))  # one rule for both
    digit = nine(60, 45, (100, 100), 10, 20)
    assert torch.allclose(to_mnist(np.stack([digit] * 3, axis=-1)), to_mnist(digit), atol=1e-6)


def test_transparent_pixels_are_white_paper():
    coverage = nine(60, 45, (100, 100), 10, 20)
    rgba = np.zeros((100, 100, 4), np.uint8)  # black ink whose opacity is the drawing
    rgba[..., 3] = coverage
    assert torch.allclose(to_mnist(Image.fromarray(rgba)), to_mnist(coverage), atol=1e-6)


def test_jpeg_artefacts_are_not_ink():
    buffer = io.BytesIO()
    Image.fromarray(on_paper(nine(60, 45, (200, 200), 70, 40))).save(buffer, "JPEG", quality=50)
    out = to_mnist(Image.open(io.BytesIO(buffer.getvalue())))
    assert_mnist_format(out)
    assert correlation(out, to_mnist(NINE)) > 0.95


@pytest.mark.parametrize("top, left, size", [(250, 250, 6), (88, 40, 3), (200, 200, 25)],
                         ids=["speck", "speck-close-by", "blot-far-away"])
def test_specks_away_from_the_digit_are_ignored(top, left, size):
    canvas = nine(60, 45, (300, 300), 20, 20)
    clean = to_mnist(on_paper(canvas))
    canvas[top:top + size, left:left + size] = 255
    assert torch.allclose(to_mnist(on_paper(canvas)), clean, atol=1e-6)


def test_a_digit_in_two_strokes_keeps_both():
    canvas = np.zeros((200, 200), np.uint8)
    canvas[40:160, 95:105] = 255  # the stem of a 7 or a 1 ...
    canvas[20:28, 100:150] = 255  # ... and a bar 12 px above it, as a 5's top may be
    height, width = box(to_mnist(on_paper(canvas))[0].numpy())
    assert height == 20 and width >= 7  # 140 x 55 px: the bar is part of the digit


@pytest.mark.parametrize("picture", [
    lambda: photo(np.zeros((28, 28), np.uint8), 0),
    lambda: np.random.default_rng(0).normal(200, 5, (300, 300)),
], ids=["uneven-light", "even-light"])
def test_a_photo_without_a_digit_raises_a_helpful_value_error(picture):
    with pytest.raises(ValueError, match="no ink in this photo is 35% darker than the paper"):
        to_mnist(picture())


@pytest.mark.parametrize("shape", [(8, 8), (28, 28), (300, 200)])
def test_uniform_noise_is_refused_as_no_digit(shape):
    rng = np.random.default_rng(0)
    for _ in range(20):
        with pytest.raises(ValueError, match="looks like noise, not a digit"):
            to_mnist(rng.random(shape))


def test_every_scikit_learn_digit_passes_the_noise_check():
    from sklearn.datasets import load_digits

    for image in load_digits().images:  # the 8 x 8 digits closest to noise: correlation >= 0.28
        to_mnist(image)


# Probe 11 (session 8): a digit taken for the desk, a desk for the digit, a 1 px pen, a digit
# cut by the frame in three.
def pad(strokes, width=18, side=280, shift=(0, 0)):
    """Black round-capped strokes on a white canvas, as the drawing pad draws them."""
    from PIL import ImageDraw

    image = Image.new("L", (side, side), 255)
    pen = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [(x + shift[0], y + shift[1]) for x, y in stroke]
        pen.line(points, fill=0, width=width, joint="curve")
        if width > 2:
            for x, y in (points[0], points[-1]):
                pen.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=0)
    return image


def grainy(canvas, seed=0):
    """A float canvas (paper 1) as a photo: the lens's blur and the sensor's grain."""
    from scipy import ndimage

    noisy = ndimage.gaussian_filter(canvas, 1) + np.random.default_rng(seed).normal(0, 0.02,
                                                                                 canvas.shape)
    return Image.fromarray(np.clip(noisy * 255, 0, 255).astype(np.uint8))


def test_a_tight_crop_of_a_one_beside_a_speck_is_the_one():
    # the 1 ran from edge to edge, was taken for the desk, and the speck became the digit
    canvas = np.full((300, 240), 0.9)
    canvas[:, 112:124] = 0.12
    alone = to_mnist(grainy(canvas))
    canvas[20:30, 20:30] = 0.12
    assert correlation(to_mnist(grainy(canvas)), alone) > 0.95


def test_a_desk_along_two_edges_is_not_the_digit():
    # a sheet's corner: the thinner strip stopped short of the frame's 9/10, was kept as the
    # largest stroke, and the 7 was dropped as far from it
    canvas = np.full((600, 800), 0.9)
    seven = np.asarray(pad([[(340, 180), (460, 180), (380, 420)]], width=22, side=800))[:600]
    canvas[seven < 128] = 0.15
    clean = to_mnist(grainy(canvas))
    canvas[-80:, :], canvas[:, :30] = 0.25, 0.25
    canvas *= 1 - 0.4 * np.linspace(0, 1, 800)  # and the light falls off across the sheet
    assert correlation(to_mnist(grainy(canvas)), clean) > 0.9


@pytest.mark.parametrize("side", [64, 100, 400])
def test_a_one_pixel_pen_is_read_whole(side):
    # the photo's blur took a 1 px line under the contrast floor: only its crossings were left
    three = [[(0.2, 0.15), (0.7, 0.1), (0.45, 0.45), (0.75, 0.7), (0.4, 0.9), (0.15, 0.8)]]
    drawn = pad([[(x * side, y * side) for x, y in s] for s in three], width=1, side=side)
    small = pad([[(x * 40, y * 40) for x, y in s] for s in three], width=1, side=40)
    assert correlation(to_mnist(drawn), to_mnist(small)) > 0.8


@pytest.mark.parametrize("strokes, shift", [
    ([[(140, 9), (140, 270)]], (0, 0)),  # a 1 top to bottom
    ([[(100, 40), (75, 160), (150, 160)], [(175, 0), (175, 279)]], (0, 0)),  # an open 4
    ([[(100, 40), (180, 40), (180, 140), (100, 140), (180, 140), (180, 240), (100, 240)]],
     (120, 0)),  # a 3 running off the right edge: three pieces
    ([[(9, 9), (271, 9)], [(30, 40), (30, 120), (200, 130), (250, 200), (150, 270)]],
     (0, 0)),  # a 5 whose top bar lies along the top edge
])
def test_the_drawing_pad_reads_every_stroke_as_the_digit_s_and_leaves_out_a_tap(strokes,
                                                                              shift):
    from mnist_mlp.pad import DrawingPad

    drawing = pad(strokes, shift=shift)
    ink = 1 - np.asarray(drawing, float) / 255
    whole = fit_to_box(np.where(ink < INK_THRESHOLD, 0, ink), resample="lanczos")
    reader = DrawingPad({"C": torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))})
    field, _ = reader.read(drawing)
    assert correlation(field, whole / whole.max()) > 0.95
    for tap in ((30, 250), (260, 260), (140, 140)):  # the pen touching down by mistake
        tapped, _ = reader.read(pad([*strokes, [tap, tap]], shift=shift))
        assert correlation(tapped, field) > 0.95, tap


def test_drawing_must_be_true_or_false():
    with pytest.raises(ValueError, match="drawing must be True or False"):
        to_mnist(np.eye(30), drawing="yes")


def test_a_digit_drawn_in_dots_is_kept_whole():
    # the pad's tap rule took every dot of a dotted 0 for a tap: nothing was left
    import math

    taps = [[(140 + 60 * math.cos(a), 140 + 90 * math.sin(a))] * 2
            for a in np.linspace(0, 2 * math.pi, 12, endpoint=False)]
    drawing = pad(taps)
    ink = 1 - np.asarray(drawing, float) / 255
    whole = fit_to_box(np.where(ink < INK_THRESHOLD, 0, ink), resample="lanczos")
    assert correlation(to_mnist(drawing, drawing=True), whole / whole.max()) > 0.95
