# Soi: every step is a make target. `make serve` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
MODELS := models
CONFIG ?= $(if $(FAST),training/configs/fast.toml,training/configs/default.toml)
PYTEST_ARGS ?=

.PHONY: install train eval bench-features bench bench-vispam score serve test lint format data clean

## install: create .venv and install pinned dependencies (torch 2.13.0 CPU first, then the rest)
install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet torch==2.13.0 -c constraints.txt
	$(PIP) install --quiet -e ".[dev]" -c constraints.txt
	touch $(STAMP)

# The served model: trained once if there is none yet.
$(MODELS)/current: | $(STAMP)
	$(PY) -m training train --config $(CONFIG)

## train: train the linear scorer, the transformer and their ensemble; serve the best (FAST=1: a quick small run)
train: $(STAMP)
	$(PY) -m training train --config $(CONFIG)

## eval: metrics of the current model on the test split (+ real-listing false alarms) -> reports/eval.json
eval: $(STAMP) $(MODELS)/current
	$(PY) -m training eval --model $(MODELS) --out reports/eval.json

## bench-features: normalisation + feature cost per listing -> reports/bench_features.json
bench-features: $(STAMP) $(MODELS)/current
	$(PY) -m training bench-features --model $(MODELS)

## bench: served path (onnxruntime) vs a naive transformers pipeline on 2,000 listings -> reports/bench.json
bench: $(STAMP) $(MODELS)/current
	$(PY) -m training bench --model $(MODELS) --out reports/bench.json

## bench-vispam: retrain the whole pipeline on ViSpamReviews (../shared) and report test macro-F1 -> reports/vispam.json
bench-vispam: $(STAMP)
	$(PY) -m training bench-vispam --out reports/vispam.json

## score: batch-score listings, e.g. make score IN=listings.jsonl OUT=scores.jsonl
score: $(STAMP) $(MODELS)/current
	@if [ -z "$(IN)" ] || [ -z "$(OUT)" ]; then echo "usage: make score IN=listings.jsonl OUT=scores.jsonl" >&2; exit 2; fi
	$(PY) -m serving score --in "$(IN)" --out "$(OUT)" --model $(MODELS)

## serve: install, train if no model, serve the API on $(HOST):$(PORT)
serve: $(STAMP) $(MODELS)/current
	$(PY) -m serving run --host $(HOST) --port $(PORT) --model $(MODELS)

## test: install and run the test suite
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

## lint: ruff check and format check
lint: $(STAMP)
	$(VENV)/bin/ruff check model training serving tests data/seed/generate.py
	$(VENV)/bin/ruff format --check model training serving tests data/seed/generate.py

format: $(STAMP)
	$(VENV)/bin/ruff format model training serving tests data/seed/generate.py
	$(VENV)/bin/ruff check --fix model training serving tests data/seed/generate.py

## data: regenerate the committed seed dataset (deterministic)
data:
	$(PYTHON) data/seed/generate.py

## clean: remove the virtual environment, trained models and reports
clean:
	rm -rf $(VENV) $(MODELS) reports .pytest_cache
