"""Model E (784-256-256-10, ReLU, Adam 1e-3, batch 64) trained four ways, epochs alternating.

1. original: the seed notebook's pipeline rebuilt as it was: torchvision MNIST with Resize +
   ToTensor per image, a DataLoader with d2l's 4 workers, LazyLinear layers, plain Adam;
2. package:  mnist_mlp's MNIST + MLP as the notebook uses them (fused Adam, denormals flushed);
3. sklearn:  scikit-learn's MLPClassifier, same layers, solver and batch size (partial_fit);
4. floor:    6 x parameters x 60,000 FLOPs per epoch at this machine's float32 matmul rate.

Epochs of 1-3 are interleaved, so that a noisy machine slows all of them alike; seconds per
epoch are medians after one warm-up epoch; ratios are against (2). Peak memory comes from a
fresh subprocess per pipeline. Writes build/bench.json and build/bench.png.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torchvision
from d2l import torch as d2l
from torch import nn
from torchvision import transforms

from mnist_mlp import MLP, MNIST, evaluate_accuracy
from mnist_mlp.experiment import environment, flush_denormals, set_seed

# The original pipeline keeps d2l's 4 workers on purpose; torch warns that 2 cores suit fewer.
warnings.filterwarnings("ignore", message="This DataLoader will create 4 worker processes")

HIDDEN, LR, BATCH = [256, 256], 1e-3, 64
PIPELINES = ("original", "package", "sklearn")


class OriginalMNIST(d2l.DataModule):
    """The seed notebook's data module: PIL -> Resize -> ToTensor for every image, every epoch."""

    def __init__(self, root, batch_size=BATCH, resize=(28, 28)):
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

    def __init__(self, model, data):
        model.board.display = False  # no notebook here; drawing is not what is measured
        self.trainer, self.data = d2l.Trainer(max_epochs=1), data
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
        return evaluate_accuracy(self.model, self.data.val_dataloader())


class SklearnRun:
    def __init__(self, data):
        from sklearn.neural_network import MLPClassifier
        flat = lambda split: (split.data.reshape(len(split), -1).numpy() / np.float32(255))
        self.X, self.y = flat(data.train).astype(np.float32), data.train.targets.numpy()
        self.X_val, self.y_val = flat(data.val).astype(np.float32), data.val.targets.numpy()
        self.model = MLPClassifier(hidden_layer_sizes=tuple(HIDDEN), solver="adam",
                                   batch_size=BATCH, learning_rate_init=LR, random_state=0)

    def epoch(self, index):
        self.model.partial_fit(self.X, self.y, classes=np.arange(10))

    def accuracy(self):
        return float(self.model.score(self.X_val, self.y_val))


def make_run(name, data):
    set_seed(0)
    if name == "original":
        return D2lRun(OriginalMLP(10, HIDDEN, LR), OriginalMNIST(data.root))
    if name == "package":
        flush_denormals()
        return D2lRun(MLP(10, HIDDEN, LR, af="relu", optimizer="adam"), data)
    return SklearnRun(data)


def matmul_gflops(n=2048, repeats=10):
    """This machine's float32 matmul rate with torch's current thread count."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n ** 3 * repeats / (time.perf_counter() - start) / 1e9


def rss_mb(field):
    """VmRSS (now) or VmHWM (peak) of this process, in MB, from /proc (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not found in /proc/self/status")


def peak_memory_mb(name, epochs=1):
    """Peak resident memory of a fresh process training `name`: (total, above the imports).

    Importing the CUDA build of torch takes over a gigabyte here, alike for every pipeline,
    so the peak is reset (/proc/self/clear_refs) once the imports are done and the second
    figure is what building and training the pipeline adds (loader workers not included).
    """
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench;"
            "open('/proc/self/clear_refs', 'w').write('5'); base = bench.rss_mb('VmRSS');"
            f"run = bench.make_run({name!r}, bench.MNIST(batch_size=64));"
            f"[run.epoch(i) for i in range({epochs})]; print(bench.rss_mb('VmHWM'), base)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    peak, base = map(float, out.split()[-2:])
    return round(peak, 1), round(peak - base, 1)


def profile_package_epoch(data, rows=12):
    """Where one epoch of the package pipeline spends its time, by torch operator."""
    from torch.profiler import ProfilerActivity, profile
    run = make_run("package", data)
    run.epoch(0)  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        run.epoch(1)
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)


