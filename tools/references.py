"""What the reference-run tools (notebook2_seeds, notebook3_seeds, notebook4_seeds) share: their
command line, and the file they write: the commands of their docstring, the runs, each naming
its CPU class, and the machine."""
import argparse
from pathlib import Path

from mnist_mlp.experiment import environment
from mnist_mlp.files import write_json
from tools.budget import cpu_class


def arguments(doc, argv=None):
    """RUN_DIR... --out FILE, described by the tool's docstring."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR")
    parser.add_argument("--out", type=Path, required=True)
    return parser.parse_args(argv)


def write_runs(path, doc, runs, **more):
    """Write the file: the commands (the docstring's second paragraph), the runs with their CPU
    class, anything in `more`, and the machine."""
    machine = environment()
    commands = [line.strip() for line in doc.split("\n\n")[1].splitlines()]
    runs = [{**run, "cpu_class": cpu_class(machine)} for run in runs]
    write_json(path, {"commands": commands, "runs": runs, **more, "environment": machine})
    print(f"wrote {path} ({len(runs)} runs)")
