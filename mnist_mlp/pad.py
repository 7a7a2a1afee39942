"""A drawing pad for notebooks: draw a digit, see the 28 x 28 image the models get and what
they read in it."""
import base64
import io
from pathlib import Path

import anywidget
import numpy as np
import torch
import traitlets
from PIL import Image
from torch import nn

from .attacks import pgd, smallest_flip
from .checks import BOOLEAN, Interval, require
from .digits import FIELD, border, grey, lightness, resize, to_mnist
from .evaluation import dtype_of, outputs, sizes_of
from .formatting import br, percent

HINT = "Desenhe um dígito"
# What nbval, nbconvert and any frontend without widgets show in place of the pad.
OFFLINE = ("Bloco de desenho: para desenhar, abra este caderno no JupyterLab, no Notebook 7, "
           "no VS Code ou no Colab e execute as células.")
BLANK = 0.1  # darkest ink, as a fraction of the paper's lightness, below which it is blank
TOP = 3
ATTACK_MOST = 0.5  # the largest eps the attack switch tries, in pixel intensity


class DrawingPad(anywidget.AnyWidget):
    """A canvas to draw a digit on; beside it the image each model gets and its three most
    likely digits, updated when a stroke ends; with the "ataque" switch on, also the smallest
    attack found that changes each model's answer. `models`: {name: model}, or one model."""

    # anywidget sends the files' text to the browser (and, with ANYWIDGET_HMR=1, their edits).
    _esm = Path(__file__).with_name("pad.js")
    _css = Path(__file__).with_name("pad.css")
    drawing = traitlets.Dict().tag(sync=True)  # from the browser: {"png": data URL, "seq": n}
    raw = traitlets.Bool(False).tag(sync=True)  # the "sem preparação" switch
    attack = traitlets.Bool(False).tag(sync=True)  # the "ataque" switch
    result = traitlets.Dict().tag(sync=True)  # to the browser: see _result

    def __init__(self, models, **kwargs):
        models = models if isinstance(models, dict) else {"modelo": models}
        if not models or not all(isinstance(m, nn.Module) for m in models.values()):
            raise ValueError("DrawingPad needs a torch model, or a dict {name: model} of them, "
                             "e.g. DrawingPad({'E': modelo_e, 'F': modelo_f})")
        for model in models.values():
            check_reads_fields(model)
        named = {str(name): model for name, model in models.items()}
        if len(named) < len(models):  # {1: a, "1": b}: one would be dropped unseen
            raise ValueError(f"DrawingPad shows each model by its name as text, and "
                             f"{', '.join(map(repr, models))} share one: name them apart")
        # before the traits: DrawingPad(model, raw=True) sets `raw`, whose observer reads them
        self.models = named
        super().__init__(**kwargs)
        self.result = self._result("hint", HINT)

    def _repr_mimebundle_(self, **kwargs):
        """anywidget's bundle, whose widget view frontends with widgets show, with OFFLINE as
        the plain text that nbval, nbconvert and frontends without widgets show instead."""
        data, metadata = super()._repr_mimebundle_(**kwargs)
        return {**data, "text/plain": OFFLINE}, metadata

    def read(self, image, raw=None):
        """(the 28 x 28 array the models get, {name: [(digit, probability)] * 3}) for a drawing
        (see `prepare`: every mark in it is the digit's, there is no desk to leave out), or
        (None, {}) when it is blank. `raw` defaults to the switch."""
        field = prepare(image, self.raw if raw is None else raw, drawing=True)
        if field is None:
            return None, {}
        return field, {name: top_digits(model, field) for name, model in self.models.items()}

    @traitlets.observe("drawing", "raw", "attack")
    def _read_drawing(self, change):
        seq, png = self.drawing.get("seq", 0), self.drawing.get("png", "")
        try:
            field, tops = self.read(decode(png)) if png else (None, {})
            attacks = ({name: attacked(model, field) for name, model in self.models.items()}
                       if self.attack and field is not None else {})
        except Exception as err:  # no cell shows a widget's traceback: one line in the pad
            message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            self.result = self._result("error", f"Não foi possível ler o desenho: {message}", seq)
            return
        if field is None:
            self.result = self._result("hint", HINT, seq)
        else:
            self.result = self._result("ok", "", seq, png_url(field), tops, attacks)

    def _result(self, state, message, seq=0, image="", tops=None, attacks=None):
        tops, attacks = tops or {}, attacks or {}
        return {"state": state, "message": message, "seq": seq, "raw": self.raw,
                "attack": self.attack, "image": image,
                "models": [{"name": name, "top": [
                    {"digit": d, "prob": p, "label": f"{d} — {percent(p, 1)}"}
                    for d, p in tops.get(name, [])], "attack": attacks.get(name)}
                    for name in self.models]}


