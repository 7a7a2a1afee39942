"""One hyperparameter schema: presets, checks, run files and the model built from it."""
import inspect
from dataclasses import fields

import pytest

from mnist_mlp import MLP, ConfigError
from mnist_mlp.config import TRAINING_FIELDS, Config
from mnist_mlp.presets import PRESETS
from mnist_mlp.regularized import RegularizedMLP

TRAINING = set(TRAINING_FIELDS)  # what the data and the Trainer take, not the model


def test_presets_are_configs_with_the_originals_values():
    assert list(PRESETS) == list("ABCDEFGHIJ")
    assert all(isinstance(config, Config) for config in PRESETS.values())
    assert PRESETS["A"] == Config()  # the defaults are model A's
    assert {name: PRESETS[name].lr for name in "ABCDE"} == {
        "A": 0.1, "B": 0.001, "C": 0.001, "D": 0.001, "E": 0.001}
    assert PRESETS["E"].hidden_sizes == (256, 256) and PRESETS["E"].batch_size == 64
    assert PRESETS["F"].batch_norm and PRESETS["F"].schedule == "onecycle"
    assert PRESETS["F"].clean_statistics and not PRESETS["E"].clean_statistics
    # every preset builds its model, with its own hyperparameters
    for config in PRESETS.values():
        model = config.model()
        assert all(model.hparams[name] == value for name, value in config.to_dict().items()
                   if name in model.hparams and name != "hidden_sizes")


def test_every_field_is_a_model_argument_or_a_training_setting():
    model_args = set(inspect.signature(RegularizedMLP).parameters) - {"num_outputs", "num_inputs"}
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


def test_a_run_older_than_a_field_takes_its_default():
    values = PRESETS["F"].to_dict()
    older = {k: v for k, v in values.items() if k not in ("label_smoothing", "schedule")}
    assert Config.from_dict(older) == PRESETS["F"].replace(label_smoothing=0.0,
                                                           schedule="constant")
    assert Config.from_dict({"hidden_sizes": [64], "a_later_field": 1}) == Config(
        hidden_sizes=(64,))
    with pytest.raises(ConfigError, match="lr must be a finite number > 0, got -1"):
        Config.from_dict({**older, "lr": -1})
    with pytest.raises(ConfigError, match="must be a JSON object, got list"):
        Config.from_dict([values])


BAD = {"hidden_sizes": (128, 0), "lr": 0, "af": "tanh", "optimizer": "rmsprop",
       "batch_size": 0, "epochs": 2.5, "batch_norm": "yes", "noise": -0.1, "dropout": 1.0,
       "weight_decay": float("inf"), "schedule": "cosine", "label_smoothing": -0.1,
       "clean_statistics": 1, "adversarial": 1.5, "vat": -1.0, "vat_xi": 0.0,
       "vat_iterations": 0}  # one value per field that breaks its rule (tests/test_checks.py)


@pytest.mark.parametrize("name", [f.name for f in fields(Config)])
def test_every_field_is_checked_by_its_rule(name):
    """The wiring: every field reaches its rule, and a new field needs a case in BAD."""
    with pytest.raises(ConfigError, match=f"^{name}"):
        PRESETS["A"].replace(**{name: BAD[name]})


@pytest.mark.parametrize("name, bad", [("hidden_sizes", [0]), ("lr", -1), ("af", "tanh"),
                                       ("noise", -0.5), ("schedule", "cosine")])
def test_config_and_the_models_share_one_rule_and_message(name, bad):
    """One rule per argument (checks.py): the same value is refused with the same words."""
    base = {"hidden_sizes": [8], "lr": 0.1}
    messages = set()
    for build in ([RegularizedMLP, Config] if name in ("noise", "schedule")
                  else [MLP, RegularizedMLP, Config]):
        args = (10,) if build is not Config else ()
        with pytest.raises(ConfigError) as error:
            build(*args, **{**base, name: bad})
        messages.add(str(error.value))
    assert len(messages) == 1 and name in messages.pop()


def test_no_hidden_layer_is_allowed_everywhere_as_in_the_original():
    assert Config(hidden_sizes=[]).model().net[1].weight.shape == (10, 784)
    with pytest.raises(ConfigError, match="num_outputs must be a positive integer, got 0"):
        Config().model(num_outputs=0)


def test_lists_become_tuples_so_configs_compare_and_hash():
    config = Config(hidden_sizes=[256, 256])
    assert config.hidden_sizes == (256, 256)
    assert hash(config) == hash(Config(hidden_sizes=(256, 256)))


def test_the_choices_config_offers_are_the_ones_the_models_build():
    from mnist_mlp.checks import ACTIVATION_NAMES
    from mnist_mlp.model import ACTIVATIONS

    assert tuple(ACTIVATIONS) == ACTIVATION_NAMES
    for optimizer in ("sgd", "adam", "adamw"):
        Config(optimizer=optimizer).model()  # each choice builds


def imported_by(code):
    """The top-level packages a fresh interpreter holds after running `code`."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", f"import sys; {code}; "
                          "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_the_schema_and_the_presets_import_no_training_or_plotting_stack():
    loaded = imported_by("import mnist_mlp.config, mnist_mlp.presets")
    assert not loaded & {"torch", "d2l", "sklearn", "seaborn", "matplotlib"}


def test_listing_presets_and_asking_for_help_load_no_torch():
    loaded = imported_by("from mnist_mlp import cli; cli.main(['presets']); "
                         "cli.parser().format_help()")
    assert "torch" not in loaded
