"""A user's mistake gets one line that says what was wrong, never a traceback from torch or PIL
(the maintainer's probes of issue 38, each answered by the package before)."""
import numpy as np
import pytest

from mnist_mlp.attacks import smallest_flip
from mnist_mlp.data import _pair
from mnist_mlp.experiment import fit
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



@pytest.mark.parametrize("scale, word", [(255.0, "255"), (float("nan"), "nan")])
def test_top_digits_of_pixels_outside_zero_to_one(model, scale, word):
    # Before: a 0-255 image (or NaN) was read as a digit, with confident nonsense.
    field = np.full((28, 28), scale, dtype=np.float32)
    with pytest.raises(ValueError, match=f"expected pixels in \\[0, 1\\].*{word}"):
        top_digits(model, field)


def test_a_confusion_matrix_does_not_drop_a_class_beyond_its_own():
    # Before: scikit-learn dropped predictions of classes 10 and 11 without a word.
    import torch

    from mnist_mlp.evaluation import confusion

    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 12))
    with torch.no_grad():
        model[1].bias[11] = 100.0  # every image is class 11
    batches = [(torch.rand(4, 1, 28, 28), torch.arange(4))]
    with pytest.raises(ValueError, match=r"an answer of the model, 11, is beyond the matrix's "
                                         r"10 classes .*count them all with num_classes=12"):
        confusion(model, batches)
    assert confusion(model, batches, num_classes=12)[:4, 11].tolist() == [1, 1, 1, 1]


@pytest.mark.parametrize("labels, generator, message", [
    (np.array([3, 1]), None, "the labels must be a torch.long tensor .* ndarray of int64 \\(2,\\)"),
    ([3, 1], None, "the labels must be a torch.long tensor .* list for 2 images"),
    ("tensor", np.random.default_rng(0), "generator must be a torch.Generator, got Generator"),
])
def test_attacks_given_numpy_labels_or_generators(model, labels, generator, message):
    # Before: torch's TypeError from deep inside cross_entropy or torch.rand.
    import torch

    from mnist_mlp.attacks import fgsm, pgd

    X = torch.rand(2, 1, 28, 28)
    y = torch.tensor([3, 1]) if isinstance(labels, str) else labels
    with pytest.raises(ValueError, match=message):
        if generator is None:
            fgsm(model, X, y, 0.1)
        pgd(model, X, y, 0.1, steps=1, generator=generator)


def images(size, labels):
    """What fit reads of an MNIST before training: its training split's pixels and labels."""
    from types import SimpleNamespace

    import torch

    pixels = torch.zeros(len(labels), 1, size, size)
    return SimpleNamespace(train=SimpleNamespace(pixels=pixels, targets=torch.tensor(labels)),
                           train_dataloader=None)


def test_training_images_of_another_size_than_the_model_takes():
    # Before: torch's "mat1 and mat2 shapes cannot be multiplied (64x1024 and 784x8)".
    data = images(32, [3, 7])
    with pytest.raises(ValueError, match="the images have 1024 pixels, the model's first layer "
                                         r"takes 784: build the data at the model's size "
                                         r"\(MNIST\(resize=28\)\) or the model at the data's "
                                         r"\(num_inputs=1024\)"):
        fit(RegularizedMLP(10, [8], 0.01), data, 1)


@pytest.mark.parametrize("change, message", [
    # Before: labels N x 1 broadcast against N predictions: 0.10 instead of 0.84, no error.
    (lambda X, y: (X, y[:, None]), r"the labels must be integers, one per image, shape \(4,\)"),
    (lambda X, y: (X, -y - 1), "the labels must be digits from 0"),
    (lambda X, y: (X * 255, y), r"the images must be floats in \[0, 1\].*divide 0-255"),
    (lambda X, y: (X * float("nan"), y), r"the images must be floats in \[0, 1\]"),
    (lambda X, y: (X, y, y), r"each batch must be a pair of tensors"),
])
def test_evaluation_refuses_batches_that_are_not_mnists(model, change, message):
    import torch

    from mnist_mlp import evaluate_accuracy
    from mnist_mlp.attacks import accuracy_under_attack, fgsm
    from mnist_mlp.evaluation import correct

    batch = change(torch.rand(4, 1, 28, 28), torch.tensor([0, 1, 2, 3]))
    for measure in (lambda b: evaluate_accuracy(model, b), lambda b: correct(model, b),
                    lambda b: accuracy_under_attack(model, b, fgsm, 0.1)):
        with pytest.raises(ValueError, match=message):
            measure([batch])