def attacked(model, field, most=ATTACK_MOST):
    """The pad's attack on one 28 x 28 image: the smallest eps up to `most` (by bisection) for
    which PGD on the margin changes the model's top digit, as {"eps", "before", "after",
    "image" (the attacked image as a PNG data URL), "label"}; without one, "eps" is None."""
    was_training = model.training
    model.eval()  # attacks need fixed answers: no noise, running batch statistics
    try:
        found = smallest_flip(model, field, attack=pgd, most=most, steps=20, loss="margin",
                              generator=torch.Generator().manual_seed(0))
        before = int(probabilities(model, field).argmax())
    finally:
        model.train(was_training)
    if found is None:
        return {"eps": None, "before": before, "after": before, "image": "",
                "label": f"nenhum ε até {br(most, 'g')} muda o {before}"}
    eps, image, before, after = found
    return {"eps": eps, "before": before, "after": after, "image": png_url(image.numpy()),
            "label": f"ε = {br(eps, '.3f')} muda {before} → {after}"}


def prepare(image, raw=False, drawing=False):
    """The 28 x 28 float32 array in [0, 1], white ink on black as in MNIST, that a drawing of
    dark ink on light paper becomes; None if it has no ink: none of it BLANK darker than the
    paper (its lightest pixel), black being 0. `image` is anything `digits.grey` reads (a PIL
    image, an array or a tensor, in any numeric range). `raw=True` only scales the whole drawing
    down to 28 x 28 and inverts it, with no bounding box and no centring; otherwise `to_mnist`
    prepares it, as a drawing (every mark the digit's) where `drawing` is True."""
    require("raw", raw, BOOLEAN)  # "False" is a true string
    pixels = grey(image)
    if pixels.min() == pixels.max():  # one colour, white or not: nothing drawn
        return None
    light = lightness(pixels)
    if 1 - light.min() < BLANK:
        return None
    if raw:
        if np.median(border(light)) < 0.5:
            raise ValueError("raw=True reads dark ink on light paper, and this image's border is "
                             "dark (light ink on a dark ground?): invert it (255 - image), or "
                             "use raw=False, which reads either")
        small = resize(light, (FIELD, FIELD), Image.LANCZOS)
        return np.clip(1 - small, 0, 1).astype(np.float32)  # LANCZOS rings past the range
    return to_mnist(pixels, drawing=drawing)[0].numpy()


def check_reads_fields(model):
    """ValueError unless `model` reads 28 x 28 images: drawings and to_mnist are never resized,
    so the advice of `fits` (build the data with the model's size) does not apply."""
    inputs = sizes_of(model)[0]
    if inputs is not None and inputs != FIELD * FIELD:
        raise ValueError(f"top_digits and the pad read {FIELD} x {FIELD} images, and this model "
                         f"takes {inputs} pixels: pass a model trained on MNIST's size")


