"""Accuracy, misclassified digits and the confusion matrix, as in the original notebook.

The original's three helpers come first, then what they share: `outputs`, the one loop over a
model's batches in evaluation mode. The rest serves notebook 2 and the command line.
"""
import math

import numpy as np
import torch
from sklearn import metrics
from torch import nn

from .checks import BOOLEAN, UNIT, Interval, refuse_class, require
from .formatting import br
from .plots import counts_table, error_grid, plot_confusion_matrix


def evaluate_accuracy(model, data_iter):
    """A fração dos exemplos de `data_iter` que o modelo classifica corretamente."""
    hits = [scores.argmax(dim=1) == y for _, y, scores in outputs(model, data_iter)]
    if not hits:
        raise ValueError("data_iter gave no batches; pass e.g. data.val_dataloader()")
    return torch.cat(hits).double().mean().item()


def visualize_errors(model, dataset, max_errors=10, axes=None):
    """Desenha os primeiros `max_errors` dígitos de validação que o modelo erra."""
    require("max_errors", max_errors)  # um inteiro positivo
    errors = []  # (imagem, rótulo verdadeiro, rótulo predito)
    for X, y, scores in outputs(model, validation_batches(dataset)):
        y_hat = scores.argmax(dim=1)
        wrong = y_hat != y
        errors += zip(X[wrong], y[wrong].tolist(), y_hat[wrong].tolist())
        if len(errors) >= max_errors:
            break
    return error_grid(errors[:max_errors], axes=axes)


def show_confusion_matrix(model, dataset, ax=None):
    """Desenha a matriz de confusão da validação e a devolve."""
    cm = confusion(model, validation_batches(dataset))
    plot_confusion_matrix(cm, ax=ax)  # o mapa de calor do seaborn, com títulos em português
    return cm


def outputs(model, data_iter):
    """Imagens, rótulos e escores de cada lote, em modo de avaliação e sem gradientes."""
    device = device_of(model)
    for X, y in batches(data_iter, model):
        was_training = model.training
        model.eval()  # sem dropout nem ruído; a normalização em lote usa as médias guardadas
        try:
            with torch.no_grad():
                scores = model(X.to(device))
        finally:  # o modo volta antes de o lote sair: o laço de quem chama roda como fora dele
            model.train(was_training)
        check_scores(scores, y)
        yield X.cpu(), y.cpu(), scores.cpu()


def confusion_matrix(y_true, y_pred, num_classes):
    """scikit-learn's confusion_matrix of classes 0 to `num_classes` - 1, refusing the answers it
    would drop without a word (a class beyond them, e.g. from a model with more outputs)."""
    require("num_classes", num_classes)  # range(10.0): a TypeError
    shapes = [tuple(np.shape(v.cpu() if torch.is_tensor(v) else v)) for v in (y_true, y_pred)]
    if shapes[0] != shapes[1] or len(shapes[0]) != 1 or not shapes[0][0]:  # as sklearn's own
        raise ValueError(f"confusion_matrix takes two equally long, non-empty lists of classes "
                         f"(labels, answers), got shapes {shapes[0]} and {shapes[1]}")
    labels = range(num_classes)
    for values, whose in ((y_true, "a label"), (y_pred, "an answer of the model")):
        found = np.unique(np.asarray(values)).tolist()  # tensors, arrays and lists alike, as
        # scikit-learn's own takes them
        if odd := [v for v in found if isinstance(v, bool) or not (
                isinstance(v, (int, float)) and float(v).is_integer() and v >= 0)]:
            raise ValueError(f"{whose}, {odd[0]!r}, is not a class: classes are whole numbers "
                             "from 0 (a tensor or array of them)")
        beyond = sorted(set(found) - set(labels))
        if beyond:
            raise ValueError(f"{whose}, {beyond[0]}, is beyond the matrix's {len(labels)} "
                             f"classes (0 to {len(labels) - 1}): evaluation.confusion and "
                             f"confusion_matrix count them all with num_classes="
                             f"{max(beyond) + 1} (show_confusion_matrix draws MNIST's 10)")
    return metrics.confusion_matrix(y_true, y_pred, labels=labels)


