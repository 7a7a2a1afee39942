"""Exemplos adversariais: mudanças pequenas nos pixels que mudam a resposta do modelo.

`fgsm` (Goodfellow, Shlens & Szegedy 2015) e `pgd` (Madry et al. 2018) atacam imagens em [0, 1],
com a perturbação medida em intensidade de pixel (norma L∞: nenhum pixel muda mais que `eps`).
`accuracy_under_attack` mede um modelo atacado; `smallest_flip` procura, por bisseção, um `eps`
pequeno que muda a resposta para uma imagem (o bloco de desenho). O modelo deve estar em modo de
avaliação.
"""
import contextlib
import inspect
import math

import numpy as np
import torch
from torch.nn import functional as F

from .checks import COUNT, PIXEL, POSITIVE, SEED, Interval, require
from .data import batch_loader
from .evaluation import (
    batches,
    check_ink,
    check_not_one_image,
    check_scores,
    device_of,
    dtype_of,
    fits,
    sizes_of,
)
from .training import has_batch_norm

LOSSES = ("cross_entropy", "margin")
L2_NORM = Interval(whole=False, low=0, note="(an L2 norm)")  # VAT's eps
# Notebook 4's grid: eps in pixel intensity (0 to 1), from nothing to about a third of the range.
EPSILONS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
PGD_EPSILONS, PGD_STEPS = (0.1, 0.3), 20


def fgsm(model, X, y, eps, loss="cross_entropy"):
    """As imagens `X` mais `eps` vezes o sinal do gradiente da perda em relação a elas."""
    check_attack(model, X, y, eps, loss)
    return (X + eps * loss_gradient(model, X, y, loss).sign()).clamp(0, 1)


def pgd(model, X, y, eps, steps=10, step_size=None, generator=None, loss="cross_entropy"):
    """`steps` passos do FGSM de tamanho `step_size`, cada um projetado de volta a no máximo
    `eps` de `X` (e a [0, 1]), a partir de um ponto sorteado nessa vizinhança."""
    check_attack(model, X, y, eps, loss, steps, step_size, generator)
    step_size = 2.5 * eps / steps if step_size is None else step_size  # caminho de 2,5 eps
    start = torch.rand(X.shape, generator=generator, dtype=X.dtype) * 2 - 1  # em [-1, 1]
    X_adv = (X + eps * start.to(X.device)).clamp(0, 1)
    for _ in range(steps):
        X_adv = X_adv + step_size * loss_gradient(model, X_adv, y, loss).sign()
        X_adv = X_adv.clamp(X - eps, X + eps).clamp(0, 1)  # a projeção
    return X_adv


def loss_gradient(model, X, y, loss="cross_entropy"):
    """O gradiente da perda em relação às imagens (não aos pesos), no device de X: a entropia
    cruzada, ou a margem (o maior escore errado menos o certo; Carlini & Wagner 2017)."""
    check_gradient(model, X, y, loss)  # imagens, rótulos e perda que o modelo lê, ou um erro
    device = device_of(model)
    X_grad, y = X.detach().to(device).requires_grad_(True), y.to(device)
    scores = check_scores(model(X_grad), y)  # uma linha de escores por imagem, ou um erro
    if loss == "margin":
        wrong = scores.masked_fill(F.one_hot(y, scores.shape[1]).bool(), -math.inf)
        value = (wrong.max(dim=1).values - scores.gather(1, y[:, None])[:, 0]).sum()
    else:
        # a soma: o gradiente de cada imagem não depende do tamanho do lote (o sinal é o mesmo)
        value = F.cross_entropy(scores, y, reduction="sum")
    gradient, = torch.autograd.grad(value, X_grad)
    return gradient.to(X.device)


def attacked_images(X_adv, X, dtype, eps):
    """`X_adv`, what an attack returned for `X`, if it is images the model reads (a tensor of
    X's shape, of the model's dtype, in [0, 1]) no pixel of which moved more than `eps`, else a
    ValueError in one line."""
    if not (isinstance(X_adv, torch.Tensor) and X_adv.shape == X.shape
            and torch.isfinite(X_adv).all() and X_adv.min() >= 0 and X_adv.max() <= 1):
        raise ValueError("the attack must return images of X's shape in [0, 1] (e.g. "
                         "(X + change).clamp(0, 1)), as a tensor")
    if X_adv.dtype != dtype:
        raise ValueError(f"the attack returned {X_adv.dtype} images for a {dtype} model: return "
                         f"X's dtype, e.g. X_adv.to(X.dtype)")
    # an accuracy "at eps" of images changed by more: eps read as grey levels, noise unclamped
    moved = float((X_adv - X.to(X_adv.device)).abs().max())
    if moved > eps + 2 * torch.finfo(X_adv.dtype).eps:  # rounding of X + eps * sign
        raise ValueError(f"the attack changed a pixel by {moved:.3g} ({moved - eps:.2g} more "
                         f"than eps={eps:g}): "
                         "keep each change within [-eps, eps], e.g. "
                         "X + (X_adv - X).clamp(-eps, eps)")
    return X_adv