def probabilities(model, field):
    """The model's ten probabilities (softmax) for one 28 x 28 image, in evaluation mode."""
    if not isinstance(field, (np.ndarray, torch.Tensor)):
        raise ValueError(f"expected the 28 x 28 array to_mnist returns, got "
                         f"{type(field).__name__}: top_digits(model, to_mnist(image))")
    # a float64 model reads float64; an image that requires grad (a saliency map's) is read too
    X = torch.as_tensor(field, dtype=dtype_of(model)).detach()
    if X.numel() != FIELD * FIELD:
        raise ValueError(f"expected one {FIELD} x {FIELD} image, as to_mnist returns, got shape "
                         f"{tuple(X.shape)}: pass images one at a time")
    if not (torch.isfinite(X).all() and X.min() >= 0 and X.max() <= 1):
        raise ValueError("expected pixels in [0, 1] (ink 1, paper 0), as to_mnist returns, got "
                         f"values from {X.min():g} to {X.max():g}: divide 0-255 images by 255")
    check_reads_fields(model)
    X = X.reshape(1, 1, FIELD, FIELD)
    if np.median(border(X[0, 0].double().numpy())) > 0.5:  # MNIST's frame is black: a digit
        # left dark on light paper, read with 99 %
        raise ValueError("this image's border is light: dark ink on light paper? MNIST's digits "
                         "are light on black: pass to_mnist(image), which inverts it")
    # outputs() evaluates without noise and with running batch statistics, then restores the mode
    (_, _, scores), = outputs(model, [(X, torch.zeros(1, dtype=torch.long))])
    return torch.softmax(scores.float(), dim=1)[0]


def top_digits(model, field, k=None):
    """The model's k most likely digits (by default TOP, or all of a model with fewer outputs)
    for one 28 x 28 image (array or tensor, 28 x 28 or 1 x 28 x 28, as `to_mnist` returns), as
    [(digit, probability)], most likely first; read in evaluation mode, the model's mode left
    as it was. E.g. top_digits(model, to_mnist(photo))."""
    probs = probabilities(model, field)
    k = min(TOP, len(probs)) if k is None else k
    require("k", k, Interval(whole=True, low=1, high=len(probs)))
    values, digits = probs.topk(int(k))
    return [(int(d), float(p)) for p, d in zip(values, digits)]


def decode(url):
    """The PNG in a data URL as a grayscale PIL image, transparent pixels as white paper."""
    if not isinstance(url, str):
        raise ValueError(f"expected a PNG data URL (text), got {type(url).__name__}")
    header, _, payload = url.partition(",")
    if header != "data:image/png;base64":
        raise ValueError(f"expected a PNG data URL, got one starting {url[:30]!r}")
    try:
        image = Image.open(io.BytesIO(base64.b64decode(payload, validate=True))).convert("LA")
    except (ValueError, OSError) as err:  # binascii.Error is a ValueError; PIL's are OSErrors
        raise ValueError(f"o desenho não chegou como um PNG legível ({type(err).__name__}); "
                         "limpe o bloco e desenhe de novo") from None
    paper = Image.new("L", image.size, 255)
    paper.paste(image.getchannel("L"), mask=image.getchannel("A"))
    return paper


def png_url(field):
    """An image in [0, 1] (28 x 28, or 1 x 28 x 28 as to_mnist returns it; an array or a
    tensor) as a PNG data URL (what the pad shows enlarged)."""
    if isinstance(field, torch.Tensor):
        field = field.detach().cpu().numpy()
    field = np.asarray(field, dtype=float)
    if field.ndim == 3 and len(field) == 1:
        field = field[0]
    if field.ndim != 2:
        raise ValueError(f"png_url takes one image (H x W, or 1 x H x W as to_mnist returns), "
                         f"got shape {field.shape}")
    if not np.isfinite(field).all():
        raise ValueError("png_url takes an image of numbers in [0, 1]; this one holds NaN or "
                         "infinite pixels")
    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(field, 0, 1) * 255).astype(np.uint8)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
