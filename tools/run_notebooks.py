"""Execute notebooks headlessly, keep their outputs, export HTML: `make run` and `make smoke`.

A notebook whose execution fails is left exactly as it was (its committed outputs stay); the
partly executed copy goes to build/failed/ for a look, and the run ends with status 1 and one
line per failure naming the cell's error (e.g. the model, target and figure of a missed goal).
"""
import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter

from mnist_mlp.files import replacing

FAILED = Path("build/failed")


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def clean(nb):
    """Drop what changes on every run but says nothing (timings), so diffs stay small, and
    widget views: a saved one shows "model not found" in JupyterLab instead of its text line."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
    nb.metadata.pop("widgets", None)
    return nb


def execute(nb, path, timeout):
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return clean(nb)


def write_atomically(nb, path):
    """Write under a temporary name, then rename: an interrupted write leaves the old file."""
    with replacing(path) as tmp:
        nbformat.write(nb, tmp)


def failure_line(err):
    """The failing cell's own error, e.g. 'AssertionError: modelo F abaixo da meta ...'."""
    if isinstance(err, CellExecutionError):
        return f"{err.ename}: {err.evalue}"
    return f"{type(err).__name__}: {str(err).strip().splitlines()[-1] if str(err) else ''}"


def run(path, args):
    """Execute one notebook; write it (or its executed copy) only if every cell ran."""
    print(f"executing {path} ...", flush=True)
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    try:
        execute(nb, path, args.timeout)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        write_atomically(clean(nb), FAILED / path.name)
        print(f"  FAILED after {time.perf_counter() - start:.0f} s: {failure_line(err)}\n"
              f"  {path} keeps its previous outputs; the partly executed copy is "
              f"{FAILED / path.name}", flush=True)
        return f"{path}: {failure_line(err)}"
    print(f"  executed in {time.perf_counter() - start:.0f} s")
    out = path if args.inplace else args.output / path.name
    write_atomically(nb, out)
    print(f"  wrote {out}")
    html_dir = args.html or (None if args.inplace else args.output)
    if html_dir:
        html_dir.mkdir(parents=True, exist_ok=True)
        body, _ = HTMLExporter().from_notebook_node(nb)
        html = html_dir / (path.stem + ".html")
        with replacing(html) as tmp:
            tmp.write_text(body, encoding="utf-8")
        print(f"  wrote {html}")
    return None


def main(argv=None):
    # Figures render inline, as in a reader's Jupyter: an inherited MPLBACKEND=Agg would stop
    # ipykernel from choosing its inline backend and the notebooks would lose their figures.
    os.environ.pop("MPLBACKEND", None)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--inplace", action="store_true", help="write outputs into the notebooks")
    target.add_argument("--output", type=Path, help="write executed copies into this folder")
    parser.add_argument("--html", type=Path, help="also export HTML into this folder")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.notebooks if not path.is_file()]
    if missing:
        parser.error("no such notebook: " + ", ".join(missing))
    try:
        failures = [line for line in (run(path, args) for path in args.notebooks) if line]
    except KeyboardInterrupt:
        print("interrupted: the notebook being executed was left as it was", file=sys.stderr)
        return 130
    if failures:
        print("make run failed:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
