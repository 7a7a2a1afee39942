"""Synthetic phone photos of MNIST digits: ink on a big coloured sheet under uneven light, JPEG."""
import io

import numpy as np
from PIL import Image
from scipy import ndimage, special


def photo(digit, seed, light=(0.95, 0.55), shadow=0.45, noise=0.03, quality=70):
    """An RGB PIL image of `digit` (square, white on black, uint8: MNIST's 28 x 28) written in
    dark ink on paper.

    The field is enlarged to 140-280 px (an MNIST digit of 100-200 px) and placed off-centre
    on a sheet of 400-600 px, paper and ink in random tints; the light falls from `light[0]`
    to `light[1]` across the sheet in a random direction, a soft shadow darkens part of it by
    up to `shadow`, and pixel noise and a JPEG round trip at `quality` follow. `seed` decides
    all.
    """
    rng = np.random.default_rng(seed)
    height, width = rng.integers(400, 601, size=2)
    side = int(rng.integers(140, 281))
    field = Image.fromarray(np.asarray(digit, np.uint8)).resize((side, side), Image.BICUBIC)
    cover = np.zeros((height, width))
    top, left = rng.integers(0, height - side + 1), rng.integers(0, width - side + 1)
    # The lens: no edge is a step.
    cover[top:top + side, left:left + side] = ndimage.gaussian_filter(np.asarray(field) / 255, 1)
    paper = rng.uniform(0.85, 1.0, size=3)  # white, cream or a pale tint
    ink = rng.uniform(0.02, 0.3, size=3)  # black, blue or brown ink
    reflect = paper * (1 - cover[..., None]) + ink * cover[..., None]
    rows, cols = np.mgrid[0:height, 0:width]
    angle = rng.uniform(0, 2 * np.pi)
    along = rows * np.sin(angle) + cols * np.cos(angle)
    along = (along - along.min()) / np.ptp(along)
    lit = light[0] + (light[1] - light[0]) * along
    # A hand's or a phone's shadow: an ellipse from a random point, its edge a soft ramp.
    centre = rng.uniform(0, 1, size=2) * (height, width)
    axes = rng.uniform(0.25, 0.6, size=2) * (height, width)
    reach = np.hypot((rows - centre[0]) / axes[0], (cols - centre[1]) / axes[1])
    edge = rng.uniform(5, 15) / axes.mean()  # a ramp some 20-70 px wide (10% to 90%)
    lit = lit * (1 - shadow * special.expit((1 - reach) / edge))
    image = reflect * lit[..., None] + rng.normal(0, noise, reflect.shape)
    rgb = np.clip(np.round(image * 255), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")
