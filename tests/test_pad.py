"""The drawing pad's Python side: drawing -> 28 x 28 image -> each model's three likeliest
digits, and the traitlets the browser reads and writes (the browser itself: tests/browser/)."""
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from browser.strokes import DIGITS, SMALL_ONE, draw
from PIL import Image
from torch import nn

from mnist_mlp.digits import to_mnist
from mnist_mlp.pad import (
    HINT,
    OFFLINE,
    DrawingPad,
    decode,
    png_url,
    prepare,
    probabilities,
    top_digits,
)
from mnist_mlp.presets import PRESETS

ROOT = Path(__file__).resolve().parent.parent


def band_model():
    """Hand-made: logit of 1 = ink in the field's six middle columns, of 0 = ink elsewhere."""
    linear = nn.Linear(28 * 28, 10)
    band = torch.zeros(28, 28)
    band[:, 11:17] = 1
    with torch.no_grad():
        linear.weight.zero_()
        linear.bias.zero_()
        linear.weight[1], linear.weight[0] = band.flatten(), (1 - band).flatten()
    return nn.Sequential(nn.Flatten(), linear).eval()


def data_url(image):
    return png_url(1 - np.asarray(image, np.float32) / 255)  # png_url writes ink as white


@pytest.fixture
def pad():
    torch.manual_seed(0)
    return DrawingPad({"banda": band_model(), "E": PRESETS["E"].model().eval()})


def test_a_stroke_becomes_a_centred_mnist_field(pad):
    field, tops = pad.read(draw(DIGITS["1"]))
    assert field.shape == (28, 28) and field.dtype == np.float32
    assert field.min() == 0 and field.max() == pytest.approx(1)
    assert field[:, :4].max() == 0 and field[:, -4:].max() == 0  # white on black, in the box
    columns = field.sum(axis=0)
    assert 13 <= (np.arange(28) * columns).sum() / columns.sum() <= 15  # centred
    assert list(tops) == ["banda", "E"]


def test_top_three_are_sorted_and_the_probabilities_sum_to_one(pad):
    field, tops = pad.read(draw(DIGITS["0"]))
    for name, model in pad.models.items():
        assert probabilities(model, field).sum().item() == pytest.approx(1, abs=1e-5)
        digits, probs = zip(*tops[name])
        assert len(set(digits)) == 3 and all(isinstance(d, int) for d in digits)
        assert list(probs) == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-6


def test_raw_mode_only_scales_down_and_loses_the_shifted_digit(pad):
    small = draw(SMALL_ONE)
    prepared, tops = pad.read(small, raw=False)
    raw, raw_tops = pad.read(small, raw=True)
    assert tops["banda"][0][0] == 1  # prepared: centred, where a 1's ink should be
    assert raw_tops["banda"][0][0] == 0  # raw: the ink stays in the corner
    rows, cols = np.nonzero(raw > 0.2)
    assert rows.max() < 10 and cols.max() < 7  # same place as on the canvas, at a tenth
    assert np.abs(raw - prepared).sum() > 10
    assert pad.read(small)[0] == pytest.approx(prepared)  # the switch starts off
    pad.raw = True
    assert pad.read(small)[0] == pytest.approx(raw)


def inked(contrast):
    """The drawn 7 with its ink `contrast` darker than the white paper: whole levels 0-255 as
    floats."""
    return 255 - np.round((255 - np.asarray(draw(DIGITS["7"]), float)) * contrast)


# One drawing in the ranges an image may come in: the pad reads them all alike.
RANGES = {"float-0-255": lambda a: a, "float-0-1": lambda a: a / 255,
          "uint8": lambda a: a.astype(np.uint8),
          "pil-I;16": lambda a: Image.fromarray((a * 257).astype(np.uint16)),
          "pil-F": lambda a: Image.fromarray(a.astype(np.float32)),
          "tensor": lambda a: torch.from_numpy(a)}


