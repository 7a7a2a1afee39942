#!/bin/bash
# Protocol 2, step 3: the nine pilots, one after another (seed 0, 24 epochs, validation only).
set -u
cd "$(dirname "$0")/.."

O=runs/vat2-pilotos
run() { name=$1; shift; echo "$(date +%T) start $name"; /usr/bin/time -f "$name %e s" .venv/bin/python -m mnist_mlp train H --epochs 24 --val-split 10000 --seed 0 --out $O/$name "$@" > $O/$name.log 2>&1; echo "$(date +%T) end $name rc=$?"; }
mkdir -p $O
run vat2-k1-ruido0   --vat 2.0 --vat-iterations 1 --noise 0.0
run vat1-k1-ruido0   --vat 1.0 --vat-iterations 1 --noise 0.0
run vat4-k1-ruido0   --vat 4.0 --vat-iterations 1 --noise 0.0
run vat2-k1-ruido03  --vat 2.0 --vat-iterations 1 --noise 0.3
run vat1-k1-ruido03  --vat 1.0 --vat-iterations 1 --noise 0.3
run vat4-k1-ruido03  --vat 4.0 --vat-iterations 1 --noise 0.3
run vat2-k2-ruido0   --vat 2.0 --vat-iterations 2 --noise 0.0
run controle-ruido0-vat0 --vat 0 --noise 0.0
run aleatoria-xi1e-6 --vat 2.0 --vat-iterations 1 --vat-xi 1e-6 --noise 0.0
echo "$(date +%T) all done"
