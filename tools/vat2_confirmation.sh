#!/bin/bash
# Protocol 2, step 5 (docs/vat.md): the chosen pilot's configuration at full length, on
# validation only (seed 0, 180 epochs of 50,000 images = 150 of 60,000). --resume continues an
# interrupted run from its last finished epoch.
set -u
cd "$(dirname "$0")/.."
.venv/bin/python -m mnist_mlp train H --epochs 180 --val-split 10000 --seed 0 --vat 2.0 --noise 0.0 \
  --out runs/vat2-confirmacao --resume