def confusion(model, data_iter, num_classes=10):
    """A matriz de confusão do modelo em `data_iter` (linha: verdadeiro; coluna: predito)."""
    y_true, y_pred = [], []
    for _, y, scores in outputs(model, data_iter):
        y_true.append(y)
        y_pred.append(scores.argmax(dim=1))
    return confusion_matrix(torch.cat(y_true), torch.cat(y_pred), num_classes)


def validation_batches(dataset):
    """`dataset.val_dataloader()`, or a ValueError saying why there is none."""
    refuse_class(dataset)
    if not hasattr(dataset, "val_dataloader"):  # the advice fits both helpers that call this
        raise ValueError(f"expected the MNIST object, got {type(dataset).__name__}: pass data "
                         "itself (data = MNIST(...)), not its loaders or batches")
    loader = dataset.val_dataloader()
    if loader is None:
        raise ValueError("this dataset has no validation split (it was made with "
                         "validate=False): pass one made with validate=True")
    return loader


def batches(data_iter, model=None):
    """`data_iter` if it can give (X, y) batches; a ValueError saying what to pass instead
    for the MNIST object, one of its splits, or the None of a missing validation split. With a
    `model`, each batch must also fit it: its dtype and, where `sizes_of` tells them, its pixels
    per image and labels below its number of outputs."""
    if data_iter is None:
        raise ValueError("got None for the batches: an MNIST made with validate=False has no "
                         "validation split; pass e.g. data.test_dataloader()")
    refuse_class(data_iter)  # MNIST without its ()
    if callable(data_iter) and not hasattr(data_iter, "__iter__"):  # data.val_dataloader
        name = getattr(data_iter, "__name__", "val_dataloader")
        raise ValueError(f"got the function {name} itself: call it, e.g. data.{name}()")
    if hasattr(data_iter, "val_dataloader"):
        raise ValueError("got the MNIST object: pass its batches, e.g. data.val_dataloader()")
    if isinstance(data_iter, torch.utils.data.Dataset):
        raise ValueError("got a split (e.g. data.val): pass its batches, e.g. "
                         "data.val_dataloader()")
    if not hasattr(data_iter, "__iter__"):
        raise ValueError(f"expected batches (X, y), e.g. data.val_dataloader(), got "
                         f"{type(data_iter).__name__}")
    if (isinstance(data_iter, (tuple, list)) and len(data_iter) == 2
            and all(isinstance(t, torch.Tensor) for t in data_iter)
            and data_iter[0].dim() >= 2 and data_iter[1].dim() == 1):
        raise ValueError("got one batch (X, y): wrap it in a list, [(X, y)]")
    sizes = None if model is None else sizes_of(model)  # once: it walks a user's modules

    def checked():
        given = False
        for batch in collated(data_iter):
            given = True
            yield fits(check_batch(batch), model, sizes)
        if not given:  # an empty loader: torch.cat's error, or an empty answer, further on
            raise ValueError("data_iter gave no batches; pass e.g. data.test_dataloader()")
    return checked()


def collated(data_iter):
    """The batches of `data_iter`; a ValueError in one line where its DataLoader cannot stack
    the items (a torchvision dataset without ToTensor gives PIL images)."""
    iterator = iter(data_iter)
    while True:
        try:
            batch = next(iterator)
        except StopIteration:
            return
        except TypeError as err:
            if "collate" not in str(err):
                raise
            raise ValueError("the loader's items are not tensors (a torchvision dataset "
                             "without transform=transforms.ToTensor()?): use data.val_dataloader() "
                             "or data.test_dataloader()") from None
        yield batch


