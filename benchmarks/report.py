"""The benchmark's tables, rendered once: printed by `make bench` (benchmarks/bench.py) and
written into the docs from build/bench.json (never copied by hand).

`make report` (`python -m benchmarks.report`) after `make bench` replaces what stands between
`<!-- bench:begin NAME -->` and `<!-- bench:end NAME -->` in docs/performance.md
with the block NAME: `summary` (one table for both models and the targets), `tables` (min,
median, max, ratio and accuracy of every pipeline, per model) or `targets` (each ratio against
its limit). Every block names the CPU, torch, the threads and the date of the run. `--check`
changes nothing and exits 1 when a document no longer matches the JSON. The speed targets are
`TARGETS` here, checked against the JSON's medians whenever a table is rendered.
"""
import argparse
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = (ROOT / "docs" / "performance.md",)
BEGIN = re.compile(r"<!-- bench:begin \w+ -->")
MARKER = re.compile(r"<!-- bench:begin (\w+) -->\n(.*?)<!-- bench:end (\w+) -->", re.S)

# bench.py's pipelines, in its order, in the docs' words.
PIPELINES = {
    "original": "original pipeline (torchvision `Resize` + `ToTensor` per image, "
                "4 loader workers, `LazyLinear`)",
    "package": "**this package** (`d2l.Trainer`, as the notebooks train)",
    "hand": "hand-written PyTorch loop over the package's layers and batches",
    "sklearn": "scikit-learn `MLPClassifier`",
    "jax": "JAX + optax, the whole epoch compiled",
    "floor": "GEMM floor: the epoch's float32 matrix products alone",
    "noise": "F's noise draws alone: the epoch's standard normals (`torch.randn`), nothing else",
}

# Speed targets, as ratios of medians within one run (never asserted in tests: timings are
# noisy): (model, pipeline, the pipelines whose medians add up to the denominator, limit).
# F's noise is i.i.d. from torch's seeded generator, which draws serially: its floor counts
# those draws (the `noise` pipeline) as well as the matrix products.
TARGETS = [
    ("E", "package", ("hand",), 1.15),
    ("E", "package", ("floor",), 2.0),
    ("F", "package", ("floor", "noise"), 1.4),
]


class ReportError(Exception):
    """The JSON or a document is not what this script can work with."""


