import os
import sys

# A terminal: no window for the training board. Set before anything imports matplotlib, and
# only here: a notebook that calls cli.main() keeps its own backend.
os.environ.setdefault("MPLBACKEND", "Agg")

from .cli import main  # noqa: E402  (after the backend is chosen)

try:
    sys.exit(main())
except BrokenPipeError:  # `... presets | head`: the reader left; Python's own advice
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(1)