@pytest.mark.parametrize("blank", [
    Image.new("L", (280, 280), 255),
    np.full((280, 280), 250, np.uint8),
    np.ones((50, 40)),
    np.zeros((50, 40)),  # all one colour, even black: nothing drawn
    *(convert(inked(0.05)) for convert in RANGES.values()),  # a trace of grey is no ink
], ids=["white", "grey", "ones", "zeros", *(f"trace-{name}" for name in RANGES)])
def test_a_blank_drawing_is_a_hint_not_an_error(pad, blank):
    assert pad.read(blank) == (None, {})
    assert prepare(blank, raw=True) is None


@pytest.mark.parametrize("convert", RANGES.values(), ids=RANGES.keys())
def test_grey_ink_is_read_in_any_range(convert):
    """Ink at half contrast is a drawing whatever the image's range, read as the uint8 one."""
    drawing = inked(0.5)
    for raw in (False, True):
        field = prepare(convert(drawing), raw=raw)
        assert field is not None and field.max() > 0.4
        assert field == pytest.approx(prepare(drawing.astype(np.uint8), raw=raw), abs=1e-5)


@pytest.mark.slow
def test_a_wheel_carries_the_view(tmp_path):
    """What `pip install` of the package gets: pad.js and pad.css beside pad.py. Built from a
    copy, since pip builds in the source tree."""
    source = tmp_path / "source"
    shutil.copytree(ROOT / "mnist_mlp", source / "mnist_mlp",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(tmp_path), str(source)],
                   check=True, cwd=tmp_path)
    wheel, = tmp_path.glob("mnist_mlp-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"mnist_mlp/pad.py", "mnist_mlp/pad.js", "mnist_mlp/pad.css"} <= names


def test_the_frontend_round_trip(pad):
    """What the browser does: set `drawing` (as ipywidgets' comm does, through set_state)."""
    assert pad.result["state"] == "hint" and pad.result["message"] == HINT
    assert [m["name"] for m in pad.result["models"]] == ["banda", "E"]
    pad.set_state({"drawing": {"png": data_url(draw(DIGITS["1"])), "seq": 7}})
    result = pad.result
    assert [result[key] for key in ("state", "seq", "raw", "message")] == ["ok", 7, False, ""]
    sent = np.asarray(decode(result["image"]), np.float32) / 255
    assert sent.shape == (28, 28) and sent == pytest.approx(prepare(draw(DIGITS["1"])), abs=1 / 255)
    band = result["models"][0]
    assert band["top"][0]["digit"] == 1 and band["top"][0]["label"] == "1 — 100,0%"
    for row in result["models"][1]["top"]:  # decimal comma, as the notebooks print
        assert re.fullmatch(r"\d — \d{1,3},\d%", row["label"]), row["label"]

    pad.set_state({"raw": True})  # the switch: the same drawing again, unprepared
    assert pad.result["raw"] is True and pad.result["seq"] == 7
    assert pad.result["image"] != result["image"]

    pad.set_state({"drawing": {"png": "", "seq": 8}})  # Limpar
    assert (pad.result["state"], pad.result["message"], pad.result["seq"]) == ("hint", HINT, 8)
    assert all(m["top"] == [] for m in pad.result["models"])


def test_the_attack_switch_finds_the_smallest_eps_that_changes_the_answer(pad):
    """The band model is linear: PGD on the margin ends at the box's corner, each pixel moved
    eps against the band's sign (clipped to [0, 1]), so the flipping eps is known."""
    pad.set_state({"drawing": {"png": data_url(draw(DIGITS["1"])), "seq": 1}})
    assert all(m["attack"] is None for m in pad.result["models"])  # off by default
    pad.set_state({"attack": True})
    result = pad.result
    assert result["attack"] is True and result["seq"] == 1 and result["state"] == "ok"
    band = result["models"][0]["attack"]
    assert (band["before"], band["after"]) == (1, 0)
    field = np.asarray(decode(result["image"]), np.float64) / 255
    sign = np.ones((28, 28))
    sign[:, 11:17] = -1  # the margin's gradient: band pixels down, the rest up

    def margin(eps):  # logit of 0 minus logit of 1 after the attack: > 0 once it flips
        moved = np.clip(field + eps * sign, 0, 1)
        inside = np.zeros((28, 28), bool)
        inside[:, 11:17] = True
        return moved[~inside].sum() - moved[inside].sum()

    assert margin(band["eps"]) > 0 > margin(band["eps"] - 0.004)
    assert re.fullmatch(r"ε = 0,\d{3} muda 1 → 0", band["label"]), band["label"]
    attacked = np.asarray(decode(band["image"]), np.float64) / 255
    assert np.abs(attacked - field).max() <= band["eps"] + 1 / 255
    assert result["models"][1]["attack"]["before"] == result["models"][1]["top"][0]["digit"]

    pad.set_state({"drawing": {"png": "", "seq": 2}})  # Limpar, the switch still on
    assert all(m["attack"] is None for m in pad.result["models"])


def test_the_attack_switch_says_so_when_no_eps_changes_the_answer():
    from mnist_mlp.pad import attacked
    constant = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    with torch.no_grad():
        constant[1].weight.zero_()
        constant[1].bias.copy_(torch.arange(10.0))
    constant.train()  # the pad's models may come in training mode: it is restored
    found = attacked(constant, np.zeros((28, 28), np.float32))
    assert found == {"eps": None, "before": 9, "after": 9, "image": "",
                     "label": "nenhum ε até 0,5 muda o 9"}
    assert constant.training


@pytest.mark.parametrize("png", ["data:image/png;base64,bm90IGEgcG5n", "data:text/plain,7"])
def test_a_bad_drawing_shows_one_line_in_the_pad(pad, png):
    pad.set_state({"drawing": {"png": png, "seq": 3}})
    assert pad.result["state"] == "error"
    assert pad.result["message"].startswith("Não foi possível ler o desenho: ")
    assert "\n" not in pad.result["message"] and "Traceback" not in pad.result["message"]


def test_where_widgets_cannot_render_the_pad_is_one_line(pad):
    bundle, _ = pad._repr_mimebundle_()
    assert bundle["text/plain"] == OFFLINE and "\n" not in OFFLINE
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == pad.model_id
    assert repr(pad).startswith("<mnist_mlp.pad.DrawingPad object at 0x")  # print and debuggers


def test_top_digits_of_to_mnist_s_image(pad):
    """What a notebook calls for one image: the three likeliest digits, most likely first."""
    image = to_mnist(np.asarray(draw(DIGITS["1"])))  # a (1, 28, 28) tensor
    assert top_digits(pad.models["banda"], image)[0] == (1, pytest.approx(1))
    model = pad.models["E"]
    top = top_digits(model, image)
    assert top == top_digits(model, image[0].numpy()) and len(top) == 3
    ranking = probabilities(model, image).argsort(descending=True).tolist()
    assert [d for d, _ in top] == ranking[:3]
    assert [d for d, _ in top_digits(model, image, k=10)] == ranking
    with pytest.raises(ValueError, match="expected one 28 x 28 image"):
        top_digits(model, torch.zeros(2, 28, 28))


def test_one_model_or_a_dict_of_them():
    assert list(DrawingPad(band_model()).models) == ["modelo"]
    for bad in ({}, "F", {"F": "model"}):
        with pytest.raises(ValueError, match="DrawingPad needs a torch model"):
            DrawingPad(bad)


def test_a_model_in_training_mode_is_read_in_evaluation_mode_and_left_as_it_was():
    torch.manual_seed(0)
    model = PRESETS["F"].model()  # batch norm refuses a batch of one in training mode
    assert model.training
    first = probabilities(model, prepare(draw(DIGITS["7"])))
    assert torch.equal(first, probabilities(model, prepare(draw(DIGITS["7"]))))  # no noise
    assert model.training


@pytest.mark.slow
@pytest.mark.needs_mnist
def test_a_briefly_trained_model_reads_drawn_digits(data):
    from mnist_mlp.experiment import fit, set_seed

    set_seed(0)
    model = PRESETS["E"].model()
    fit(model, data, max_epochs=1)
    pad = DrawingPad({"E": model.eval()})
    for digit, strokes in DIGITS.items():
        _, tops = pad.read(draw(strokes))
        assert tops["E"][0][0] == int(digit), f"drew a {digit}, E read {tops['E']}"
