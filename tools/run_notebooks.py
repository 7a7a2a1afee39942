"""Execute notebooks headlessly, keep their outputs, export HTML: `make run` and `make smoke`."""
import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter


def clean(nb):
    """Drop what changes on every run but says nothing (timings), so diffs stay small."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
    nb.metadata.pop("widgets", None)
    return nb


def execute(path, timeout):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return clean(nb)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="+", type=Path)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--inplace", action="store_true", help="write outputs into the notebooks")
    target.add_argument("--output", type=Path, help="write executed copies into this folder")
    parser.add_argument("--html", type=Path, help="also export HTML into this folder")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        print(f"executing {path} ...", flush=True)
        start = time.perf_counter()
        nb = execute(path, args.timeout)
        print(f"  executed in {time.perf_counter() - start:.0f} s")
        out = path if args.inplace else args.output / path.name
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out)
        print(f"  wrote {out}")
        html_dir = args.html or (None if args.inplace else args.output)
        if html_dir:
            html_dir.mkdir(parents=True, exist_ok=True)
            body, _ = HTMLExporter().from_notebook_node(nb)
            html = html_dir / (path.stem + ".html")
            html.write_text(body, encoding="utf-8")
            print(f"  wrote {html}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
