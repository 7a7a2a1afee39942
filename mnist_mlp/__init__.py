"""Multilayer perceptrons on MNIST, built on d2l: the package behind the notebooks.

The names below load their module on first use (PEP 562), so `import mnist_mlp.config` or
`python -m mnist_mlp presets` does not pay for torch, d2l, matplotlib and scikit-learn.
"""
import importlib

_HOMES = {"ConfigError": "checks", "MNIST": "data", "DataError": "download",
          "evaluate_accuracy": "evaluation", "show_confusion_matrix": "evaluation",
          "visualize_errors": "evaluation", "MLP": "model", "TrainingDiverged": "training"}

__all__ = ["MNIST", "MLP", "ConfigError", "DataError", "TrainingDiverged", "evaluate_accuracy",
           "visualize_errors", "show_confusion_matrix"]
__version__ = "0.1.0"


def __getattr__(name):
    if name in _HOMES:
        value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
        globals()[name] = value  # the next lookup is an ordinary attribute
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_HOMES})  # a name already loaded is in both