def dataset_mb(data):
    """Bytes held by the package's MNIST splits (shared storages counted once)."""
    storages = {}
    for split in (data.train, data.val):
        for tensor in (split.data, split.pixels, split.targets):
            storages[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
    return sum(storages.values()) / 2 ** 20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10, help="epochs per pipeline (default 10)")
    parser.add_argument("--quick", action="store_true", help="3 epochs, no memory runs")
    parser.add_argument("--out", type=Path, default=Path("build"), help="folder for the results")
    parser.add_argument("--profile", action="store_true",
                        help="only profile one epoch of the package pipeline by operator")
    args = parser.parse_args(argv)
    if args.profile:
        print(profile_package_epoch(MNIST(batch_size=BATCH)))
        return 0
    epochs = 3 if args.quick else args.epochs
    if epochs < 2:
        parser.error("--epochs must be at least 2 (one warm-up epoch, then measured ones)")

    data = MNIST(batch_size=BATCH)
    runs = {name: make_run(name, data) for name in PIPELINES}
    seconds = {name: [] for name in PIPELINES}
    for epoch in range(epochs):
        for name, run in runs.items():
            start = time.perf_counter()
            run.epoch(epoch)
            seconds[name].append(time.perf_counter() - start)
        print(f"epoch {epoch + 1}/{epochs}: " + ", ".join(
            f"{name} {seconds[name][-1]:.2f} s" for name in PIPELINES), flush=True)

    params = sum(p.numel() for p in runs["package"].model.parameters())
    gflops = matmul_gflops()
    rows = {name: {"seconds_per_epoch": statistics.median(seconds[name][1:]),
                   "epoch_seconds": [round(s, 3) for s in seconds[name]],
                   "val_accuracy": runs[name].accuracy()} for name in PIPELINES}
    rows["floor"] = {"seconds_per_epoch": 6 * params * 60000 / (gflops * 1e9),
                     "val_accuracy": None}
    if not args.quick:
        for name in PIPELINES:
            rows[name]["peak_memory_mb"], rows[name]["memory_above_imports_mb"] = \
                peak_memory_mb(name)
    base = rows["package"]["seconds_per_epoch"]
    for row in rows.values():
        row["ratio_to_package"] = row["seconds_per_epoch"] / base

    report = {"model": "784-256-256-10 ReLU, Adam lr 1e-3, batch 64", "epochs": epochs,
              "parameters": params, "matmul_gflops": round(gflops, 1),
              "package_dataset_mb": round(dataset_mb(data), 1),
              "float32_copy_mb": round((60000 + 10000) * 784 * 4 / 2 ** 20, 1),
              "pipelines": rows, "environment": environment()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    plot(rows, args.out / "bench.png")
    print(f"wrote {args.out / 'bench.json'} and {args.out / 'bench.png'}")
    return 0


def table(report):
    lines = [f"model E, {report['epochs']} epochs per pipeline, median s/epoch after warm-up; "
             f"{report['environment']['cpu']}, {report['environment']['torch_threads']} threads",
             "| pipeline | s/epoch | × package | val accuracy | peak memory (above imports) |",
             "|---|---|---|---|---|"]
    for name, row in report["pipelines"].items():
        acc = "-" if row["val_accuracy"] is None else f"{row['val_accuracy']:.4f}"
        mem = (f"{row['peak_memory_mb']:.0f} MB ({row['memory_above_imports_mb']:.0f} MB)"
               if "peak_memory_mb" in row else "-")
        lines.append(f"| {name} | {row['seconds_per_epoch']:.2f} | "
                     f"{row['ratio_to_package']:.2f} | {acc} | {mem} |")
    lines.append(f"package dataset in memory: {report['package_dataset_mb']} MB "
                 f"(one float32 copy of both splits: {report['float32_copy_mb']} MB)")
    return "\n".join(lines)


def plot(rows, path):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(6, 3))
    ax = fig.subplots()
    names = list(rows)
    ax.barh(names, [rows[n]["seconds_per_epoch"] for n in names],
            color=["C3", "C0", "C1", "C7"][:len(names)])
    for i, name in enumerate(names):
        ax.text(rows[name]["seconds_per_epoch"], i, f" {rows[name]['seconds_per_epoch']:.2f} s",
                va="center")
    ax.invert_yaxis()
    ax.set_xlabel("seconds per epoch, model E (lower is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    sys.exit(main())
