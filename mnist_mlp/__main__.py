import sys

import matplotlib

from .cli import main

matplotlib.use("Agg")  # `python -m mnist_mlp` runs in a terminal: no window for the board
sys.exit(main())