def check_batch(batch, training=False):
    """(X, y) if it is a batch as MNIST's loaders give it, else a ValueError saying what is off:
    a wrong answer count would otherwise pass silently (labels N x 1 broadcast against N).
    Images with negative values (Normalize's) pass, as a model may be trained on them; 0-255
    ones, which train to chance, do not. Outside `training`, images that read as nothing the
    model saw (dark digits on light paper, pixels divided by 255 twice) are refused too."""
    if not (isinstance(batch, (tuple, list)) and len(batch) == 2
            and all(isinstance(t, torch.Tensor) for t in batch)):
        raise ValueError("each batch must be a pair of tensors (images, labels), as "
                         "data.val_dataloader() gives")
    X, y = batch
    if not len(X):  # an accuracy over no image is 0/0
        raise ValueError("a batch holds no images: leave empty batches out")
    if y.dim() == 0:  # zip(X, y): one image and its label at a time
        raise ValueError("each item is one image and its label: pass batches, e.g. [(X, y)] or "
                         "a DataLoader")
    check_not_one_image(X, y)
    integers = not y.is_floating_point() and y.dtype != torch.bool
    if not (integers and y.dim() == 1 and len(y) == len(X)):
        raise ValueError(f"the labels must be integers, one per image, shape ({len(X)},), got "
                         f"{y.dtype} of shape {tuple(y.shape)}")
    if len(y) and y.min() < 0:
        raise ValueError(f"the labels must be digits from 0, got {int(y.min())}")
    if X.numel() and not (X.is_floating_point() and torch.isfinite(X).all()
                          and (X.max() <= 1 or X.min() < 0)):
        raise ValueError("the images must be floats in [0, 1], as MNIST's loaders give them, got "
                         f"{X.dtype} from {float(X.min()):g} to {float(X.max()):g}: divide 0-255 "
                         "pixels by 255")
    if not training and X.numel() and X.min() >= 0:
        check_ink(X)
    return X, y


DIM = 1.5 / 255  # brightest pixel of a batch divided by 255 twice (MNIST's ink reaches 1)
# a border whose darkest quarter is this light is paper (grey paper at 0,7 too), not MNIST's
# black ground: noise leaves most of that ground near 0; a test's grey images in [0,4, 0,6] and
# uniform random pixels keep a quarter of it below 0,6
LIGHT = 0.6


def check_ink(X):
    """ValueError if the batch's images in [0, 1] are not light digits on a black ground as
    MNIST's: an accuracy near 0 or near chance would come back, measured on nothing the model
    saw."""
    if 0 < (top := float(X.max())) <= DIM:
        raise ValueError(f"the images' brightest pixel is {top:.4f}: divided by 255 twice? "
                         "MNIST's loaders give pixels in [0, 1]")
    flat = X.reshape(len(X), -1)
    side = math.isqrt(flat.shape[1])
    if side < 3 or side * side != flat.shape[1]:
        return  # not square: no border to read
    square = flat.view(len(X), side, side)
    border = torch.cat([square[:, 0], square[:, -1], square[:, 1:-1, 0], square[:, 1:-1, -1]],
                       dim=1)
    if (border.quantile(0.25, dim=1) > LIGHT).float().mean() > 0.5:
        raise ValueError("most images' border is light (dark ink on light paper?): MNIST's "
                         "digits are light on black; invert them (1 - X), or read photos with "
                         "to_mnist")


def check_not_one_image(X, y):
    """ValueError if `X` is one H x W image with its one label (X[0, 0]), not a batch."""
    if X.dim() == 2 and hasattr(y, "__len__") and len(y) == 1 != len(X):
        raise ValueError(f"X looks like one image of shape {tuple(X.shape)}, not a batch: pass "
                         "X[None], a batch of one")


def fits(batch, model, sizes=None):
    """`batch` (X, y) if `model` (None: any) can read it, else a ValueError in one line: a
    wrong dtype or image size would be torch's matrix error, and a label beyond the model's
    outputs would count as an error for ever (an accuracy of 0, silently). `sizes`: the
    model's `sizes_of`, where the caller has them."""
    if model is None:
        return batch
    X, y = batch
    dtype = dtype_of(model)
    if X.dtype != dtype:
        raise ValueError(f"the images are {X.dtype} and the model's weights {dtype}: convert "
                         f"the model, model.to({X.dtype}) (model.float() for MNIST's float32), "
                         f"or the images, X.to({dtype})")
    inputs, classes = sizes_of(model) if sizes is None else sizes
    if inputs is not None and len(X) and X[0].numel() != inputs:
        side = math.isqrt(inputs)
        data = f" (MNIST(resize={side}))" if side * side == inputs else ""
        raise ValueError(f"each image has {X[0].numel()} pixels (shape {tuple(X.shape[1:])}) "
                         f"and the model takes {inputs}: build the data at the model's size"
                         f"{data} or the model at the data's (num_inputs={X[0].numel()})")
    if classes is not None:
        check_labels(y, torch.empty(0, classes))
    check_flattens(model, X)
    return batch


