"""`python -m mnist_mlp` and the `mnist-mlp` command: the CLI, with Ctrl-C and a closed pipe
answered in one line under either name."""
import os
import sys


def run():
    """Run the command line; exit with its status (130 after Ctrl-C)."""
    # A terminal: no window for the training board. Set before anything imports matplotlib,
    # and only here: a notebook that calls cli.main() keeps its own backend.
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        from .cli import main  # after the backend is chosen

        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C while torch loads, or in a command that does not train
        # (training says more): every file is written whole or not at all, none half-written.
        print("interrupted; no file is half-written", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:  # `... presets | head`: the reader left; Python's own advice
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    run()