def load(path):
    """bench.py's report, checked for the fields the blocks use."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path} not found: run `make bench` first, or name the file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ReportError(f"{path} is not readable JSON ({err}): rerun `make bench`") from None
    missing = missing_field(report)
    if missing:
        raise ReportError(f"{path} is not a report of benchmarks/bench.py (no {missing}): "
                          "rerun `make bench`")
    if "date" not in report:  # bench.py may record its date; else the file's own
        mtime = datetime.fromtimestamp(Path(path).stat().st_mtime, UTC)
        report["date"] = f"file of {mtime:%Y-%m-%d}"
    return report


def missing_field(report):
    """The first field the blocks need that `report` lacks, as a dotted path, or None."""
    needs = [("environment", "cpu"), ("environment", "libraries", "torch"),
             ("environment", "torch_threads"), ("cpu_flags",), ("models",)]
    models = report.get("models") if isinstance(report, dict) else None
    if isinstance(models, dict):
        for model, block in models.items():
            needs.append(("models", model, "epochs"))
            rows = block.get("pipelines") if isinstance(block, dict) else None
            if not isinstance(rows, dict) or not rows:
                needs.append(("models", model, "pipelines", "package"))
                continue
            needs += [("models", model, "pipelines", name, stat) for name in rows
                      for stat in ("min", "median", "max", "ratio_to_package")]
    for path in needs:
        value = report
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return ".".join(path)
            value = value[key]
    if not models:
        return "model in models"
    return None


def seconds(row):
    return f"{row['median']:.2f} ({row['min']:.2f}–{row['max']:.2f})"


def machine(report):
    """'AMD EPYC 7B13 (avx2), torch 2.14.1, 2 threads, 2025-06-01'."""
    env = report["environment"]
    flags = ", ".join(name for name, present in report["cpu_flags"].items() if present)
    return (f"{env['cpu']}{f' ({flags})' if flags else ''}, torch {env['libraries']['torch']}, "
            f"{env['torch_threads']} threads, {str(report['date']).split('T')[0]}")


def epochs_text(report):
    counts = sorted({block["epochs"] for block in report["models"].values()})
    return f"{' or '.join(map(str, counts))} epochs per pipeline, the first a warm-up"


def check_targets(model, rows):
    """[(text, ratio, limit, met)] of `model`'s targets whose pipelines are among `rows`
    ({pipeline: {"median": seconds, ...}}), the ratio unrounded."""
    found = []
    for target_model, name, parts, limit in TARGETS:
        if target_model != model or not all(part in rows for part in (name, *parts)):
            continue
        ratio = rows[name]["median"] / sum(rows[part]["median"] for part in parts)
        below = (f"{parts[0]} median" if len(parts) == 1
                 else "(" + " + ".join(f"{part} median" for part in parts) + ")")
        found.append((f"{model}: {name} median / {below}", ratio, limit, ratio <= limit))
    return found


def targets(report):
    """[(text, ratio as printed, limit, met)] of every model's targets in `report`, with a
    third decimal where two would round the ratio across its limit."""
    found = []
    for model, block in report["models"].items():
        for text, ratio, limit, met in check_targets(model, block["pipelines"]):
            printed = f"{ratio:.2f}"
            if (float(printed) <= limit) != met:
                printed = f"{ratio:.3f}"
            found.append((text, printed, limit, met))
    return found


def summary(report):
    """Both models in one table (docs/performance.md, Summary)."""
    models = list(report["models"])
    lines = [f"`make bench` on {machine(report)}; median (min–max) seconds per epoch, "
             f"{epochs_text(report)}:", "",
             "| pipeline | " + " | ".join(f"{m}: s/epoch | {m}: × package" for m in models) + " |",
             "|---" * (1 + 2 * len(models)) + "|"]
    for name, words in PIPELINES.items():
        cells = []
        for model in models:
            row = report["models"][model]["pipelines"].get(name)
            cells += [seconds(row), f"{row['ratio_to_package']:.2f}"] if row else ["–", "–"]
        if any(cell != "–" for cell in cells):
            lines.append(f"| {words} | " + " | ".join(cells) + " |")
    lines += ["", "Targets, as ratios within that run: " + "; ".join(
        f"{text} **{ratio}** (≤ {limit}, {'met' if met else 'not met'})"
        for text, ratio, limit, met in targets(report)) + "."]
    return "\n".join(lines)


def tables(report):
    """One table per model with min, median, max, ratio and accuracy (docs/performance.md)."""
    lines = [f"`make bench` on {machine(report)}; {epochs_text(report)}; seconds per measured "
             "epoch. Every pipeline trains on the 60,000 training images; accuracy on the "
             "10,000 test images after the last epoch."]
    for model, block in report["models"].items():
        floor = block.get("floor_gflops")
        lines += ["", f"| model {model} | min | median | max | × package | accuracy |",
                  "|---|---|---|---|---|---|"]
        for name, row in block["pipelines"].items():
            words = PIPELINES.get(name, name)
            if name == "floor" and floor:
                words += f" ({floor:.0f} GFLOP/s)"
            accuracy = "–" if row.get("accuracy") is None else f"{row['accuracy']:.4f}"
            lines.append(f"| {words} | {row['min']:.2f} | {row['median']:.2f} | "
                         f"{row['max']:.2f} | {row['ratio_to_package']:.2f} | {accuracy} |")
    return "\n".join(lines)


def target_table(report):
    """Each target's ratio in the run against its limit (docs/performance.md)."""
    lines = [f"`make bench` on {machine(report)}:", "",
             "| target | ratio in this run | limit | met |", "|---|---|---|---|"]
    lines += [f"| {text} | {ratio} | ≤ {limit} | {'yes' if met else '**no**'} |"
              for text, ratio, limit, met in targets(report)]
    return "\n".join(lines)


BLOCKS = {"summary": summary, "tables": tables, "targets": target_table}


def render(report):
    """What `make bench` prints when it ends: the per-model tables, then the targets."""
    return tables(report) + "\n\n" + target_table(report)


def rewrite(text, report, name="document"):
    """`text` with every bench block regenerated; ReportError for a block it cannot fill."""
    if len(BEGIN.findall(text)) != len(MARKER.findall(text)):
        raise ReportError(f"{name}: a `<!-- bench:begin NAME -->` has no matching "
                          "`<!-- bench:end NAME -->`")

    def fill(match):
        begin, end = match.group(1), match.group(3)
        if begin != end or begin not in BLOCKS:
            raise ReportError(f"{name}: block `bench:begin {begin}` ... `bench:end {end}`: "
                              f"use one name of {', '.join(BLOCKS)} at both ends")
        return f"<!-- bench:begin {begin} -->\n{BLOCKS[begin](report)}\n<!-- bench:end {end} -->"

    return MARKER.sub(fill, text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("json", nargs="?", type=Path, default=ROOT / "build" / "bench.json",
                        help="the report of `make bench` (default build/bench.json)")
    parser.add_argument("--docs", nargs="+", type=Path, default=DOCS,
                        help="documents to rewrite (default docs/performance.md)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a document differs from the JSON")
    args = parser.parse_args(argv)
    try:
        report = load(args.json)
        changed = {}  # every document regenerated before any is written
        for path in args.docs:
            old = path.read_text(encoding="utf-8")
            if not BEGIN.search(old):
                raise ReportError(f"{path}: no `<!-- bench:begin NAME -->` block to fill")
            new = rewrite(old, report, path)
            if new != old:
                changed[path] = new
        if not args.check:
            from mnist_mlp.files import replacing  # each file written whole or not at all
            for path, new in changed.items():
                with replacing(path) as tmp:
                    tmp.write_text(new, encoding="utf-8")
    except (ReportError, OSError, UnicodeDecodeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in changed:
        print(f"{path}: {'differs from' if args.check else 'rewritten from'} {args.json}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
