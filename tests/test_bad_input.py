"""A user's mistake gets one line that says what was wrong, never a traceback from torch or PIL
(the maintainer's probes of issue 38, each answered by the package before)."""
import numpy as np
import pytest

from mnist_mlp.attacks import smallest_flip
from mnist_mlp.pad import decode, top_digits
from mnist_mlp.regularized import GaussianNoise, RegularizedMLP


@pytest.fixture
def model():
    return RegularizedMLP(10, [8], 0.01, af="relu").eval()


def test_a_one_cycle_optimizer_outside_a_trainer(model):
    tiny = RegularizedMLP(10, [8], 0.01, optimizer="adamw", schedule="onecycle")
    with pytest.raises(ValueError, match="needs the d2l.Trainer"):
        tiny.configure_optimizers()


def test_an_attack_on_an_image_that_is_not_28_by_28(model):
    with pytest.raises(ValueError, match="expected one 28 x 28 image.*32, 32"):
        smallest_flip(model, np.zeros((32, 32), dtype=np.float32))


@pytest.mark.parametrize("k", [0, 11, 2.5, True])
def test_top_digits_beyond_the_ten_digits(model, k):
    with pytest.raises(ValueError, match="k must be a whole number from 1 to 10"):
        top_digits(model, np.zeros((28, 28), dtype=np.float32), k=k)
    assert len(top_digits(model, np.zeros((28, 28)), k=np.int64(3))) == 3


@pytest.mark.parametrize("std", ["0.1", -1.0, float("nan")])
def test_noise_of_a_bad_size(std):
    with pytest.raises(ValueError, match="noise standard deviation must be a finite number"):
        GaussianNoise(std)
    assert GaussianNoise(np.float32(0.1)).std == pytest.approx(0.1)


@pytest.mark.parametrize("payload", ["@@not base64@@", "aGVsbG8="])  # bad text; not a PNG
def test_a_drawing_that_is_not_a_png_says_so_in_portuguese(payload):
    with pytest.raises(ValueError, match="o desenho não chegou como um PNG legível") as info:
        decode("data:image/png;base64," + payload)
    assert "BytesIO" not in str(info.value)