def check_flattens(model, X):
    """ValueError if the model starts with an nn.Linear of one image's pixels and no
    nn.Flatten before it, and reads images only flattened: the helpers pass them as they come,
    (N, 1, 28, 28), and torch's matrix error would say '28x28 and 784x10'. Tried on one image
    only for such a model (its forward may flatten them itself, as tutorials' do)."""
    first = next((m for m in model.modules() if not list(m.children())), None)
    if not (isinstance(first, nn.Linear) and X.dim() > 2 and len(X)
            and first.in_features == X[0].numel()):
        return
    one = X[:1].to(device_of(model))
    if not _reads(model, one) and _reads(model, one.flatten(1)):
        raise ValueError(f"the model starts with nn.Linear({first.in_features}, "
                         f"{first.out_features}) with no nn.Flatten before it, and the helpers "
                         f"pass images as they come, {tuple(X.shape[1:])} each: begin it with "
                         "nn.Flatten(), e.g. nn.Sequential(nn.Flatten(), model)")


def _reads(model, X):
    """Whether the model reads X without an error, in evaluation mode and without gradients
    (its mode left as it was)."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(X)
        return True
    except RuntimeError:
        return False
    finally:
        model.train(was_training)


def check_scores(scores, y=None):
    """`scores` if they are what the helpers read of a model: one row of class scores per image
    (`y`, their labels, where there are any), a score for every label, none NaN; else a
    ValueError saying what came instead (a model of one's own may return a tuple, or scores of
    shape (N, 1, 10); a diverged one, NaN)."""
    if not isinstance(scores, torch.Tensor):
        raise ValueError(f"the model returned a {type(scores).__name__}, not a tensor of scores: "
                         "the helpers read a model whose forward returns the class scores alone, "
                         "one row per image (return anything else from another method)")
    if y is None:  # no labels (VAT): as many rows as there are
        y = torch.zeros(scores.shape[0] if scores.dim() else 1, dtype=torch.long)
    if scores.dim() != 2 or scores.shape[0] != len(y):
        raise ValueError(f"the model returned scores of shape {tuple(scores.shape)} for {len(y)} "
                         f"image{'s' * (len(y) != 1)}: the helpers read one row of class "
                         f"scores per image, ({len(y)}, classes); e.g. end forward with "
                         ".flatten(1)")
    # NaN, +inf, or -inf everywhere has an argmax, class 0: a diverged model's accuracy,
    # silently (-inf in some classes is a log-probability of 0)
    broken = (scores.isnan() | scores.isposinf()).any(dim=1) | scores.isneginf().all(dim=1)
    if broken.any():
        raise ValueError(f"the model returned NaN or infinite scores for {int(broken.sum())} of "
                         f"{len(y)} images: its weights diverged? (check torch.isfinite(p).all() "
                         "for p in model.parameters()); train it again, with a smaller lr")
    check_labels(y, scores)
    return scores


def check_labels(y, scores):
    """ValueError unless every label has a score among the model's outputs (`scores`, one row
    per image): a label beyond them could never be right, an accuracy of 0 on it, silently."""
    classes = scores.shape[-1]
    if len(y) and y.max() >= classes:
        raise ValueError(f"label {int(y.max())} is beyond the model's {classes} outputs "
                         f"(classes 0 to {classes - 1}): it could never be right")


def sizes_of(model):
    """(pixels per image, outputs) the model takes and gives, None where they cannot be told:
    the package's MLPs say them (`hparams`); another model, when it starts with `nn.Flatten` and
    a `nn.Linear` and ends with a `nn.Linear`, by those layers."""
    hparams = getattr(model, "hparams", None)
    if isinstance(hparams, dict) and {"num_inputs", "num_outputs"} <= set(hparams):
        return hparams["num_inputs"], hparams["num_outputs"]
    layers = [m for m in model.modules() if not list(m.children())]
    inputs = classes = None
    if len(layers) >= 2 and isinstance(layers[0], nn.Flatten) and isinstance(layers[1], nn.Linear):
        # d2l's nn.LazyLinear takes any size until its first batch (its in_features 0)
        inputs = None if is_lazy(layers[1]) else layers[1].in_features
    if layers and isinstance(layers[-1], nn.Linear):
        classes = layers[-1].out_features
    return inputs, classes


def is_lazy(layer):
    """True for a layer whose input size its first batch sets (nn.LazyLinear, d2l's models)."""
    return isinstance(layer, nn.modules.lazy.LazyModuleMixin)


def device_of(model):
    """The device of the model's first parameter (the CPU for a model without any)."""
    if not isinstance(model, nn.Module):  # a class, a tensor, the data passed first
        what = f"the class {model.__name__}" if isinstance(model, type) else type(model).__name__
        raise ValueError(f"expected a model (an nn.Module) first, got {what}: e.g. "
                         "evaluate_accuracy(model, data.val_dataloader()), with model = MLP(...)")
    device = next(model.parameters(), torch.empty(0)).device
    if device.type == "meta":  # every reading would fail inside torch ("no data!")
        raise ValueError("the model's weights are on the 'meta' device, shapes without values: "
                         "give them values first, model.to_empty(device='cpu') then "
                         "model.load_state_dict(...)")
    return device


def dtype_of(model):
    """The dtype of the model's first parameter (float32 for a model without any)."""
    device_of(model)  # an nn.Module, or one line saying what came instead
    return next(model.parameters(), torch.empty(0)).dtype


def ensemble_accuracy(models, data_iter):
    """Accuracy of the models' averaged class probabilities (soft voting).

    Each model sees the same batches (read once: a shuffled loader will do); their softmax
    outputs are averaged before the argmax.
    """
    return float(ensemble_hits(models, data_iter).double().mean())


def correct(model, data_iter):
    """Um tensor booleano, um valor por exemplo de `data_iter`: True onde o modelo acerta."""
    hits = [scores.argmax(dim=1) == y for _, y, scores in outputs(model, in_order(data_iter))]
    return torch.cat(hits)  # none: `batches` said so


RANDOM_SAMPLERS = (torch.utils.data.RandomSampler, torch.utils.data.SubsetRandomSampler,
                   torch.utils.data.WeightedRandomSampler)


def in_order(data_iter):
    """`data_iter`, or a ValueError if it shuffles: each pass would give other images, and two
    readings paired image by image (McNemar) would pair different images."""
    sampler = getattr(data_iter, "sampler", None)
    if isinstance(getattr(sampler, "sampler", sampler), RANDOM_SAMPLERS):
        raise ValueError("this loader shuffles, so each pass reads the images in another order: "
                         "pair readings on data.val_dataloader() or data.test_dataloader()")
    return data_iter


def ensemble_correct(models, data_iter):
    """As `correct`, for the models' averaged class probabilities (ensemble_accuracy's rule)."""
    return ensemble_hits(models, in_order(data_iter))


def ensemble_hits(models, data_iter):
    """Where the models' averaged class probabilities are right, in `data_iter`'s order."""
    if isinstance(models, dict):  # the drawing pad's {name: model}
        raise ValueError("ensemble_accuracy takes a list of models, got a dict: pass "
                         "list(models.values())")
    if isinstance(models, nn.Module) or not hasattr(models, "__iter__"):
        raise ValueError("ensemble_accuracy takes a list of models, e.g. [model_a, model_b], got "
                         f"{type(models).__name__}")
    models = list(models)
    if not models:
        raise ValueError("ensemble_accuracy needs at least one model")
    for model in models:
        device_of(model)  # each an nn.Module, or one line saying what it is
    loaded = list(batches(data_iter))  # read once (none: `batches` said so), in one order
    probs = [torch.cat([torch.softmax(scores, dim=1) for _, _, scores in outputs(m, loaded)])
             for m in models]
    if len({p.shape[1] for p in probs}) > 1:
        raise ValueError("the models give different numbers of scores "
                         f"({', '.join(str(p.shape[1]) for p in probs)}): average models of the "
                         "same classes")
    return sum(probs).argmax(dim=1) == torch.cat([y.cpu() for _, y in loaded])


def mcnemar(right_a, right_b):
    """McNemar's exact test of two models read on the same examples.

    `right_a` and `right_b` say, example by example, where each model is right. Only the
    examples where exactly one of them is right tell them apart: `only_a` and `only_b` count
    them, and if the two models were equally accurate each such example would fall either way
    with probability 1/2. Returns (only_a, only_b, two-sided p-value of the binomial test)."""
    try:
        shapes = [tuple(np.shape(r.cpu() if torch.is_tensor(r) else r))
                  for r in (right_a, right_b)]
    except ValueError:  # NumPy's "inhomogeneous shape"
        raise ValueError("mcnemar needs two equally long, non-empty lists of right/wrong "
                         "answers, got lists of lists of different lengths") from None
    if shapes[0] != shapes[1] or not shapes[0] or 0 in shapes[0]:  # two scalars are no lists
        raise ValueError("mcnemar needs two equally long, non-empty lists of right/wrong "
                         f"answers, got shapes {shapes[0]} and {shapes[1]}")
    right_a, right_b = (_booleans(r) for r in (right_a, right_b))
    only_a, only_b = int((right_a & ~right_b).sum()), int((right_b & ~right_a).sum())
    if only_a + only_b == 0:
        return only_a, only_b, 1.0
    from scipy.stats import binomtest

    return only_a, only_b, float(binomtest(only_a, only_a + only_b, 0.5).pvalue)


def _booleans(right):
    """`right` as a flat bool tensor; ValueError for scores, labels or anything not True/False."""
    array = np.asarray(right.cpu() if torch.is_tensor(right) else right)
    if array.dtype != bool:
        raise ValueError(f"mcnemar takes right/wrong answers (booleans, as correct(model, data) "
                         f"gives), got dtype {array.dtype}")
    return torch.as_tensor(array).flatten()


def confident_errors(model, data_iter, max_errors):
    """The misclassified examples the model was surest of: (errors, confidences), surest first."""
    require("max_errors", max_errors)  # -1 would drop one error; 2.5, a slicing TypeError
    found = []
    for X, y, scores in outputs(model, data_iter):
        conf, y_hat = torch.softmax(scores, dim=1).max(dim=1)
        for i in torch.nonzero(y_hat != y).flatten().tolist():
            found.append((float(conf[i]), X[i], int(y[i]), int(y_hat[i])))
    found.sort(key=lambda item: -item[0])
    found = found[:max_errors]
    return [item[1:] for item in found], [item[0] for item in found]


def most_confused(cm, k=5):
    """The k largest off-diagonal cells of a confusion matrix: (count, true, predicted); only
    pairs that were confused at least once, so fewer than k where the model made fewer kinds of
    mistake."""
    require("k", k)  # a positive integer: -1 would drop the smallest pair
    cm = counts_table(cm, "most_confused(show_confusion_matrix(model, data), 5)")
    pairs = [(int(cm[t, p]), t, p) for t in range(len(cm)) for p in range(len(cm))
             if t != p and cm[t, p] > 0]  # a pair never confused is not a confusion
    return sorted(pairs, key=lambda item: (-item[0], item[1], item[2]))[:k]


def per_class_scores(cm):
    """Precision, recall, F1 and support per class, from a confusion matrix (rows: true, columns:
    predicted); 0 where a class was never predicted or never present, as scikit-learn's
    zero_division=0."""
    cm = counts_table(cm).astype(np.float64)
    hits, predicted, support = np.diag(cm), cm.sum(axis=0), cm.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, hits / predicted, 0.0)
        recall = np.where(support > 0, hits / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return precision, recall, f1, support.astype(np.int64)


def with_interval(accuracy, n=10_000, as_percent=False):
    """The accuracy and its 95 % interval on `n` examples, as the notebooks print them:
    '0,9441 (0,9394–0,9484)', or with `as_percent` '94,41% (93,94–94,84%)'."""
    require("as_percent", as_percent, BOOLEAN)  # "False" is a true string
    low, high = binomial_interval(accuracy, n)
    if as_percent:
        return f"{br(accuracy, '.2%')} ({br(100 * low, '.2f')}–{br(high, '.2%')})"
    return f"{br(accuracy)} ({br(low)}–{br(high)})"


def binomial_interval(accuracy, n, z=1.96):
    """Wilson's score interval (95 % with z = 1.96) for an accuracy measured on `n` examples:
    how far the same model's accuracy could land on another `n` images drawn like them."""
    require("n", n)
    require("z", z, Interval(whole=False, low=1, note="(the normal quantile, 1.96 for 95 %, "
                                                      "not the level 0.95)"))
    require("accuracy", accuracy, UNIT)
    n, accuracy = int(n), float(accuracy)  # NumPy's int32 would overflow in 4 n n
    centre = (accuracy + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(accuracy * (1 - accuracy) / n + z * z / (4 * n * n))
    # The interval always holds the accuracy measured; rounding must not push it out.
    return max(0.0, min(accuracy, centre - half)), min(1.0, max(accuracy, centre + half))
