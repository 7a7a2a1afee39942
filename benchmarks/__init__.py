"""`make bench` and the measurements beside it, run as modules: `python -m benchmarks.bench`."""
