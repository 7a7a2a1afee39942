#!/usr/bin/env bash
# `make colab`: the package on Google Colab's stack (requirements-colab.txt) in .venv-colab,
# Python 3.13 found through pyenv. Fails if installing d2l and the package would change any of
# Colab's versions; then runs the fast unit tests (not `slow`) that are not about the pinned
# .venv (not `pinned`) and executes notebook 1 on a short schedule into build/colab/.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-colab
REQS=requirements-colab.txt

python313() {
  local version
  if [[ -n "${COLAB_PYTHON:-}" ]]; then echo "$COLAB_PYTHON"; return; fi
  command -v pyenv >/dev/null || { echo "make colab: pyenv not found; set COLAB_PYTHON to a Python 3.13" >&2; exit 2; }
  version=$(pyenv versions --bare --skip-aliases | grep -E '^3\.13(\.[0-9]+)?$' | sort -V | tail -1)
  [[ -n $version ]] || { echo "make colab: no Python 3.13 among pyenv's versions; 'pyenv install 3.13' or set COLAB_PYTHON" >&2; exit 2; }
  echo "$(pyenv root)/versions/$version/bin/python"
}

if ! cmp -s "$REQS" "$VENV/.requirements" 2>/dev/null; then
  rm -rf "$VENV"
  "$(python313)" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -r "$REQS"
  cp "$REQS" "$VENV/.requirements"
fi
PY="$VENV/bin/python"
"$PY" --version

# What a Colab reader runs (README, "Google Colab"): d2l without its pins, then this package
# with its dependency ranges resolved. Neither may touch Colab's versions.
before=$(mktemp); after=$(mktemp); trap 'rm -f "$before" "$after"' EXIT
"$PY" -m pip freeze --exclude-editable | grep -v -i -e '^d2l==' -e '^mnist.mlp' >"$before"
"$PY" -m pip install --quiet --no-deps d2l==1.0.3
"$PY" -m pip install --quiet --upgrade-strategy only-if-needed .
"$PY" -m pip freeze --exclude-editable | grep -v -i -e '^d2l==' -e '^mnist.mlp' >"$after"
if ! diff "$before" "$after"; then
  echo "make colab: installing d2l and mnist-mlp changed Colab's packages (diff above)" >&2
  exit 1
fi
echo "installing d2l 1.0.3 and mnist-mlp changed none of Colab's $(wc -l <"$before") packages"

"$PY" -m pytest tests -m "not pinned and not slow" -p no:cacheprovider -q
MNIST_MLP_EPOCHS=1 "$PY" tools/run_notebooks.py notebooks/01_mlp_mnist.ipynb --output build/colab
