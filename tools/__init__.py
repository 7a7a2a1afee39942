"""The repository's scripts (`make run`, `make smoke`, ...), importable by the tests."""
