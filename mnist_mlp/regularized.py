"""Model F's MLP: the original's layers with batch normalisation, Gaussian noise, dropout,
weight decay, a one-cycle learning rate, label smoothing and clean statistics, and adversarial
and virtual adversarial training, each off by default."""
import contextlib

import torch
from torch import nn
from torch.nn import functional as F

from .attacks import loss_gradient, virtual_adversarial_loss
from .checks import NONNEGATIVE, OPTIMIZERS, SCHEDULES, check_arguments, require
from .evaluation import fits
from .model import ACTIVATIONS, MLP


def check_statistics_batch(model, X):
    """ValueError, in one line, for images the clean statistics must not be computed from:
    0-255 pixels would set variances a hundred thousand times too large, silently."""
    if not (isinstance(X, torch.Tensor) and X.is_floating_point() and len(X)
            and torch.isfinite(X).all() and X.min() >= 0 and X.max() <= 1):
        raise ValueError("recompute_statistics takes batches of images in [0, 1], as MNIST's "
                         "loaders give them: e.g. data.train_dataloader()")
    fits((X, torch.zeros(len(X), dtype=torch.long)), model)  # dtype and image size


class RegularizedMLP(MLP):
    """`MLP` with model F's options, each off by default (and then it is `MLP`, layer for layer):
    Flatten [-> noise] -> (Linear [-> BatchNorm] [-> noise] -> activation [-> Dropout]) per
    hidden size -> Linear, trained by SGD, Adam or AdamW.

    With `clean_statistics`, `mnist_mlp.experiment.fit` ends training with
    `recompute_statistics` over the training images (call it yourself after a bare d2l.Trainer);
    without batch_norm there is nothing to recompute.
    """

    def __init__(self, num_outputs, hidden_sizes, lr, af="sigmoid", optimizer="sgd",
                 batch_norm=False, noise=0.0, dropout=0.0, weight_decay=0.0,
                 schedule="constant", label_smoothing=0.0, clean_statistics=False,
                 adversarial=0.0, vat=0.0, vat_xi=1e-3, vat_iterations=1, num_inputs=28 * 28):
        check_arguments({"optimizer": optimizer, "batch_norm": batch_norm, "noise": noise,
                         "dropout": dropout, "weight_decay": weight_decay,
                         "schedule": schedule, "label_smoothing": label_smoothing,
                         "clean_statistics": clean_statistics,
                         "adversarial": adversarial, "vat": vat, "vat_xi": vat_xi,
                         "vat_iterations": vat_iterations},
                        optimizer=OPTIMIZERS, schedule=SCHEDULES)
        # Read by hidden_layer while MLP builds the layers (plain values: no Module needed yet).
        self.batch_norm, self.noise, self.dropout = batch_norm, noise, dropout
        super().__init__(num_outputs, hidden_sizes, lr, af, num_inputs)
        self.save_hyperparameters()  # every option, for Config, the board and checkpoints
        if noise:
            self.net.insert(1, GaussianNoise(noise))  # on the pixels, right after Flatten
        if label_smoothing:
            self.board.loss_label = "perda (entropia cruzada suavizada)"

    def hidden_layer(self, width, size):
        """A camada oculta de `MLP`, com as opções que estão ligadas."""
        if self.batch_norm:  # o deslocamento da normalização faz o papel do viés
            layers = [nn.Linear(width, size, bias=False), nn.BatchNorm1d(size)]
        else:
            layers = [nn.Linear(width, size)]
        if self.noise:
            layers.append(GaussianNoise(self.noise))
        layers.append(ACTIVATIONS[self.af]())
        if self.dropout:
            layers.append(nn.Dropout(self.dropout))
        return layers

    @torch.no_grad()
    def recompute_statistics(self, data_iter):
        """Batch normalisation's statistics from one pass over `data_iter` without noise or
        dropout: the mean of the batch means and of the unbiased batch variances.

        In training, the statistics follow noisy activations, whose variance at test time, with
        no noise, is smaller. Rasmus et al.'s code computes them this way, from the clean
        training images, before it tests (`FinalTestMonitoring` in CuriousAI/ladder).
        """
        if hasattr(data_iter, "train_dataloader") or isinstance(
                data_iter, (torch.utils.data.Dataset, torch.Tensor)) or not hasattr(
                data_iter, "__iter__"):  # the object, a split, a tensor, data.train_dataloader
            raise ValueError(f"recompute_statistics takes batches, got {type(data_iter).__name__}:"
                             " pass e.g. data.train_dataloader()")
        norms = [m for m in self.modules() if isinstance(m, nn.BatchNorm1d)]
        was_training, momenta = self.training, [m.momentum for m in norms]
        saved = [{k: v.clone() for k, v in m.state_dict().items()} for m in norms]
        device = next(self.parameters()).device
        try:
            self.eval()  # noise and dropout off
            for m in norms:
                m.reset_running_stats()
                m.momentum = None  # a cumulative average of the batches' statistics
                m.train()
            seen = lone = 0
            for X, *_ in data_iter:
                check_statistics_batch(self, X)
                if len(X) == 1:  # a lone last image (training left it out too): no variance
                    lone += 1
                    continue
                self(X.to(device))
                seen += len(X)
            if norms and not seen:  # reset, with nothing to average: means 0 and variances 1
                raise ValueError(
                    ("recompute_statistics got batches of one image only, which have no "
                     "variance: use batches of 2 or more" if lone else
                     "recompute_statistics got no images (an empty or used-up loader?); pass "
                     "e.g. data.train_dataloader()") + "; the statistics are left as they were")
        except BaseException:
            for m, state in zip(norms, saved):
                m.load_state_dict(state)  # an interrupted pass leaves the statistics it found
            raise
        finally:
            for m, momentum in zip(norms, momenta):
                m.momentum = momentum
            self.train(was_training)

    @contextlib.contextmanager
    def vat_passes(self):
        """The passes of virtual adversarial training: no noise or dropout drawn, batch norm on
        the batch's statistics as in training but its running statistics left untouched (the
        reference implementation's update_batch_stats=False)."""
        drawers = [m for m in self.modules() if isinstance(m, (GaussianNoise, nn.Dropout))]
        norms = [m for m in self.modules() if isinstance(m, nn.BatchNorm1d)]
        modes, momenta = [m.training for m in drawers], [m.momentum for m in norms]
        counts = [m.num_batches_tracked.clone() for m in norms]
        try:
            for m in drawers:
                m.eval()
            for m in norms:
                m.momentum = 0.0  # running = 1 * running + 0 * batch: unchanged, to the bit
            yield self
        finally:
            for m, mode in zip(drawers, modes):
                m.train(mode)
            for m, momentum, count in zip(norms, momenta, counts):
                m.momentum = momentum
                m.num_batches_tracked.copy_(count)

    def penalty(self, batch, Y_hat):
        """Os termos adversariais somados à perda de treino (None se nenhum está ligado)."""
        X, y = batch
        terms = []
        if self.adversarial:  # a perda nas imagens do FGSM (Goodfellow et al. 2015)
            X_adv = X + self.adversarial * loss_gradient(self, X, y).sign()
            terms.append(self.loss(self(X_adv.clamp(0, 1)), y))
        if self.vat:  # treino adversarial virtual (Miyato et al. 2019): não usa os rótulos
            terms.append(virtual_adversarial_loss(self, X, self.vat, self.vat_xi,
                                                  self.vat_iterations))
        return sum(terms) if terms else None

    def loss(self, Y_hat, Y, averaged=True):
        smoothing = self.label_smoothing if self.training else 0.0  # validation: plain loss
        return F.cross_entropy(Y_hat, Y, reduction="mean" if averaged else "none",
                               label_smoothing=smoothing)

    def configure_optimizers(self):
        """SGD, Adam or AdamW with weight decay; with schedule='onecycle', lr is the peak.

        d2l's Trainer only calls the optimizer's `zero_grad()` and `step()`: the one-cycle
        scheduler (`self.scheduler`, None without one) advances in a hook after every step.
        Checkpoints keep both `optimizer.state_dict()` and `model.scheduler.state_dict()`.
        """
        if self.optimizer == "sgd":
            optim = torch.optim.SGD(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        else:
            Adam = torch.optim.Adam if self.optimizer == "adam" else torch.optim.AdamW
            optim = Adam(self.parameters(), lr=self.lr, weight_decay=self.weight_decay,
                         fused=True)
        self.scheduler = scheduler = None
        if self.schedule == "onecycle":
            if getattr(self, "trainer", None) is None:
                raise ValueError("schedule='onecycle' needs the d2l.Trainer's epochs and batches: "
                                 "call trainer.fit(model, data), which configures the optimizer")
            steps = self.trainer.max_epochs * self.trainer.num_train_batches
            self.scheduler = scheduler = torch.optim.lr_scheduler.OneCycleLR(
                optim, max_lr=self.lr, total_steps=steps)
            optim.register_step_post_hook(lambda optimizer, args, kwargs: scheduler.step())
        return optim


class GaussianNoise(nn.Module):
    """Adds N(0, std²) noise in training, nothing in evaluation: a regulariser, as dropout.

    Rasmus et al. 2015 (Ladder networks) train their supervised baseline MLP this way, with
    noise on the inputs and on every batch-normalised hidden layer.
    """

    def __init__(self, std):
        super().__init__()
        require("noise standard deviation", std, NONNEGATIVE)
        self.std = std

    def forward(self, X):
        """X mais std vezes um sorteio novo de N(0, 1) por coordenada, só no treino."""
        if not self.training or self.std == 0:
            return X
        # sorteios do gerador semeado do torch; nunca no lugar (quem chama pode reusar X)
        return torch.add(X, torch.randn_like(X), alpha=self.std)

    def extra_repr(self):
        return f"std={self.std}"
