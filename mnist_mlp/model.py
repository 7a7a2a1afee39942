"""The multilayer perceptron of the original notebook."""
from torch import nn

from .checks import check_arguments
from .training import Classifier

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}


class MLP(Classifier):
    """O perceptron multicamada do original, treinado com o SGD do d2l."""

    def __init__(self, num_outputs, hidden_sizes, lr, af="sigmoid", num_inputs=28 * 28):
        super().__init__()
        self.save_hyperparameters()
        check_arguments(self.hparams, af=ACTIVATIONS)  # um argumento inválido: um erro claro
        layers, width = [nn.Flatten()], num_inputs
        for size in hidden_sizes:
            layers += self.hidden_layer(width, size)
            width = size
        layers.append(nn.Linear(width, num_outputs))
        self.net = nn.Sequential(*layers)

    def hidden_layer(self, width, size):
        """Uma camada oculta: `nn.Linear` de `width` entradas e `size` saídas, e a ativação."""
        return [nn.Linear(width, size), ACTIVATIONS[self.af]()]