def test_attacks_take_the_models_dtype_and_a_function():
    import torch

    from mnist_mlp.attacks import accuracy_under_attack, fgsm

    X, y = torch.rand(2, 1, 28, 28), torch.tensor([3, 1])
    with pytest.raises(ValueError, match="non-empty torch.float32 tensor.*got Tensor of "
                       "torch.float64"):
        fgsm(model_of_floats := RegularizedMLP(10, [8], 0.01).eval(), X.double(), y, 0.1)
    with pytest.raises(ValueError, match="non-empty torch.float32 tensor"):
        fgsm(model_of_floats, X[:0], y[:0], 0.1)
    with pytest.raises(ValueError, match="attack must be a function such as fgsm"):
        accuracy_under_attack(model_of_floats, [(X, y)], "fgsm", 0.1)


def test_smallest_flip_ends_below_the_floats_spacing(model):
    # Before: tolerance 1e-19 bisected for ever (the middle stopped moving).
    import torch

    torch.manual_seed(0)
    image = torch.rand(28, 28)
    found = smallest_flip(model, image, most=0.5, tolerance=1e-19)
    assert found is None or 0 < found[0] <= 0.5


def test_top_digits_of_an_image_not_yet_through_to_mnist(model):
    from PIL import Image

    with pytest.raises(ValueError, match=r"expected the 28 x 28 array to_mnist returns, got Image"):
        top_digits(model, Image.new("L", (28, 28)))


def test_a_one_image_last_batch_is_left_out_of_training_only():
    # Before: batch norm raised "Expected more than 1 value per channel" after a whole epoch.
    import torch

    from mnist_mlp.checks import ConfigError
    from mnist_mlp.config import Config
    from mnist_mlp.data import batch_loader

    split = torch.utils.data.TensorDataset(torch.rand(65, 1, 28, 28), torch.zeros(65).long())
    assert [len(y) for _, y in batch_loader(split, 64, shuffle=True)] == [64]
    assert [len(y) for _, y in batch_loader(split, 64)] == [64, 1]
    assert [len(y) for _, y in batch_loader(split, 60, shuffle=True)] == [60, 5]
    with pytest.raises(ConfigError, match="batch_norm needs batches of 2 images or more"):
        Config(batch_norm=True, batch_size=1)


def test_fit_refuses_what_is_not_a_model_and_mnist_and_too_few_outputs():

    from tiny import TinyData

    with pytest.raises(ValueError, match="fit takes a model and the MNIST object"):
        fit(RegularizedMLP(10, [8], 0.01), TinyData().train, 1)
    with pytest.raises(ValueError, match="max_epochs must be a positive integer, got 0"):
        fit(RegularizedMLP(10, [8], 0.01), TinyData(), 0)
    data = images(28, [3, 9])
    with pytest.raises(ValueError, match="the model has 5 outputs, the labels go up to 9: "
                                         "build it with num_outputs=10"):
        fit(RegularizedMLP(5, [8], 0.01), data, 1)


def test_numpy_float32_settings_keep_their_value_and_idle_ones_do_nothing():
    from mnist_mlp.board import describe
    from mnist_mlp.config import Config

    assert Config(lr=np.float32(0.1)).lr == 0.1  # not 0.10000000149011612, another setting
    title = describe(RegularizedMLP(10, [8], 0.01, clean_statistics=True).hparams)
    assert "estatísticas sem ruído" not in title  # without batch norm there were none


def test_tiny_images_are_not_judged_noise():
    from mnist_mlp.digits import to_mnist

    plus = np.full((3, 3), 255.0)
    plus[1, :] = plus[:, 1] = 0.0  # a dark plus on white paper
    assert to_mnist(plus).shape == (1, 28, 28)


@pytest.mark.parametrize("url", [None, b"data:image/png;base64,"])
def test_a_drawing_that_is_not_text(url):
    with pytest.raises(ValueError, match="expected a PNG data URL \\(text\\), got"):
        decode(url)


def test_a_resize_written_as_text():
    with pytest.raises(ValueError, match="resize must be an int or a \\(height, width\\) pair"):
        _pair("28")
    assert _pair(np.int64(28)) == (28, 28) and _pair([32, 28]) == (32, 28)


@pytest.mark.parametrize("num_gpus", ["1", -1, 0.5])
def test_fit_with_a_gpu_count_that_is_not_one(model, num_gpus):
    with pytest.raises(ValueError, match="num_gpus must be a whole number"):
        fit(model, None, 1, num_gpus=num_gpus)