def accuracy_under_attack(model, data_iter, attack, eps, **options):
    """A fração dos exemplos que o modelo ainda acerta depois de `attack(model, X, y, eps)`."""
    check_attack_call(attack, options)
    dtype = dtype_of(model)  # an nn.Module, or one line saying what it is
    if model.training:  # as fgsm and pgd refuse it, for an attack of one's own too
        raise ValueError("the model is in training mode: its noise, dropout and batch "
                         "statistics change its answers at every call; call model.eval() first")
    require("eps", eps, PIXEL)
    hits = []
    for X, y in batches(data_iter, model):
        X_adv = attacked_images(attacked(attack, model, X, y, eps, options), X, dtype, eps)
        with torch.no_grad():
            scores = check_scores(model(X_adv.to(device_of(model))), y)
        hits.append(scores.argmax(dim=1).cpu() == y.cpu())
    return torch.cat(hits).double().mean().item()  # none: `batches` said so


def attacked(attack, model, X, y, eps, options):
    """`attack(model, X, y, eps, **options)` on a copy of X (an attack that changes X in place
    would hide its change, and change the caller's); ValueError if it left the model in training
    mode, whose noise, dropout and batch statistics would change the answers read after it (its
    running statistics are put back as they were)."""
    kept = {name: value.clone() for name, value in model.named_buffers()}
    X_adv = attack(model, X.clone(), y, eps, **options)
    if model.training:
        model.eval()
        with torch.no_grad():
            for name, value in model.named_buffers():
                value.copy_(kept[name])
        name = getattr(attack, "__name__", "the attack")
        raise ValueError(f"{name} left the model in training mode (model.train() inside it?): "
                         "its answers would change at every call; leave the mode as it is "
                         "(gradients need no model.train())")
    return X_adv


def notebook4_measures(model, test, seed=0):
    """What notebook 4 measures of a model, on the test split: the accuracy under FGSM for each
    of EPSILONS, and under the PGD of each loss for each of PGD_EPSILONS (PGD_STEPS steps, the
    start drawn from a generator seeded with `seed`)."""
    require("seed", seed, SEED)
    batches = batch_loader(test, 1000)
    result = {"FGSM": {str(eps): accuracy_under_attack(model, batches, fgsm, eps)
                       for eps in EPSILONS}}
    for loss in LOSSES:
        generator = torch.Generator().manual_seed(seed)
        result[f"PGD {loss}"] = {str(eps): accuracy_under_attack(
            model, batches, pgd, eps, steps=PGD_STEPS, loss=loss, generator=generator)
            for eps in PGD_EPSILONS}
    return result


def check_attack_call(attack, options):
    """ValueError, before any image is read, unless `attack(model, X, y, eps, **options)` can
    be called (Python's TypeError would come from the first batch)."""
    if not callable(attack):
        raise ValueError(f"attack must be a function such as fgsm or pgd, got "
                         f"{type(attack).__name__}")
    name = getattr(attack, "__name__", "the attack")
    try:
        inspect.signature(attack).bind(None, None, None, None, **options)
    except TypeError as err:
        if options:  # fgsm's steps
            raise ValueError(f"{name} cannot take these options ({err})") from None
        raise ValueError(f"{name} must take (model, X, y, eps), as fgsm and pgd do "
                         f"({err})") from None
    except ValueError:  # a builtin or a C function: no signature to read
        pass


