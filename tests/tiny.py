"""A tiny data module for tests that go through d2l's Trainer without MNIST."""
import torch
from d2l import torch as d2l


class TinyData(d2l.DataModule):
    """256 images of 28 x 28 in two classes told apart by brightness: trains in milliseconds."""

    def __init__(self, batch_size=32, validate=True):
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        y = torch.arange(256) % 2
        X = torch.rand(256, 1, 28, 28, generator=generator) * 0.5 + 0.5 * y.view(-1, 1, 1, 1)
        self.batch_size, self.X, self.y, self.validate = batch_size, X, y, validate
        self.train = torch.utils.data.TensorDataset(X, y)  # as MNIST.train, for clean statistics

    def get_dataloader(self, train):
        if not train and not self.validate:
            return None
        return self.get_tensorloader((self.X, self.y), train)


class TinyMNIST(TinyData):
    """TinyData where the command line expects MNIST: trains in a fraction of a second."""

    def __init__(self, batch_size=64, val_split=0, validate=True):
        super().__init__(batch_size=batch_size, validate=validate)

    def test_dataloader(self):
        return self.get_tensorloader((self.X, self.y), train=False)
