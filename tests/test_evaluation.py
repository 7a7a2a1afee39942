"""The helpers against reference computations (scikit-learn, hand counts)."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from sklearn.metrics import accuracy_score, confusion_matrix

from mnist_mlp import MLP, evaluate_accuracy, show_confusion_matrix, visualize_errors
from mnist_mlp.evaluation import binomial_interval, correct
from mnist_mlp.experiment import set_seed
from mnist_mlp.presets import PRESETS


@pytest.fixture(scope="module")
def trained():
    """Model C as built, untrained: thousands of errors to look at, no training needed."""
    set_seed(0)
    return PRESETS["C"].model()


@pytest.fixture(scope="module")
def predictions(trained, data):
    trained.eval()
    with torch.no_grad():
        X, _ = data.val[torch.arange(len(data.val))]  # the split as one batch: one indexing
        return trained(X).argmax(dim=1).numpy()


@pytest.mark.slow  # two passes over the 10,000 test images
def test_evaluate_accuracy_matches_sklearn_and_restores_the_mode(trained, data, predictions):
    trained.eval()
    accuracy = evaluate_accuracy(trained, data.val_dataloader())
    assert accuracy == pytest.approx(accuracy_score(data.val.targets.numpy(), predictions))
    assert not trained.training  # found in eval mode, left in eval mode
    trained.train()
    assert evaluate_accuracy(trained, data.val_dataloader()) == accuracy and trained.training
    with pytest.raises(ValueError, match="data_iter gave no batches"):  # no batch, no accuracy
        evaluate_accuracy(trained, [])


def test_confusion_matrix_matches_sklearn(trained, data, predictions):
    cm = show_confusion_matrix(trained, data)
    assert cm.shape == (10, 10) and cm.sum() == 10000
    np.testing.assert_array_equal(cm, confusion_matrix(data.val.targets.numpy(), predictions))


def test_visualize_errors_shows_the_first_errors_in_a_grid(trained, data, predictions):
    wrong = np.flatnonzero(predictions != data.val.targets.numpy())
    drawing = visualize_errors(trained, data, max_errors=50)
    assert isinstance(drawing.figure_, Figure) and drawing.axes_ == drawing.figure_.axes
    titled = [ax for ax in drawing.axes_ if ax.get_title()]
    assert len(titled) == 50 and len(drawing.data) == 50
    assert drawing.figure_.get_size_inches()[0] < 20  # 5 rows of 10, not one row
    first = wrong[0]
    assert titled[0].get_title() == (f"Verdadeiro: {int(data.val.targets[first])}\n"
                                     f"Predito: {predictions[first]}")
    shown = titled[7].get_images()[0].get_array()
    np.testing.assert_allclose(shown, data.val[int(wrong[7])][0][0].numpy())


def test_fewer_errors_than_asked_is_fine(data):
    X, y = next(iter(data.val_dataloader()))

    class KnowsTheLabels(torch.nn.Module):
        """Right on every example except the first one."""

        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(1))

        def forward(self, X):
            out = torch.nn.functional.one_hot(y[:len(X)], 10).float()
            out[0] = torch.roll(out[0], 1)
            return out

    one_batch = SimpleNamespace(val_dataloader=lambda: [(X, y)])
    drawing = visualize_errors(KnowsTheLabels(), one_batch, max_errors=10)
    [(image, true, predicted)] = drawing.data
    assert true == int(y[0]) and predicted == (int(y[0]) + 1) % 10
    assert torch.equal(image, X[0])


def test_bad_max_errors(trained, data):
    with pytest.raises(ValueError, match="max_errors must be a positive integer"):
        visualize_errors(trained, data, max_errors=0)


def test_without_validation_the_helpers_say_so(trained):
    no_val = SimpleNamespace(val_dataloader=lambda: None)  # as MNIST(validate=False) answers
    for helper in (visualize_errors, show_confusion_matrix):
        with pytest.raises(ValueError, match="no validation split .*validate=False"):
            helper(trained, no_val)


@pytest.mark.parametrize("accuracy, n, low, high", [
    (0.5, 100, 0.4038, 0.5962),     # Wilson's interval, as tabulated (Newcombe 1998, z = 1.96)
    (0.9926, 10_000, 0.9907, 0.9941),
    (1.0, 10_000, 0.9996, 1.0),      # no error seen: the interval still has width
])
def test_binomial_interval_is_wilsons(accuracy, n, low, high):
    from mnist_mlp.evaluation import with_interval

    if n == 10_000 and accuracy < 1:
        assert with_interval(accuracy, n) == "0,9926 (0,9907–0,9941)"
        assert with_interval(accuracy, n, as_percent=True) == "99,26% (99,07–99,41%)"
    found = binomial_interval(accuracy, n)
    assert found == pytest.approx((low, high), abs=5e-5)
    assert found[0] <= accuracy <= found[1]


@pytest.mark.parametrize("k, n", [(50, 100), (9926, 10_000), (10_000, 10_000), (0, 40), (3, 7)])
def test_binomial_interval_matches_scipys_wilson_interval(k, n):
    from scipy.stats import binomtest

    from mnist_mlp.evaluation import binomial_interval
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    # scipy's z is the exact 97.5 % quantile (1.95996...), ours the 1.96 of the tables
    assert binomial_interval(k / n, n) == pytest.approx((ci.low, ci.high), abs=2e-5)


def test_per_class_scores_match_sklearn():
    from sklearn.metrics import precision_recall_fscore_support

    from mnist_mlp.evaluation import most_confused, per_class_scores
    rng = np.random.default_rng(0)
    true, pred = rng.integers(0, 10, 500), rng.integers(0, 9, 500)  # 9 is never predicted
    pred[:300] = np.minimum(true[:300], 8)
    cm = np.zeros((10, 10), int)
    np.add.at(cm, (true, pred), 1)
    ours = per_class_scores(cm)
    theirs = precision_recall_fscore_support(true, pred, labels=range(10), zero_division=0)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b)
    count, t, p = most_confused(cm, 1)[0]
    assert count == max(cm[i, j] for i in range(10) for j in range(10) if i != j) == cm[t, p]


def test_ensemble_accuracy_averages_probabilities():
    from mnist_mlp.evaluation import ensemble_accuracy

    class Fixed(torch.nn.Module):
        def __init__(self, logits):
            super().__init__()
            self.logits = torch.nn.Parameter(logits)

        def forward(self, X):
            return self.logits[: len(X)]

    torch.manual_seed(0)
    logits = [torch.randn(6, 10) * 3 for _ in range(3)]
    y = torch.randint(0, 10, (6,))
    X = torch.zeros(6, 1, 28, 28)
    expected = sum(torch.softmax(lg, dim=1) for lg in logits).argmax(dim=1)
    models = [Fixed(lg) for lg in logits]
    assert ensemble_accuracy(models, [(X, y)]) == (expected == y).sum().item() / 6
    single = (logits[0].argmax(dim=1) == y).sum().item() / 6
    assert ensemble_accuracy(models[:1], [(X, y)]) == single
    assert all(m.training for m in models)  # the mode they were found in
    models[1].eval()
    ensemble_accuracy(models, [(X, y)])
    assert [m.training for m in models] == [True, False, True]
    with pytest.raises(ValueError, match="at least one model"):
        ensemble_accuracy([], [(X, y)])


def test_an_error_mid_way_leaves_a_training_model_in_training_mode(data):
    def batches():  # one good batch, then the data source fails
        yield next(iter(data.val_dataloader()))
        raise OSError("the data went away")

    broken = SimpleNamespace(val_dataloader=batches)
    model = MLP(10, [16], 0.1)
    for helper in (lambda: evaluate_accuracy(model, batches()),
                   lambda: visualize_errors(model, broken, max_errors=10_000),
                   lambda: show_confusion_matrix(model, broken)):
        model.train()
        with pytest.raises(OSError, match="the data went away"):
            helper()
        assert model.training


def test_mcnemar_counts_the_discordant_examples_and_gives_the_exact_binomial_p():
    from mnist_mlp.evaluation import mcnemar

    # 1 example only A gets right, 9 only B, 5 both, 3 neither: the binomial test of 1 in 10
    # at 1/2, two-sided, is 2 * (C(10,0) + C(10,1)) / 2**10 = 22 / 1024.
    a = [True] * 1 + [False] * 9 + [True] * 5 + [False] * 3
    b = [False] * 1 + [True] * 9 + [True] * 5 + [False] * 3
    assert mcnemar(a, b) == (1, 9, pytest.approx(22 / 1024))
    assert mcnemar(b, a) == (9, 1, pytest.approx(22 / 1024))
    assert mcnemar(a, a) == (0, 0, 1.0)  # the same answers: nothing tells them apart
    with pytest.raises(ValueError, match="equally long"):
        mcnemar(a, b[:-1])


def test_ensemble_correct_is_where_the_averaged_probabilities_are_right():
    from mnist_mlp.evaluation import correct, ensemble_accuracy, ensemble_correct

    torch.manual_seed(1)
    models = [torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10)) for _ in range(3)]
    batches = [(torch.rand(5, 1, 28, 28), torch.randint(0, 10, (5,))) for _ in range(2)]
    right = ensemble_correct(models, batches)
    assert right.shape == (10,)
    assert ensemble_accuracy(models, batches) == float(right.double().mean())
    assert torch.equal(ensemble_correct(models[:1], batches), correct(models[0], batches))


def test_a_loop_over_outputs_runs_with_the_callers_grad_mode_and_model_mode():
    # Regression: outputs used to yield inside torch.no_grad() with the model in eval mode, so
    # an attack in the loop's body failed ("does not require grad") and a break left grad off.
    from mnist_mlp.attacks import fgsm
    from mnist_mlp.evaluation import outputs

    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10)).train()
    batches = [(torch.rand(4, 1, 28, 28), torch.randint(0, 10, (4,))) for _ in range(3)]
    for X, y, scores in outputs(model, batches):
        assert torch.is_grad_enabled() and model.training and not scores.requires_grad
        model.eval()
        assert fgsm(model, X, y, 0.1).shape == X.shape  # needs gradients in the body
        model.train()
        break
    assert torch.is_grad_enabled() and model.training



def test_binomial_interval_takes_numpy_counts_without_overflow():
    import numpy as np

    assert binomial_interval(0.98, np.int32(60_000)) == binomial_interval(0.98, 60_000)


def _loader(X, y):
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=4)


@pytest.mark.parametrize("X, y, message", [
    # a label the model has no output for is never right: the accuracy was 0, silently
    (torch.rand(8, 1, 28, 28), torch.full((8,), 12), "label 12 is beyond the model's 10 outputs"),
    # torch's "mat1 and mat2 must have the same dtype" and "shapes cannot be multiplied" before
    (torch.rand(8, 1, 28, 28, dtype=torch.float64), torch.zeros(8, dtype=torch.long),
     "the images are torch.float64 and the model's weights torch.float32"),
    (torch.rand(8, 1, 32, 32), torch.zeros(8, dtype=torch.long),
     r"each image has 1024 pixels \(shape \(1, 32, 32\)\) and the model takes 784"),
])
def test_batches_the_model_cannot_read_are_one_line(X, y, message):
    model = MLP(10, [8], 0.1)
    for helper in (evaluate_accuracy, correct):
        with pytest.raises(ValueError, match=message):
            helper(model, _loader(X, y))


def test_a_models_sizes_are_read_once_per_pass_not_per_batch(monkeypatch):
    from mnist_mlp import evaluation

    calls = []
    monkeypatch.setattr(evaluation, "sizes_of",
                        lambda model: calls.append(model) or (28 * 28, 10))
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 10))
    loader = [(torch.rand(4, 1, 28, 28), torch.arange(4)) for _ in range(3)]
    evaluation.evaluate_accuracy(model, loader)
    assert len(calls) == 1  # it walks a user's modules: once, not once per batch


def test_most_confused_lists_only_pairs_that_were_confused():
    from mnist_mlp.evaluation import most_confused

    cm = 5 * np.eye(10, dtype=int)
    cm[3, 8], cm[4, 9] = 2, 1
    assert most_confused(cm, 200) == [(2, 3, 8), (1, 4, 9)]
    assert most_confused(5 * np.eye(10, dtype=int), 3) == []
