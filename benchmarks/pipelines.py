"""The training pipelines `make bench` times, one epoch at a time.

Each has `epoch(index)` and `accuracy()` (on MNIST's 10,000 test images, the original's
validation set). All train on the 60,000 training images with a preset's hyperparameters.
`python -m benchmarks.pipelines MODEL PIPELINE EPOCHS` serves one of them to benchmarks/bench.py.
"""
import math
import sys
import time
import warnings

import numpy as np
import torch
import torchvision
from d2l import torch as d2l
from torch import nn
from torch.nn import functional as F
from torchvision import transforms

from mnist_mlp import MNIST, evaluate_accuracy
from mnist_mlp.cpu import flush_denormals
from mnist_mlp.data import batch_loader, to_float
from mnist_mlp.download import default_root
from mnist_mlp.experiment import set_seed
from mnist_mlp.presets import PRESETS

# The original pipeline keeps d2l's 4 workers on purpose; torch warns that 2 cores suit fewer.
warnings.filterwarnings("ignore", message="This DataLoader will create 4 worker processes")
TRAIN = 60_000


class OriginalMNIST(d2l.DataModule):
    """The seed notebook's data module: PIL -> Resize -> ToTensor for every image, every epoch."""

    def __init__(self, root, batch_size, resize=(28, 28)):
        super().__init__(root=root)  # d2l's default num_workers=4
        self.batch_size = batch_size
        trans = transforms.Compose([transforms.Resize(resize), transforms.ToTensor()])
        self.train = torchvision.datasets.MNIST(root=root, train=True, transform=trans)
        self.val = torchvision.datasets.MNIST(root=root, train=False, transform=trans)

    def get_dataloader(self, train):
        data = self.train if train else self.val
        return torch.utils.data.DataLoader(data, self.batch_size, shuffle=train,
                                           num_workers=self.num_workers)


class OriginalMLP(d2l.Classifier):
    """The seed notebook's model: LazyLinear layers, Adam set up as its cell 13 did."""

    def __init__(self, num_outputs, hidden_sizes, lr):
        super().__init__()
        self.save_hyperparameters()
        layers = [nn.Flatten()]
        for size in hidden_sizes:
            layers += [nn.LazyLinear(size), nn.ReLU()]
        self.net = nn.Sequential(*layers, nn.LazyLinear(num_outputs))

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)


class D2lRun:
    """d2l's own Trainer, driven one fit_epoch() at a time so that runs can alternate."""

    def __init__(self, model, data, epochs):
        model.board.display = False  # no notebook here; drawing is not what is measured
        self.trainer, self.data = d2l.Trainer(max_epochs=epochs), data
        self.trainer.prepare_data(data)
        self.trainer.prepare_model(model)
        if isinstance(model, OriginalMLP):  # materialise the lazy layers before the optimizer
            model(next(iter(self.trainer.train_dataloader))[0])
        self.trainer.optim = model.configure_optimizers()
        self.trainer.train_batch_idx = self.trainer.val_batch_idx = 0
        self.model = model

    def epoch(self, index):
        self.trainer.epoch = index
        self.trainer.fit_epoch()

    def accuracy(self):
        loader = self.data.val_dataloader()  # None when the run has no validation (F)
        return evaluate_accuracy(self.model, loader if loader is not None
                                 else self.data.test_dataloader())


def flat_split(split):
    """(X, y) of a split as float32 [N, 784] and int64 labels, converted once."""
    return to_float(split.pixels).flatten(1), split.targets


class HandRun:
    """A plain PyTorch loop, written as one would by hand: no validation, no plotting,
    torch's own fused Adam."""

    def __init__(self, preset, data, epochs):
        p = preset
        # The package's layers (nn.Sequential), so that only the loop differs from `package`.
        self.net = p.model().net
        Adam = torch.optim.AdamW if p.optimizer == "adamw" else torch.optim.Adam
        self.optim = Adam(self.net.parameters(), lr=p.lr, weight_decay=p.weight_decay, fused=True)
        self.smoothing = p.label_smoothing
        # The package's batches (one DataLoader, one indexing per batch): only the loop differs.
        self.loader = batch_loader(data.train, p.batch_size, shuffle=True)
        self.X_val, self.y_val = flat_split(data.val)
        steps = epochs * len(self.loader)
        self.schedule = (torch.optim.lr_scheduler.OneCycleLR(self.optim, p.lr, total_steps=steps)
                         if p.schedule == "onecycle" else None)

    def epoch(self, index):
        for X, y in self.loader:
            loss = F.cross_entropy(self.net(X), y, label_smoothing=self.smoothing)
            self.optim.zero_grad(set_to_none=True)
            loss.backward()
            self.optim.step()
            if self.schedule:
                self.schedule.step()

    def accuracy(self):
        self.net.eval()
        with torch.no_grad():
            hits = (self.net(self.X_val).argmax(1) == self.y_val).sum().item()
        self.net.train()
        return hits / len(self.y_val)


