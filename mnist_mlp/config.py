"""One schema for every hyperparameter: presets are instances, the CLI's flags come from its
fields, run files store all of them; values follow the same rules as the models' arguments.

Light on purpose: it imports no model code (torch), so the command line lists presets and
parses flags at once; `Config.model()` loads the model when it builds one.
"""
import dataclasses
from dataclasses import dataclass, field, fields

from .checks import ACTIVATION_NAMES, OPTIMIZERS, SCHEDULES, ConfigError, check_arguments

# The d2l.Trainer's fields; every other field is an argument of RegularizedMLP.
TRAINING_FIELDS = ("batch_size", "epochs")
# --hidden-sizes none: no hidden layer (the original's softmax regression), which no value at
# all would ask for by mistake
NO_LAYERS = "none"
# Fields that change nothing unless another is set: {field: the field it needs}.
NEEDS = {"vat_xi": "vat", "vat_iterations": "vat", "clean_statistics": "batch_norm"}


def _field(default, help, kind, choices=None):
    """A field with its help, its choices and its `kind`, which says how the command line reads
    it: "float", "int", "bool" (a --x/--no-x pair), "sizes" (one or more positive integers, or
    NO_LAYERS alone) or "choice" (one of `choices`)."""
    return field(default=default, metadata={"help": help, "kind": kind, "choices": choices})


def flag_of(name):
    """The command line's flag for Config field `name`, e.g. --hidden-sizes."""
    return "--" + name.replace("_", "-")


def _float(value):
    """A Python float; a NumPy float by its shortest text, so float32's 0.1 stays 0.1 (float()
    would give 0.10000000149011612, a different setting in the run file)."""
    return float(str(value)) if type(value).__module__ == "numpy" else float(value)


@dataclass(frozen=True)
class Config:
    """The hyperparameters of one run; the defaults are the original notebook's model A.

    A field of NEEDS does nothing without the one it needs, and is accepted here (F's exercises
    take batch norm out of F, its clean statistics then idle); `train` refuses such a flag."""

    hidden_sizes: tuple[int, ...] = _field((128,), "hidden layer sizes, e.g. 256 256 (none: no "
                                           "hidden layer)", "sizes")
    lr: float = _field(0.1, "learning rate (the peak with onecycle)", "float")
    af: str = _field("sigmoid", "activation", "choice", ACTIVATION_NAMES)
    optimizer: str = _field("sgd", "optimizer", "choice", OPTIMIZERS)
    batch_size: int = _field(64, "examples per batch", "int")
    epochs: int = _field(10, "passes over the training images", "int")
    batch_norm: bool = _field(False, "batch normalisation after each hidden product", "bool")
    noise: float = _field(0.0, "std of the Gaussian noise added in training to "
                          "the pixels and to each hidden layer's product", "float")
    dropout: float = _field(0.0, "dropout after each hidden layer, in [0, 1)", "float")
    weight_decay: float = _field(0.0, "weight decay (decoupled with adamw)", "float")
    schedule: str = _field("constant", "learning-rate schedule", "choice", SCHEDULES)
    label_smoothing: float = _field(0.0, "label smoothing, in [0, 1)", "float")
    clean_statistics: bool = _field(False, "after training, recompute batch normalisation's "
                                    "statistics on the training images without noise", "bool")
    adversarial: float = _field(0.0, "adversarial training: the eps of the FGSM images whose "
                                "loss is added to the training loss (0: off)", "float")
    vat: float = _field(0.0, "virtual adversarial training: the L2 norm of the perturbation "
                        "(0: off)", "float")
    vat_xi: float = _field(1e-3, "virtual adversarial training: the power iteration's step",
                           "float")
    vat_iterations: int = _field(1, "virtual adversarial training: power iterations", "int")

    def __post_init__(self):
        check_arguments({f.name: getattr(self, f.name) for f in fields(self)},
                        **{f.name: f.metadata["choices"] for f in fields(self)
                           if f.metadata["choices"]})
        if self.batch_norm and self.batch_size < 2:
            raise ConfigError("batch_norm needs batches of 2 images or more, got batch_size 1")
        # Python numbers, so that configs compare, hash and go to JSON (NumPy's pass the rules)
        for f in fields(self):
            value = getattr(self, f.name)
            kind = f.metadata["kind"]
            if kind in ("int", "float", "sizes"):
                value = (tuple(int(size) for size in value) if kind == "sizes" else
                         int(value) if kind == "int" else _float(value))
                object.__setattr__(self, f.name, value)

    def model(self, num_outputs=10, num_inputs=28 * 28):
        """An untrained model with these hyperparameters (a RegularizedMLP) for images of
        `num_inputs` pixels."""
        from .regularized import RegularizedMLP  # the model code, only when a model is built

        return RegularizedMLP(num_outputs, num_inputs=num_inputs,
                              **{f.name: getattr(self, f.name) for f in fields(self)
                                 if f.name not in TRAINING_FIELDS})

    def idle(self):
        """{field: the field it needs} for the fields that change nothing in this Config."""
        return {name: needs for name, needs in NEEDS.items() if not getattr(self, needs)}

    def to_dict(self):
        """Every field, JSON-ready."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
                for f in fields(self)}

    @classmethod
    def from_dict(cls, values):
        """The Config in a run's dict: fields it lacks (a run older than them) take their
        defaults, other keys are ignored, and bad values are refused as always."""
        if not isinstance(values, dict):
            raise ConfigError(f"hyperparameters must be a JSON object, got {type(values).__name__}")
        return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})

    @classmethod
    def with_defaults(cls, values):
        """A run's or checkpoint's settings dict with the defaults of the Config fields it lacks
        (saved before they existed), as `from_dict` reads it; any other value as it is."""
        if not isinstance(values, dict) or not {f.name for f in fields(cls)} & set(values):
            return values
        return {**{key: value for key, value in cls().to_dict().items() if key not in values},
                **values}

    def replace(self, **changes):
        """A copy with `changes` applied (and checked)."""
        return dataclasses.replace(self, **changes)
