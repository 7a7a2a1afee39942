"""Digits as pointer paths on the pad's 280 x 280 canvas, and the same paths drawn with PIL."""
import math

from PIL import Image, ImageDraw

SIZE, LINE = 280, 18  # as in mnist_mlp/pad.js


def _line(start, end, step=8):
    """Points every `step` px from start to end: many small pointer moves, as a hand makes."""
    n = max(1, round(math.dist(start, end) / step))
    return [(start[0] + (end[0] - start[0]) * i / n, start[1] + (end[1] - start[1]) * i / n)
            for i in range(n + 1)]


def _ellipse(centre, rx, ry, points=60):
    return [(centre[0] + rx * math.sin(2 * math.pi * i / points),
             centre[1] - ry * math.cos(2 * math.pi * i / points)) for i in range(points + 1)]


# Each digit: a list of strokes, each a list of (x, y) canvas points.
DIGITS = {
    "1": [_line((140, 45), (140, 235))],
    "0": [_ellipse((140, 140), 62, 95)],
    "7": [_line((75, 55), (205, 55))[:-1] + _line((205, 55), (115, 235))],
}
# A 1 a third of the usual height in the top-left corner: the shift lesson of notebook 3.
SMALL_ONE = [_line((40, 15), (40, 85))]


def draw(strokes, size=SIZE, width=LINE):
    """The strokes as the canvas shows them: black round lines on white paper (a PIL image)."""
    image = Image.new("L", (size, size), 255)
    pen = ImageDraw.Draw(image)
    for stroke in strokes:
        pen.line(stroke, fill=0, width=width, joint="curve")
        for x, y in (stroke[0], stroke[-1]):  # round caps
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=0)
    return image