class SklearnRun:
    """scikit-learn's MLPClassifier, same layers, solver and batch size (partial_fit)."""

    def __init__(self, preset, data, epochs):
        from sklearn.neural_network import MLPClassifier
        self.X, self.y = (a.numpy() for a in flat_split(data.train))
        self.X_val, self.y_val = (a.numpy() for a in flat_split(data.val))
        self.model = MLPClassifier(hidden_layer_sizes=preset.hidden_sizes,
                                   solver="adam", batch_size=preset.batch_size,
                                   learning_rate_init=preset.lr, random_state=0)

    def epoch(self, index):
        self.model.partial_fit(self.X, self.y, classes=np.arange(10))

    def accuracy(self):
        return float(self.model.score(self.X_val, self.y_val))


class GemmFloor:
    """Only the float32 matrix products of one epoch, at the real shapes: forward, weight
    gradients, input gradients (none for the first layer). No training happens."""

    def __init__(self, preset, data, epochs):
        self.batch, widths = preset.batch_size, [784, *preset.hidden_sizes, 10]
        self.steps = math.ceil(TRAIN / self.batch)
        B = self.batch
        self.products = []
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            X, W, dY = torch.randn(B, n_in), torch.randn(n_out, n_in), torch.randn(B, n_out)
            self.products.append((X, W.T, torch.empty(B, n_out)))            # Y = X W^T
            self.products.append((dY.T, X, torch.empty(n_out, n_in)))        # dW = dY^T X
            if i:
                self.products.append((dY, W, torch.empty(B, n_in)))          # dX = dY W

    def flops(self):
        return self.steps * sum(2 * a.shape[0] * a.shape[1] * b.shape[1]
                                for a, b, _ in self.products)

    def epoch(self, index):
        for _ in range(self.steps):
            for a, b, out in self.products:
                torch.mm(a, b, out=out)

    def accuracy(self):
        return None


class NoiseDraws:
    """Only the standard normals of one epoch of F's Gaussian noise, drawn as its layers draw
    them (`torch.randn_like`, torch's seeded generator): the part of F's step that the GEMM
    floor leaves out and that i.i.d. noise cannot avoid. No training happens."""

    def __init__(self, preset, data, epochs):
        self.steps = math.ceil(TRAIN / preset.batch_size)
        # One tensor shaped like each noisy layer's output: the pixels, then every hidden layer.
        self.outputs = [torch.empty(preset.batch_size, n) for n in (784, *preset.hidden_sizes)]

    def epoch(self, index):
        for _ in range(self.steps):
            for output in self.outputs:
                torch.randn_like(output)

    def accuracy(self):
        return None


def make_run(name, model, data, epochs):
    """A fresh pipeline `name` for preset `model` ('E' or 'F'), seeded alike."""
    preset = PRESETS[model]
    set_seed(0)
    if name == "original":
        return D2lRun(OriginalMLP(10, preset.hidden_sizes, preset.lr),
                      OriginalMNIST(str(default_root()), preset.batch_size), epochs)
    if name == "package":  # as the notebooks train them: E validates every epoch, F's final
        # training (notebook 2) has no validation split
        return D2lRun(preset.model(),
                      MNIST(batch_size=preset.batch_size, validate=model == "E"), epochs)
    if name == "jax":  # JAX is optional (requirements-bench.txt): imported only when asked for
        from benchmarks.jax_peer import JaxRun
        return JaxRun(preset, flat_split(data.train), flat_split(data.val), epochs)
    runs = {"hand": HandRun, "sklearn": SklearnRun, "floor": GemmFloor, "noise": NoiseDraws}
    return runs[name](preset, data, epochs)


def serve(model, name, epochs):
    """Run one pipeline in this process, an epoch per 'epoch' line read from stdin.

    `make bench` starts one such process per pipeline, so that the thread pools of torch,
    OpenBLAS (scikit-learn) and XLA (JAX) never share a process, and no loader forks a
    process that already runs JAX's threads. Replies with the epoch's seconds, then the
    accuracy to 'accuracy'.
    """
    # Before any parallel operation (loading MNIST is one), so that torch's threads inherit it;
    # every pipeline alike, though the original notebook had no such switch.
    flush_denormals()
    run = make_run(name, model, MNIST(batch_size=64), epochs)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.startswith("epoch"):
            start = time.perf_counter()
            run.epoch(int(line.split()[1]))
            print(time.perf_counter() - start, flush=True)
        elif line.startswith("accuracy"):
            print(run.accuracy(), flush=True)
        elif line.startswith("flops"):
            print(run.flops(), flush=True)


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2], int(sys.argv[3]))
