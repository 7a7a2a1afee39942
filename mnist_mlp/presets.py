"""Named configurations: models A-E of the original notebook and model F of the second one."""

# Common to A-E, as in the original: batch 64, 10 epochs.
_ORIGINAL = {"batch_size": 64, "epochs": 10}

PRESETS = {
    "A": {"hidden_sizes": [128], "af": "sigmoid", "optimizer": "sgd", "lr": 0.1, **_ORIGINAL},
    "B": {"hidden_sizes": [128], "af": "sigmoid", "optimizer": "adam", "lr": 0.001, **_ORIGINAL},
    "C": {"hidden_sizes": [128], "af": "relu", "optimizer": "adam", "lr": 0.001, **_ORIGINAL},
    "D": {"hidden_sizes": [256], "af": "relu", "optimizer": "adam", "lr": 0.001, **_ORIGINAL},
    "E": {"hidden_sizes": [256, 256], "af": "relu", "optimizer": "adam", "lr": 0.001,
          **_ORIGINAL},
    # Model F (notebooks/02_alem_do_original.ipynb): five batch-normalised hidden layers with
    # Gaussian noise on the inputs and every hidden layer (the supervised baseline of Rasmus et
    # al. 2015), AdamW with weight decay, a one-cycle learning rate and label smoothing; chosen
    # on a held-out validation split (README, "How model F was chosen").
    "F": {"hidden_sizes": [1000, 500, 250, 250, 250], "af": "relu", "optimizer": "adamw",
          "lr": 0.003, "batch_norm": True, "noise": 0.3, "weight_decay": 0.05,
          "schedule": "onecycle", "label_smoothing": 0.1, "batch_size": 256, "epochs": 24},
}

# Keyword arguments of MLP (the rest of a preset is training setup: batch size, epochs).
MODEL_KEYS = ("hidden_sizes", "af", "optimizer", "lr", "dropout", "weight_decay", "schedule",
              "label_smoothing", "input_dropout", "batch_norm", "noise", "precision")


def model_kwargs(config):
    """The MLP keyword arguments in a preset or run configuration."""
    return {key: config[key] for key in MODEL_KEYS if key in config}
