"""`python -m mnist_mlp` and the `mnist-mlp` command: the CLI, with Ctrl-C, a `kill` and a
closed pipe answered in one line under either name."""
import os
import signal
import sys


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill`, `timeout`, a job scheduler) taken as Ctrl-C: the same cleanup of
    half-written files and the same line on what is kept, instead of a silent end."""


def _terminate(signum, frame):
    run.terminated = True
    raise Terminated


def run():
    """Run the command line; exit with its status (130 after Ctrl-C, 143 after SIGTERM, as
    shells report them)."""
    # A terminal: no window for the training board. Set before anything imports matplotlib,
    # and only here: a notebook that calls cli.main() keeps its own backend.
    os.environ.setdefault("MPLBACKEND", "Agg")
    run.terminated = False
    signal.signal(signal.SIGTERM, _terminate)
    try:
        from .cli import main  # after the backend is chosen

        code = main()
    except KeyboardInterrupt:  # Ctrl-C while torch loads, or in a command that does not train
        # (training says more): every file is written whole or not at all, none half-written.
        print("interrupted; no file is half-written", file=sys.stderr)
        code = 130
    except ValueError as err:  # matplotlib, imported with torch's stack, refusing the variable
        if not str(err).startswith("Key backend:"):
            raise
        print(f"MPLBACKEND={os.environ['MPLBACKEND']!r} is not a matplotlib backend: unset it, "
              "or set MPLBACKEND=Agg", file=sys.stderr)
        code = 2
    except BrokenPipeError:  # `... presets | head`: the reader left; Python's own advice
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    if code == 130 and run.terminated:  # the commands answer both as an interruption
        code = 128 + signal.SIGTERM
    sys.exit(code)


if __name__ == "__main__":
    run()
