"""One hyperparameter schema: presets, checks, run files and the model built from it."""
import inspect
from dataclasses import fields

import pytest

from mnist_mlp.config import Config
from mnist_mlp.presets import PRESETS
from mnist_mlp.regularized import RegularizedMLP

TRAINING = {"batch_size", "epochs"}  # what the data and the Trainer take, not the model


def test_presets_are_configs_with_the_originals_values():
    assert list(PRESETS) == list("ABCDEF")
    assert all(isinstance(config, Config) for config in PRESETS.values())
    assert PRESETS["A"] == Config()  # the defaults are model A's
    assert {name: PRESETS[name].lr for name in "ABCDE"} == {
        "A": 0.1, "B": 0.001, "C": 0.001, "D": 0.001, "E": 0.001}
    assert PRESETS["E"].hidden_sizes == (256, 256) and PRESETS["E"].batch_size == 64
    assert PRESETS["F"].batch_norm and PRESETS["F"].schedule == "onecycle"


def test_every_field_is_a_model_argument_or_a_training_setting():
    model_args = set(inspect.signature(RegularizedMLP).parameters) - {"num_outputs"}
    assert {f.name for f in fields(Config)} == model_args | TRAINING


def test_the_model_gets_every_model_field():
    model = PRESETS["F"].model()
    assert isinstance(model, RegularizedMLP) and model.num_outputs == 10
    for f in fields(Config):
        if f.name not in TRAINING:
            assert model.hparams[f.name] == getattr(PRESETS["F"], f.name)


def test_dict_round_trip_keeps_every_field():
    values = PRESETS["F"].to_dict()
    assert values["hidden_sizes"] == [1000, 500, 250, 250, 250]
    assert Config.from_dict({**values, "seed": 3, "preset": "F"}) == PRESETS["F"]
    with pytest.raises(ValueError, match="missing hyperparameters: noise"):
        Config.from_dict({k: v for k, v in values.items() if k != "noise"})


@pytest.mark.parametrize("changes, message", [
    ({"af": "tanh"}, "af='tanh' is not supported; use one of 'sigmoid', 'relu'"),
    ({"optimizer": "rmsprop"}, "optimizer='rmsprop' is not supported"),
    ({"schedule": "cosine"}, "schedule='cosine' is not supported"),
    ({"hidden_sizes": (128, 0)}, "hidden_sizes must be a list of positive integers"),
    ({"hidden_sizes": "128"}, "hidden_sizes must be a list of positive integers"),
    ({"hidden_sizes": [12.5]}, "hidden_sizes must be a list of positive integers"),
    ({"hidden_sizes": []}, "hidden_sizes must be a list of positive integers"),
    ({"lr": 0}, "lr must be a positive number"),
    ({"lr": float("nan")}, "lr must be a positive number"),
    ({"lr": "0.1"}, "lr must be a positive number"),
    ({"batch_size": 0}, "batch_size must be a positive integer"),
    ({"epochs": 2.5}, "epochs must be a positive integer"),
    ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
    ({"label_smoothing": -0.1}, r"label_smoothing must be in \[0, 1\)"),
    ({"noise": -0.1}, "noise must be a number >= 0"),
    ({"weight_decay": float("inf")}, "weight_decay must be a number >= 0"),
    ({"batch_norm": "yes"}, "batch_norm must be True or False, got 'yes'"),
])
def test_bad_values_are_refused_once_with_what_is_expected(changes, message):
    with pytest.raises(ValueError, match=message):
        PRESETS["A"].replace(**changes)


def test_lists_become_tuples_so_configs_compare_and_hash():
    config = Config(hidden_sizes=[256, 256])
    assert config.hidden_sizes == (256, 256)
    assert hash(config) == hash(Config(hidden_sizes=(256, 256)))
