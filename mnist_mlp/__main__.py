import os
import sys

# A terminal: no window for the training board. Set before anything imports matplotlib, and
# only here: a notebook that calls cli.main() keeps its own backend.
os.environ.setdefault("MPLBACKEND", "Agg")

from .cli import main  # noqa: E402  (after the backend is chosen)

sys.exit(main())