def smallest_flip(model, image, attack=fgsm, most=0.5, tolerance=0.002, **options):
    """(eps, imagem atacada, dígito antes, dígito depois) para um `eps` pequeno, até `most`, que
    muda o dígito mais provável de uma imagem 28 x 28, achado por bisseção (o ataque não é
    monótono em eps: não é garantido que seja o menor); None se nem `most` o muda."""
    check_attack_call(attack, options)
    try:
        X = (image.detach().cpu() if isinstance(image, torch.Tensor)
             else torch.as_tensor(np.asarray(image, dtype=float))).to(dtype_of(model))
    except (TypeError, ValueError) as err:  # a file name, ragged lists, an object
        raise ValueError(f"expected one 28 x 28 image as numbers, as to_mnist returns (to_mnist("
                         f"image) turns a photo into one), got {type(image).__name__}") from err
    if X.numel() != 28 * 28:
        raise ValueError(f"expected one 28 x 28 image, as to_mnist returns, got shape "
                         f"{tuple(X.shape)}")
    X = X.reshape(1, 1, 28, 28)
    require("most", most, PIXEL)  # before check_attack, which would call it eps
    check_attack(model, X, torch.zeros(1, dtype=torch.long), most)  # y: read below, once checked
    require("tolerance", tolerance, POSITIVE)  # 0 would bisect for ever
    if tolerance >= most:  # no bisection: `most` itself would come back, as if the smallest
        raise ValueError(f"tolerance={tolerance:g} must be below most={most:g}: the search "
                         "halves [0, most] until it is narrower than tolerance")
    with torch.no_grad():
        scores = check_scores(model(X.to(device_of(model))), torch.zeros(1, dtype=torch.long))
    y = scores.argmax(dim=1).cpu()
    before = int(y)

    def answer(eps):
        X_adv = attacked_images(attacked(attack, model, X, y, eps, options), X, X.dtype, eps)
        with torch.no_grad():
            return int(check_scores(model(X_adv.to(device_of(model))), y).argmax()), X_adv

    after, X_adv = answer(most)
    if after == before:
        return None
    low, high, found = 0.0, most, (after, X_adv)
    while high - low > tolerance:  # o FGSM não é monótono em eps: a bisseção acha *um* eps
        middle = (low + high) / 2
        if not low < middle < high:  # abaixo do espaçamento dos floats o meio não sai do lugar
            break
        after, X_adv = answer(middle)
        if after == before:
            low = middle
        else:
            high, found = middle, (after, X_adv)
    return high, found[1][0, 0], before, found[0]


def virtual_adversarial_loss(model, X, eps, xi=1e-3, iterations=1, generator=None):
    """Treino adversarial virtual (Miyato et al. 2019): a divergência KL entre as respostas do
    modelo para `X` e para `X + r`, com r de norma L2 `eps` na direção que mais as muda.

    p, a resposta para `X`, vem de uma passada limpa, tratada como constante; a direção, de
    `vat_direction`. Nenhum rótulo é usado. Um modelo com `vat_passes()` (o RegularizedMLP)
    faz todas essas passadas dentro dele: sem ruído nem dropout, e sem mexer nas estatísticas
    guardadas da normalização em lote (como o `update_batch_stats=False` dos autores).
    """
    require("eps", eps, L2_NORM)
    check_vat(model, X, generator)  # imagens float em [0, 1], do tipo dos pesos, como as do MNIST
    with getattr(model, "vat_passes", contextlib.nullcontext)():
        with torch.no_grad():
            p = torch.softmax(check_scores(model(X)), dim=1)  # escores por imagem, ou um erro
        d = vat_direction(model, X, xi, iterations, p=p, generator=generator)
        return _divergence(model, X, p, eps * d)


def vat_direction(model, X, xi=1e-3, iterations=1, p=None, generator=None):
    """A direção (norma 1 por imagem) em que a resposta do modelo perto de `X` mais muda:
    `iterations` passos do método da potência a partir de um sorteio, cada um o gradiente da
    divergência KL num ponto a `xi` de `X`. Em float32, um `xi` pequeno demais devolve
    arredondamento, não a direção (docs/vat.md, `results/vat_xi.json`)."""
    require("xi", xi, POSITIVE)
    require("iterations", iterations)
    check_vat(model, X, generator)  # imagens float em [0, 1], do tipo dos pesos, como as do MNIST
    if p is None:
        with torch.no_grad():
            p = torch.softmax(check_scores(model(X)), dim=1)  # escores por imagem, ou um erro
    # sorteado em float32 qualquer que seja o tipo de X: uma cópia float64 parte do mesmo ponto
    d = torch.randn(X.shape, generator=generator).to(device=X.device, dtype=X.dtype)
    for _ in range(iterations):
        d = (xi * unit(d)).requires_grad_(True)
        d, = torch.autograd.grad(_divergence(model, X, p, d), d)
    return unit(d)


def _divergence(model, X, p, r):
    """KL(p ‖ resposta do modelo para X + r), a média das imagens do lote."""
    return F.kl_div(F.log_softmax(model(X + r), dim=1), p, reduction="batchmean")


