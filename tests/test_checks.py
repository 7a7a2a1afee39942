"""The rules every hyperparameter follows (mnist_mlp.checks), in one table. MLP,
RegularizedMLP, Config and MNIST check their arguments with these rules; their own tests check
only that each argument reaches its rule (the wiring)."""
import math

import pytest

from mnist_mlp import ConfigError
from mnist_mlp.checks import RULES, check_arguments, require

LIST = r"hidden_sizes must be a list of positive integers, e\.g\. \[256, 256\], got "


@pytest.mark.parametrize("name, value, message", [
    ("num_outputs", 0, "num_outputs must be a positive integer, got 0"),
    ("num_outputs", -1, "num_outputs must be a positive integer, got -1"),
    ("num_outputs", 2.5, "num_outputs must be a positive integer, got 2.5"),
    ("num_outputs", True, "num_outputs must be a positive integer, got True"),
    ("hidden_sizes", [0], LIST + r"\[0\]"),
    ("hidden_sizes", [-5], LIST + r"\[-5\]"),
    ("hidden_sizes", [12.5], LIST + r"\[12\.5\]"),
    ("hidden_sizes", (128, 0), LIST + r"\(128, 0\)"),
    ("hidden_sizes", [128, True], LIST + r"\[128, True\]"),
    ("hidden_sizes", 128, LIST + "128"),
    ("hidden_sizes", "128", LIST + "'128'"),
    ("lr", 0, "lr must be a finite number > 0, got 0"),
    ("lr", -1, "lr must be a finite number > 0, got -1"),
    ("lr", math.nan, "lr must be a finite number > 0, got nan"),
    ("lr", math.inf, "lr must be a finite number > 0, got inf"),
    ("lr", "0.1", "lr must be a finite number > 0, got '0.1'"),
    ("lr", True, "lr must be a finite number > 0, got True"),
    ("batch_size", 0, "batch_size must be a whole number from 1 to 60000, got 0"),
    ("batch_size", 6.4, "batch_size must be a whole number from 1 to 60000, got 6.4"),
    ("epochs", 2.5, "epochs must be a positive integer, got 2.5"),
    ("batch_norm", "yes", "batch_norm must be True or False, got 'yes'"),
    ("batch_norm", 1, "batch_norm must be True or False, got 1"),
    ("clean_statistics", None, "clean_statistics must be True or False, got None"),
    ("noise", -0.1, "noise must be a finite number >= 0, got -0.1"),
    ("noise", math.nan, "noise must be a finite number >= 0, got nan"),
    ("weight_decay", math.inf, "weight_decay must be a finite number >= 0, got inf"),
    ("dropout", 1.0, r"dropout must be in \[0, 1\), got 1\.0"),
    ("dropout", -0.1, r"dropout must be in \[0, 1\), got -0\.1"),
    ("label_smoothing", -0.1, r"label_smoothing must be in \[0, 1\), got -0\.1"),
    ("label_smoothing", 1, r"label_smoothing must be in \[0, 1\), got 1"),
])
def test_a_value_that_breaks_its_rule_is_named_in_one_line(name, value, message):
    with pytest.raises(ConfigError, match=f"^{message}$") as error:
        check_arguments({name: value})
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize("name, value", [
    ("num_outputs", 1), ("hidden_sizes", []), ("hidden_sizes", (256, 256)), ("lr", 1e-3),
    ("batch_size", 64), ("epochs", 1), ("batch_norm", False), ("clean_statistics", True),
    ("noise", 0), ("noise", 0.3), ("weight_decay", 0.0), ("dropout", 0.0), ("dropout", 0.5),
    ("label_smoothing", 0.1),
])
def test_a_value_within_its_rule_passes(name, value):
    check_arguments({name: value})


@pytest.mark.parametrize("value, choices, message", [
    ("tanh", ("sigmoid", "relu"), "af='tanh' is not supported; use 'sigmoid' or 'relu'"),
    ("ReLU", ("sigmoid", "relu"), "af='ReLU' is not supported; use 'sigmoid' or 'relu'"),
    (["relu"], ("sigmoid", "relu"), r"af=\['relu'\] is not supported"),  # unhashable: refused
    ("rmsprop", ("sgd", "adam", "adamw"),
     "af='rmsprop' is not supported; use 'sgd', 'adam' or 'adamw'"),
    ("relu", ("sigmoid",), "af='relu' is not supported; use 'sigmoid'$"),
])
def test_a_choice_outside_its_list_names_the_list(value, choices, message):
    with pytest.raises(ConfigError, match=f"^{message}"):
        check_arguments({"af": value}, af=choices)


def test_choices_accept_their_members_whatever_the_container():
    check_arguments({"af": "relu", "lr": 0.1}, af={"sigmoid": 0, "relu": 1})  # a dict's keys
    check_arguments({"af": "relu"}, af=["sigmoid", "relu"])


def test_the_first_bad_value_is_the_one_named():
    with pytest.raises(ConfigError, match="^lr must"):
        check_arguments({"num_outputs": 10, "lr": 0, "dropout": 2})


def test_an_argument_without_a_rule_is_a_programming_error():
    """A new argument must get its rule in RULES (or its choices) before it can be checked."""
    assert "an_unknown_argument" not in RULES
    with pytest.raises(KeyError, match="an_unknown_argument"):
        check_arguments({"an_unknown_argument": 1})


def test_require_returns_the_value_and_defaults_to_a_positive_integer():
    assert require("max_errors", 10) == 10
    with pytest.raises(ConfigError, match="^max_errors must be a positive integer, got 0$"):
        require("max_errors", 0)
    assert require("lr", 0.5, RULES["lr"]) == 0.5


def test_rules_say_what_they_test_and_read_text_by_the_same_rule():
    import numpy as np

    from mnist_mlp.checks import COUNT, FRACTION, PIXEL, SEED, Interval, Options

    assert (COUNT.text, FRACTION.text, PIXEL.text) == (
        "a positive integer", "in [0, 1)", "in [0, 1] (pixel intensity)")
    assert SEED.text == "a whole number from 0 to 4294967295"
    assert COUNT.holds(np.int64(3)) and FRACTION.holds(np.float32(0.5))  # NumPy's scalars too
    assert not COUNT.holds(True) and not FRACTION.holds(1.0) and PIXEL.holds(1.0)
    assert COUNT.parse("7") == 7 and Interval(whole=False, low=0).parse("0.5") == 0.5
    for bad in ("0", "x", "1.5"):
        with pytest.raises(ValueError, match=f"must be a positive integer, got '{bad}'"):
            COUNT.parse(bad)
    assert Options(("sgd", "adam")).text == "'sgd' or 'adam'"


def test_a_fraction_is_refused_with_the_float_that_would_do():
    from fractions import Fraction

    from mnist_mlp import MLP

    # it passed every rule, then d2l's SGD failed in its first step: "alpha must be Number"
    with pytest.raises(ConfigError, match=r"lr must be a finite number > 0, got Fraction\(1, 10\) "
                       r"\(float\(1/10\) is one\)"):
        MLP(10, [8], Fraction(1, 10))
