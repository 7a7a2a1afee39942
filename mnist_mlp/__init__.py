"""Multilayer perceptrons on MNIST, built on d2l: the package behind the notebook."""
from .data import MNIST
from .download import DataError
from .evaluation import (
    collect_errors,
    evaluate_accuracy,
    plot_confusion_matrix,
    show_confusion_matrix,
    visualize_errors,
)
from .model import MLP

__all__ = ["MNIST", "MLP", "DataError", "evaluate_accuracy", "visualize_errors",
           "show_confusion_matrix", "plot_confusion_matrix", "collect_errors"]
__version__ = "0.1.0"
