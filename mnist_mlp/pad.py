"""A drawing pad for notebooks: draw a digit, see the 28 x 28 image the models get and what
they read in it."""
import base64
import io
from importlib import resources

import anywidget
import numpy as np
import torch
import traitlets
from PIL import Image
from torch import nn

from .digits import FIELD, to_mnist
from .evaluation import outputs
from .formatting import percent

HINT = "Desenhe um dígito"
# What nbval, nbconvert and any frontend without widgets show in place of the pad.
OFFLINE = ("Bloco de desenho: para desenhar, abra este caderno no JupyterLab, no Notebook 7, "
           "no VS Code ou no Colab e execute as células.")
BLANK = 0.1  # darkest ink, as a fraction of black, below which the canvas counts as blank
TOP = 3


class DrawingPad(anywidget.AnyWidget):
    """A canvas to draw a digit on; beside it the image each model gets and its three most
    likely digits, updated when a stroke ends. `models`: {name: model}, or one model."""

    _esm = (resources.files(__package__) / "pad.js").read_text(encoding="utf-8")
    _css = (resources.files(__package__) / "pad.css").read_text(encoding="utf-8")
    drawing = traitlets.Dict().tag(sync=True)  # from the browser: {"png": data URL, "seq": n}
    raw = traitlets.Bool(False).tag(sync=True)  # the "sem preparação" switch
    result = traitlets.Dict().tag(sync=True)  # to the browser: see _result

    def __init__(self, models, **kwargs):
        models = models if isinstance(models, dict) else {"modelo": models}
        if not models or not all(isinstance(m, nn.Module) for m in models.values()):
            raise ValueError("DrawingPad needs a torch model, or a dict {name: model} of them, "
                             "e.g. DrawingPad({'E': modelo_e, 'F': modelo_f})")
        super().__init__(**kwargs)
        self.models = {str(name): model for name, model in models.items()}
        self.result = self._result("hint", HINT)

    def __repr__(self):
        return OFFLINE

    def read(self, image, raw=None):
        """(the 28 x 28 array the models get, {name: [(digit, probability)] * 3}) for a drawing
        (see `prepare`), or (None, {}) when it is blank. `raw` defaults to the switch."""
        field = prepare(image, self.raw if raw is None else raw)
        if field is None:
            return None, {}
        return field, {name: top_digits(model, field) for name, model in self.models.items()}

    @traitlets.observe("drawing", "raw")
    def _read_drawing(self, change):
        seq, png = self.drawing.get("seq", 0), self.drawing.get("png", "")
        try:
            field, tops = self.read(decode(png)) if png else (None, {})
        except Exception as err:  # no cell shows a widget's traceback: one line in the pad
            message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            self.result = self._result("error", f"Não foi possível ler o desenho: {message}", seq)
            return
        if field is None:
            self.result = self._result("hint", HINT, seq)
        else:
            self.result = self._result("ok", "", seq, png_url(field), tops)

    def _result(self, state, message, seq=0, image="", tops=None):
        tops = tops or {}
        return {"state": state, "message": message, "seq": seq, "raw": self.raw, "image": image,
                "models": [{"name": name, "top": [
                    {"digit": d, "prob": p, "label": f"{d} — {percent(p, 1)}"}
                    for d, p in tops.get(name, [])]} for name in self.models]}


def prepare(image, raw=False):
    """The 28 x 28 float32 array in [0, 1], white ink on black as in MNIST, that a drawing of
    dark ink on light paper becomes; None if it has no ink. `image` is a PIL image or a 2-D
    array (uint8 0-255 or float 0-1). `raw=True` only scales the whole drawing down to 28 x 28
    and inverts it, with no bounding box and no centring; otherwise `to_mnist` prepares it."""
    gray = _gray(image)
    if 1 - np.asarray(gray).min() / 255 < BLANK:
        return None
    if raw:
        small = np.asarray(gray.resize((FIELD, FIELD), Image.LANCZOS), np.float32)
        return np.clip(1 - small / 255, 0, 1)  # LANCZOS rings slightly past the range
    return to_mnist(gray)[0].numpy()


def probabilities(model, field):
    """The model's ten probabilities (softmax) for one 28 x 28 image, in evaluation mode."""
    X = torch.as_tensor(field, dtype=torch.float32).reshape(1, 1, FIELD, FIELD)
    # outputs() evaluates without noise and with running batch statistics, then restores the mode
    (_, _, scores), = outputs(model, [(X, torch.zeros(1, dtype=torch.long))])
    return torch.softmax(scores.float(), dim=1)[0]


def top_digits(model, field, k=TOP):
    """The k most likely digits with their probabilities, most likely first."""
    values, digits = probabilities(model, field).topk(k)
    return [(int(d), float(p)) for p, d in zip(values, digits)]


def decode(url):
    """The PNG in a data URL as a grayscale PIL image, transparent pixels as white paper."""
    header, _, payload = url.partition(",")
    if header != "data:image/png;base64":
        raise ValueError(f"expected a PNG data URL, got one starting {url[:30]!r}")
    image = Image.open(io.BytesIO(base64.b64decode(payload))).convert("LA")
    paper = Image.new("L", image.size, 255)
    paper.paste(image.getchannel("L"), mask=image.getchannel("A"))
    return paper


def png_url(field):
    """A 28 x 28 array in [0, 1] as a PNG data URL (what the pad shows enlarged)."""
    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(field, 0, 1) * 255).astype(np.uint8)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _gray(image):
    if isinstance(image, Image.Image):
        return image.convert("L")
    array = np.asarray(image)
    if array.ndim != 2 or array.dtype.kind not in "iuf" or not np.isfinite(array).all():
        raise ValueError(f"expected a grayscale drawing, H x W finite numbers, got shape "
                         f"{array.shape} of {array.dtype}")
    scale = 255 if array.dtype.kind == "f" else 1  # floats are 0-1, integers 0-255
    return Image.fromarray(np.clip(np.round(array * scale), 0, 255).astype(np.uint8))
