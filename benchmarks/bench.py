"""`make bench`: models E and F trained several ways in one process, epochs interleaved.

Model E (784-256-256-10, ReLU, Adam 1e-3, batch 64): the original notebook's pipeline rebuilt
(torchvision Resize + ToTensor per image, 4 loader workers, LazyLinear), this package through
d2l.Trainer as the notebooks call it, a hand-written PyTorch loop, scikit-learn's
MLPClassifier, JAX + optax with the whole epoch compiled, and the GEMM floor (the epoch's
float32 matrix products alone, at the real shapes). Model F: the package, the hand loop, JAX,
its floor, and its noise's standard normals drawn alone. Epochs of all pipelines of a model
alternate, so that a noisy machine slows them alike; the first epoch is a warm-up (JAX
compiles in it). Reports min / median / max seconds per epoch, ratios to the package and the
targets (benchmarks/report.py renders both); writes build/bench.json and build/bench.png.

    python -m benchmarks.bench [--models E F] [--epochs N] [--quick] [--profile E|F]
"""
import argparse
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import torch

from benchmarks.pipelines import make_run
from benchmarks.report import check_targets, render
from mnist_mlp import MNIST
from mnist_mlp.cpu import cpu_flags, flush_denormals
from mnist_mlp.experiment import environment
from mnist_mlp.files import write_json

ROOT = Path(__file__).resolve().parents[1]

PIPELINES = {"E": ("original", "package", "hand", "sklearn", "jax", "floor"),
             "F": ("package", "hand", "jax", "floor", "noise")}


def have_jax():
    try:
        import jax  # noqa: F401
        import optax  # noqa: F401
    except ImportError:
        return False
    return True


class Worker:
    """One pipeline in its own process (pipelines.serve), driven an epoch at a time."""

    def __init__(self, model, name, epochs):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.pipelines", model, name, str(epochs)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self.ask(None, expect="ready")

    def ask(self, command, expect=None):
        if command:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        reply = self.proc.stdout.readline().strip()
        if not reply or (expect and reply != expect):
            raise RuntimeError(f"benchmark worker {self.proc.args[3:5]} stopped "
                               f"(exit {self.proc.poll()}); its error is printed above")
        return reply

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def time_model(model, epochs, names):
    """{name: [seconds of each epoch]}, {name: accuracy after the last epoch}, extras."""
    workers = {name: Worker(model, name, epochs) for name in names}
    seconds = {name: [] for name in names}
    try:
        for epoch in range(epochs):
            for name, worker in workers.items():  # one at a time: never two timed at once
                seconds[name].append(float(worker.ask(f"epoch {epoch}")))
            print(f"{model} epoch {epoch + 1}/{epochs}: " + ", ".join(
                f"{name} {seconds[name][-1]:.2f} s" for name in names), flush=True)
        accuracy = {name: worker.ask("accuracy") for name, worker in workers.items()}
        extra = ({"floor_gflops": float(workers["floor"].ask("flops"))
                  / statistics.median(seconds["floor"][1:]) / 1e9} if "floor" in workers else {})
    finally:
        for worker in workers.values():
            worker.close()
    accuracy = {name: None if value == "None" else float(value)
                for name, value in accuracy.items()}
    return seconds, accuracy, extra


def summarise(seconds, accuracy):
    rows = {}
    for name, times in seconds.items():
        measured = times[1:]
        rows[name] = {"min": min(measured), "median": statistics.median(measured),
                      "max": max(measured), "epoch_seconds": [round(t, 3) for t in times],
                      "accuracy": accuracy[name]}
    base = rows["package"]["median"]
    for row in rows.values():
        row["ratio_to_package"] = row["median"] / base
    return rows


def profile_package_epoch(model, rows=15):
    """Where one epoch of the package's pipeline spends its time, by torch operator."""
    from torch.profiler import ProfilerActivity, profile
    flush_denormals()  # before MNIST's first parallel operation, as the notebooks do
    run = make_run("package", model, MNIST(batch_size=64), epochs=2)
    run.epoch(0)  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        run.epoch(1)
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)


def flag_report():
    flags = cpu_flags()
    return {"avx2": "avx2" in flags, "avx512f": "avx512f" in flags,
            "avx512_bf16": "avx512_bf16" in flags, "amx_bf16": "amx_bf16" in flags}


def plot(report, path):
    from matplotlib.figure import Figure
    models = list(report["models"])
    fig = Figure(figsize=(6.5, 1.2 + 0.45 * sum(len(b["pipelines"]) for b in
                                                report["models"].values())))
    axes = fig.subplots(len(models), 1, squeeze=False)[:, 0]
    for ax, model in zip(axes, models):
        rows = report["models"][model]["pipelines"]
        names = list(rows)
        medians = [rows[n]["median"] for n in names]
        spread = [[m - rows[n]["min"] for n, m in zip(names, medians)],
                  [rows[n]["max"] - m for n, m in zip(names, medians)]]
        ax.barh(names, medians, xerr=spread, color=[f"C{i}" for i in range(len(names))])
        for i, m in enumerate(medians):
            ax.text(m, i, f"  {m:.2f} s", va="center")
        ax.invert_yaxis()
        ax.set_title(f"model {model}: seconds per epoch (median, min-max)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=6,
                        help="epochs per pipeline, the first a warm-up (default 6)")
    parser.add_argument("--models", nargs="+", choices=["E", "F"], default=["E", "F"])
    parser.add_argument("--quick", action="store_true", help="3 epochs, no original pipeline")
    parser.add_argument("--out", type=Path, default=Path("build"), help="folder for the results")
    parser.add_argument("--profile", choices=["E", "F"],
                        help="only profile one epoch of the package on this model, by operator")
    args = parser.parse_args(argv)
    if args.profile:
        print(profile_package_epoch(args.profile))
        return 0
    epochs = 3 if args.quick else args.epochs
    if epochs < 2:
        parser.error("--epochs must be at least 2 (one warm-up epoch, then measured ones)")
    jax_ok = have_jax()
    if not jax_ok:
        print("JAX/optax not installed: the jax row is left out (make bench installs them)")
    MNIST(batch_size=64)  # fetch the data once, before the workers read it
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
              "models": {}, "targets": [], "cpu_flags": flag_report(),
              "environment": environment(), "torch_config": torch.__config__.parallel_info()}
    for model in args.models:
        names = [n for n in PIPELINES[model] if (jax_ok or n != "jax")
                 and not (args.quick and n == "original")]
        seconds, accuracy, extra = time_model(model, epochs, names)
        rows = summarise(seconds, accuracy)
        report["models"][model] = {"epochs": epochs, "pipelines": rows, **extra}
        report["targets"] += [[text, round(ratio, 3), limit, met]
                              for text, ratio, limit, met in check_targets(model, rows)]
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "bench.json", report)
    print(render(report))
    plot(report, args.out / "bench.png")
    print(f"wrote {args.out / 'bench.json'} and {args.out / 'bench.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
