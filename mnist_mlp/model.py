"""The multilayer perceptron of the original notebook."""
import torch
from torch import nn

from .checks import check_arguments
from .training import Classifier

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}


class MLP(Classifier):
    """Flatten, then a linear layer and the activation per hidden size, then the output layer."""

    def __init__(self, num_outputs, hidden_sizes, lr, af="sigmoid", optimizer="sgd"):
        super().__init__()
        self.save_hyperparameters()
        check_arguments(self.hparams, af=ACTIVATIONS, optimizer=("sgd", "adam"))
        layers, width = [nn.Flatten()], 28 * 28
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), ACTIVATIONS[af]()]
            width = size
        layers.append(nn.Linear(width, num_outputs))
        self.net = nn.Sequential(*layers)

    def configure_optimizers(self):
        if self.optimizer == "adam":
            # fused: one kernel updates all the parameters at once (faster than one per tensor)
            return torch.optim.Adam(self.parameters(), lr=self.lr, fused=True)
        return torch.optim.SGD(self.parameters(), lr=self.lr)
