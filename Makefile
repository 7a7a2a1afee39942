# mnist-mlp: `make run` and `make test` are all a reader needs; both set up .venv first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NOTEBOOKS := notebooks/01_mlp_mnist.ipynb notebooks/02_alem_do_original.ipynb \
             notebooks/03_o_que_o_mlp_aprendeu.ipynb notebooks/04_exemplos_adversariais.ipynb \
             notebooks/apendice_ate_onde_vai_um_mlp.ipynb
# The answer key, one notebook per lesson; absent from the students' copy (make aulas).
SOLUTIONS := $(sort $(wildcard solucoes/*.ipynb))
# requirements-lock.txt is resolved on Python 3.11 (Linux x86_64): `make setup` refuses another
# Python in one line, before creating or installing anything.
PYTHON_VERSION := 3.11

.PHONY: help setup lint test unit browser run smoke results references respostas long aulas bench report colab lock repositorio clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(STAMP) ## create .venv (Python 3.11): pinned packages and dev tools, the package editable

$(STAMP): requirements.txt requirements-dev.txt requirements-d2l.txt requirements-lock.txt pyproject.toml
	@python=$(PYTHON); fix="make setup PYTHON=python$(PYTHON_VERSION)"; \
	if test -x $(PY); then python=$(PY); fix="rm -rf $(VENV) && $$fix"; fi; \
	$$python -c 'import sys; sys.exit("%d.%d" % sys.version_info[:2] != "$(PYTHON_VERSION)")' 2>/dev/null || { \
	  echo "make setup: needs Python $(PYTHON_VERSION), the version requirements-lock.txt is resolved for; $$python is $$({ $$python --version || echo 'not found'; } 2>&1 | tail -1): $$fix" >&2; exit 2; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt -c requirements-lock.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-d2l.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -c "import mnist_mlp, d2l.torch"
	touch $@

lint: $(STAMP) ## ruff over the package, tests, tools, benchmarks and notebooks
	$(PY) -m ruff check .

test: lint ## ruff, unit tests, then the notebooks and the answer key executed and compared by nbval
	env -u MNIST_MLP_EPOCHS -u MNIST_MLP_SEED MNIST_MLP_SCHEDULE=short $(PY) -m pytest tests $(NOTEBOOKS) $(SOLUTIONS) \
	  --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg \
	  --nbval-cell-timeout 1200

unit: $(STAMP) ## fast unit tests (tiny models, no subprocess or kernel), the failure budget among them; without MNIST, those not needing it
	$(PY) -m pytest tests -m "not slow"

# The drawing pad (mnist_mlp/pad.py) in headless Chromium through JupyterLab, with the system's
# chromium and chromedriver (nothing downloads a browser build). Only this target runs
# tests/browser: `pytest tests` leaves that folder out (tests/conftest.py).
browser: $(STAMP) ## draw digits on the pad in headless Chromium (JupyterLab); screenshots in build/browser
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  echo "make browser: needs chromium and chromedriver on PATH: sudo apt-get install chromium chromium-driver" >&2; exit 2; }
	$(PY) -m pytest tests/browser -m browser -rA

# `make run SEED=1` (or MNIST_MLP_SEED=1 make run) trains every notebook with other seeds and
# writes the executed copies, HTML and results into build/semente-1/; the notebooks keep seed 0's.
SEED ?= $(or $(MNIST_MLP_SEED),0)

run: $(STAMP) ## execute the notebooks, then the answer key, in place (SEED=N: into build/semente-N); HTML in build/
	@[[ "$(SEED)" =~ ^[0-9]+$$ ]] || { echo "make run: SEED must be a whole number >= 0, got '$(SEED)'" >&2; exit 2; }
ifeq ($(SEED),0)
	env -u MNIST_MLP_SEED $(PY) tools/run_notebooks.py $(NOTEBOOKS) $(SOLUTIONS) --inplace --html build
	$(PY) -m tools.readme_figure
else
	MNIST_MLP_SEED=$(SEED) $(PY) tools/run_notebooks.py $(NOTEBOOKS) $(SOLUTIONS) --output build/semente-$(SEED)
endif

smoke: $(STAMP) ## quick run of the notebooks (1 epoch) into build/smoke, committed ones untouched
	MNIST_MLP_EPOCHS=1 MNIST_MLP_SCHEDULE=short $(PY) tools/run_notebooks.py $(NOTEBOOKS) $(SOLUTIONS) --output build/smoke

results: $(STAMP) ## models A-F, 3 seeds each, 10,000 held-out images (~15 min): build/seeds.md
	for preset in A B C D E F; do \
	  $(PY) -m mnist_mlp train $$preset --seeds 0 1 2 --val-split 10000 --out build/runs || exit 1; \
	done
	set -o pipefail; $(PY) -m mnist_mlp compare build/runs/*-seed*/ | tee build/seeds.md

# A long preset's three seeds on all 60,000 images (H by default, ~70 min on a 2-core CPU;
# LONG=G for G, ~45 min; LONG=I for I, H with a virtual-adversarial term, ~90 min on a Xeon;
# LONG=J for J, H with VAT as the paper computes it, about as long as I),
# then their test accuracies, ensemble and environment in build/longo_$(LONG).json and the test images each gets wrong in build/erros_teste_$(LONG).json (results/ holds the committed copies). Interrupted, `make long` again
# keeps the finished seeds and continues the one in progress from its last epoch (--resume).
LONG ?= H
LONG_RUNS = $(foreach seed,0 1 2,build/runs-long/$(LONG)-seed$(seed))

# The fixed measurements the notebooks read from results/ (seeds 0-4) and the failure budget's
# reference runs (python -m tools.budget: seeds 0-9, the CPU classes results/ holds). Notebook
# 1's models A-E (its protocol: the test set as validation); notebook 2's recipes E and F,
# measured as notebooks 2, 3 and 4 measure their own; notebook 4's five-epoch F with and without
# adversarial training. About 100 minutes on a 2-core CPU; interrupted, `make references` again
# keeps the finished seeds (--resume). Copy build/sementes_*.json to results/ to commit them.
REFERENCE_RUNS := build/runs-referencia
R := $(REFERENCE_RUNS)
references: $(STAMP) ## seeds 0-9 of the notebooks' models: build/sementes_caderno*.json (0-4 and 5-9)
	for preset in A B C D E; do \
	  $(PY) -m mnist_mlp train $$preset --seeds 0 1 2 3 4 5 6 7 8 9 --resume --out $(R)/caderno1 || exit 1; \
	done
	$(PY) -m mnist_mlp train E --seeds 0 1 2 3 4 5 6 7 8 9 --val-split 10000 --resume --out $(R)/caderno3
	$(PY) -m mnist_mlp train F --seeds 0 1 2 3 4 5 6 7 8 9 --no-validation --epochs 20 --resume --out $(R)/caderno3
	$(PY) -m mnist_mlp train F --seeds 0 1 2 3 4 5 6 7 8 9 --no-validation --epochs 5 --adversarial 0.1 --resume --out $(R)/caderno4/adversarial
	$(PY) -m mnist_mlp train F --seeds 0 1 2 3 4 5 6 7 8 9 --no-validation --epochs 5 --resume --out $(R)/caderno4/cinco-epocas
	for seeds in 0-4 5-9; do \
	  $(PY) -m mnist_mlp collect $(R)/caderno1/*-seed[$$seeds] --out build/sementes_caderno1_$$seeds.json && \
	  $(PY) -m tools.notebook3_seeds $(R)/caderno3/*-seed[$$seeds] --out build/sementes_caderno3_$$seeds.json && \
	  $(PY) -m tools.notebook4_seeds $(R)/caderno3/*-seed[$$seeds] $(R)/caderno4/*/*-seed[$$seeds] \
	    --out build/sementes_caderno4_$$seeds.json || exit 1; \
	done
	$(PY) -m tools.notebook2_seeds $(R)/caderno3/*-seed? --out build/sementes_caderno2.json
	$(PY) -m tools.strong_pgd $(R)/caderno4/*/F-seed[5-9] --out build/pgd_forte_caderno4.json
	@echo "results/ names seeds 0-4's files sementes_caderno{1,3,4}.json; then python -m tools.budget"

# The answer key's fixed measurements (solucoes/): notebook 1's exercises over seeds 0-4 with one
# setting changed each (about 10 minutes on a 2-core CPU), read by tools/notebook1_answers.py;
# notebook 2's exercises 1-3, F with one setting changed and F itself over seeds 0-4 (about 25
# minutes), read by tools/notebook2_answers.py; notebook 4's exercises 1-3 on the reference runs
# of notebook 3 (make references; under a minute).
# Interrupted, `make respostas` again keeps the finished seeds. Copy build/respostas_*.json to
# results/ to commit them.
ANSWER_RUNS := build/runs-respostas
respostas: $(STAMP) ## the answer key's multi-seed runs (seeds 0-4): build/respostas_caderno{1,2,4}.json
	set -e; A=$(ANSWER_RUNS)/caderno1; seeds="--seeds 0 1 2 3 4 --resume"; \
	for lr in 0.001 0.01 0.5; do $(PY) -m mnist_mlp train A --lr $$lr $$seeds --out $$A/A-taxa-$$lr; done; \
	$(PY) -m mnist_mlp train C --batch-size 256 $$seeds --out $$A/C-lote-256; \
	$(PY) -m mnist_mlp train B --lr 0.1 $$seeds --out $$A/B-taxa-0.1; \
	$(PY) -m mnist_mlp train A $$seeds --out $$A/A; \
	$(PY) -m mnist_mlp train E $$seeds --out $$A/E; \
	$(PY) -m tools.notebook1_answers $$A/*/*-seed? --out build/respostas_caderno1.json
	set -e; B=$(ANSWER_RUNS)/caderno2; seeds="--seeds 0 1 2 3 4 --val-split 10000 --resume"; \
	$(PY) -m mnist_mlp train F --noise 0 $$seeds --out $$B/F-sem-ruido; \
	$(PY) -m mnist_mlp train F --no-batch-norm $$seeds --out $$B/F-sem-normalizacao; \
	$(PY) -m mnist_mlp train F --label-smoothing 0 $$seeds --out $$B/F-sem-suavizacao; \
	$(PY) -m mnist_mlp train F $$seeds --out $$B/F; \
	$(PY) -m tools.notebook2_answers $$B/*/F-seed? --out build/respostas_caderno2.json
	@test -d $(R)/caderno3/E-seed4 || { echo "make respostas: notebook 4's answers read the reference runs of make references ($(R)/caderno3): run make references first" >&2; exit 2; }
	$(PY) -m tools.notebook4_answers $(R)/caderno3/*-seed[0-4] --out build/respostas_caderno4.json

long: $(STAMP) ## the long preset H (LONG=G or I): 3 seeds (~23 min each for H), build/longo_$(LONG).json
	$(PY) -m mnist_mlp train $(LONG) --seeds 0 1 2 --no-validation --resume --out build/runs-long
	$(PY) -m mnist_mlp evaluate $(LONG_RUNS)
	$(PY) -m mnist_mlp collect $(LONG_RUNS) --ensemble --out build/longo_$(LONG).json
	$(PY) -m tools.wrong_images $(LONG_RUNS) --out build/erros_teste_$(LONG).json

bench: $(VENV)/.bench ## models E and F: original pipeline, package, hand loop, sklearn, JAX, GEMM floor
	$(PY) -m benchmarks.bench $(BENCH_ARGS)

report: $(STAMP) ## rewrite the benchmark tables in docs/performance.md from build/bench.json
	$(PY) -m benchmarks.report

# JAX + optax, for the benchmark's peer only: not a dependency of the package or of make test.
$(VENV)/.bench: $(STAMP) requirements-bench.txt
	$(PY) -m pip install --quiet -r requirements-bench.txt -c requirements-lock.txt
	touch $@

colab: ## the package on Google Colab's versions (Python 3.13, .venv-colab): install check, fast tests
	bash tools/colab_check.sh

lock: $(STAMP) ## rewrite requirements-lock.txt from the current .venv
	{ sed -n '1,3p' requirements-lock.txt; $(PY) -m pip freeze --exclude-editable | grep -v '^d2l=='; } > requirements-lock.tmp
	mv requirements-lock.tmp requirements-lock.txt

repositorio: $(STAMP) ## URL=... : the git address every notebook's first cell clones on Colab (a teacher's fork, once)
	$(PY) -m tools.repository "$(URL)"

# For a teacher who hands out the lessons without their answers: the last commit, solucoes/ left
# out, as build/aulas.zip (unpack it into a new repository, push it, then make repositorio URL=...
# there, so Colab clones the copy without the key).
aulas: ## the lessons without the answer key (the last commit, no solucoes/): build/aulas.zip
	@git rev-parse --verify -q HEAD >/dev/null || { echo "make aulas: needs a git checkout with a commit" >&2; exit 2; }
	@mkdir -p build
	git archive --format=zip --prefix=mnist-mlp/ -o build/aulas.zip HEAD -- . ':(exclude)solucoes'
	@echo "build/aulas.zip: the lessons, package and results of $$(git rev-parse --short HEAD), without solucoes/"

clean: ## remove build outputs (keeps .venv and data/)
	rm -rf build .pytest_cache .ruff_cache