def _described(value):
    """What `value` is, for a message: 'ndarray of float32 (200, 1, 28, 28)', 'list'."""
    if not hasattr(value, "shape"):
        return type(value).__name__
    return f"{type(value).__name__} of {value.dtype} {tuple(value.shape)}"


def unit(d):
    """Cada imagem de `d` dividida pela sua norma L2 (sobre os 784 pixels)."""
    return F.normalize(d.flatten(1), dim=1).view_as(d)


def check_attack(model, X, y, eps, loss="cross_entropy", steps=1, step_size=None,
                 generator=None):
    """ValueError, em uma linha, para um ataque que não mediria o que promete."""
    check_gradient(model, X, y, loss)
    check_ink(X)  # dark ink on light paper, pixels divided by 255 twice: nothing the model read
    check_generator(generator)
    if model.training:
        raise ValueError("the model is in training mode: its noise, dropout and batch "
                         "statistics change its answers at every call; call model.eval() first")
    require("eps", eps, PIXEL)
    require("steps", steps, COUNT)
    if step_size is not None:
        require("step_size", step_size, POSITIVE)


def check_gradient(model, X, y, loss="cross_entropy"):
    """ValueError, em uma linha, para imagens, rótulos ou uma perda que `loss_gradient` não
    leria como promete."""
    check_images(model, X)
    check_not_one_image(X, y)
    if (isinstance(y, int) or isinstance(y, torch.Tensor) and y.dim() == 0) and len(X) == 1:
        raise ValueError("got one label, not a batch of them: one image and its label? pass a "
                         "batch of one, X[i:i+1] and y[i:i+1]")
    if not (isinstance(y, torch.Tensor) and y.dtype == torch.long and y.shape == X.shape[:1]):
        raise ValueError(f"the labels must be a torch.long tensor of one label per image, got "
                         f"{_described(y)} for {len(X)} images: "
                         "torch.as_tensor(y, dtype=torch.long)")
    if y.min() < 0:
        raise ValueError(f"the labels must be digits from 0, got {int(y.min())}")
    fits((X, y), model)  # the model's image size and its classes, where they can be told
    if loss not in LOSSES:
        raise ValueError(f"loss={loss!r} is not supported; use 'cross_entropy' or 'margin'")


def check_vat(model, X, generator=None):
    """ValueError, em uma linha, para imagens ou um gerador que o VAT não usaria como promete."""
    check_images(model, X)
    inputs, _ = sizes_of(model)
    if X.dim() == 2 and inputs is not None and X.numel() == inputs != X.shape[1]:
        raise ValueError(f"X looks like one image of shape {tuple(X.shape)}, not a batch: pass "
                         "X[None], a batch of one")
    fits((X, torch.zeros(len(X), dtype=torch.long)), model)  # o tamanho de imagem do modelo
    check_generator(generator)
    if model.training and len(X) < 2 and has_batch_norm(model):
        raise ValueError("one image in training mode: batch normalisation needs two or more "
                         "per batch (or call model.eval() first)")


def check_generator(generator):
    """ValueError, em uma linha, para um `generator` que não seja None nem um torch.Generator."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, got {type(generator).__name__}: "
                         "torch.Generator().manual_seed(n)")


def check_images(model, X):
    """ValueError, em uma linha, se `X` não for um lote de imagens que o modelo lê: um tensor
    não vazio, de imagens (uma dimensão a mais que os pixels), do tipo dos pesos, em [0, 1]."""
    dtype = dtype_of(model)
    if not (isinstance(X, torch.Tensor) and X.dtype == dtype and X.numel() and X.dim() >= 2):
        raise ValueError(f"the images must be a non-empty {dtype} tensor, one image per row, as "
                         f"MNIST's loaders give them, got {_described(X)}: "
                         f"torch.as_tensor(X, dtype={dtype})"
                         + (" / 255 (its 0-255 pixels)" if getattr(X, "dtype", None) in (
                             torch.uint8, np.uint8) else ""))
    if not (X.min() >= 0 and X.max() <= 1):
        byte = X.min() >= 0 and 1 < X.max() <= 255 and bool((X.round() == X).all())
        raise ValueError(f"the images must be in [0, 1], as MNIST's loaders give them; these "
                         f"go from {float(X.min()):.3g} to {float(X.max()):.3g}"
                         + (" (grey levels 0 to 255: divide them by 255, or read a photo "
                            "with to_mnist)" if byte else ""))
