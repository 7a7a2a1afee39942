"""Multilayer perceptrons on MNIST, built on d2l: the package behind the notebooks."""
from .checks import ConfigError
from .data import MNIST
from .download import DataError
from .evaluation import evaluate_accuracy, show_confusion_matrix, visualize_errors
from .model import MLP
from .training import TrainingDiverged

__all__ = ["MNIST", "MLP", "ConfigError", "DataError", "TrainingDiverged", "evaluate_accuracy",
           "visualize_errors", "show_confusion_matrix"]
__version__ = "0.1.0"
