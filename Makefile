# Soi: every step is a make target. `make serve` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# three installs: the base package (what `make serve` needs), dev tools (tests, lint, benchmarks) and the
# `scale` extra (Ray, for `make rescore` and `make test`); serving never installs the engine
BASE_STAMP := $(VENV)/.installed-base
STAMP := $(VENV)/.installed
SCALE_STAMP := $(VENV)/.installed-scale
HOST ?= 127.0.0.1
PORT ?= 8000
MODELS := models
CONFIG ?= $(if $(FAST),training/configs/fast.toml,training/configs/default.toml)
PYTEST_ARGS ?=
WORKERS ?= 1
ROLE ?=
# DEV=1 turns authentication off (development only; logged loudly at startup)
SERVE_ENV := $(if $(DEV),SOI_AUTH_DISABLED=1,)

.PHONY: install train eval bench-features bench bench-vispam bench-load bench-fault bench-hostile bench-review bench-team bench-cases bench-cases-speed bench-reposts bench-store verify-evidence score serve migrate key export-reviews retrain drift rescore bench-rescore test lint format data clean

## install: create .venv and install pinned dependencies (torch 2.13.0 CPU first, then the rest, dev tools too)
install: $(STAMP)

$(BASE_STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet torch==2.13.0 -c constraints.txt
	$(PIP) install --quiet -e . -c constraints.txt
	touch $(BASE_STAMP)

$(STAMP): $(BASE_STAMP)
	$(PIP) install --quiet -e ".[dev]" -c constraints.txt
	touch $(STAMP)

$(SCALE_STAMP): $(BASE_STAMP)
	$(PIP) install --quiet -e ".[scale]" -c constraints.txt
	touch $(SCALE_STAMP)

# The seed dataset is generated from its phrase pools (deterministic, under a second), not committed: written on
# first use and again whenever a pool file (data/seed/pools/*.json) or the generator changes. The generator
# validates the pools with pydantic, so it runs in the virtual environment.
SEED := data/seed/listings.jsonl
$(SEED): $(wildcard data/seed/*.py data/seed/pools/*.json) | $(BASE_STAMP)
	$(PY) data/seed/generate.py

# The served model: trained once if there is none yet.
$(MODELS)/current: | $(BASE_STAMP) $(SEED)
	$(PY) -m training train --config $(CONFIG)

## train: train the linear scorer, the transformer and their ensemble; serve the best (FAST=1: a quick small run)
train: $(BASE_STAMP) $(SEED)
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
score: $(BASE_STAMP) $(MODELS)/current
	@if [ -z "$(IN)" ] || [ -z "$(OUT)" ]; then echo "usage: make score IN=listings.jsonl OUT=scores.jsonl" >&2; exit 2; fi
	$(PY) -m serving score --in "$(IN)" --out "$(OUT)" --model $(MODELS)

## serve: install, train if no model, migrate the database, serve the API on $(HOST):$(PORT) (WORKERS=n, DEV=1)
serve: $(BASE_STAMP) $(MODELS)/current
	$(SERVE_ENV) $(PY) -m serving run --host $(HOST) --port $(PORT) --model $(MODELS) --workers $(WORKERS)

## migrate: apply database migrations (SQLite var/soi.db by default, DATABASE_URL for PostgreSQL)
migrate: $(BASE_STAMP)
	$(PY) -m serving migrate

## key: create an API key, e.g. make key ROLE=crawler (or reviewer, lead, admin); the key is the last line printed
key: $(BASE_STAMP)
	@if [ -z "$(ROLE)" ]; then echo "usage: make key ROLE=crawler|reviewer|lead|admin [NAME=...]" >&2; exit 2; fi
	@$(PY) -m serving key --role "$(ROLE)" $(if $(NAME),--name "$(NAME)",)

## export-reviews: reviewed listings as training JSONL -> reports/reviews.jsonl (what GET /v1/reviews/export serves)
export-reviews: $(STAMP)
	$(PY) -m serving export --out reports/reviews.jsonl

## retrain: retrain on the reviewed listings in the database (or REVIEWS=file.jsonl), each weighted by its reviewer's
##          measured reliability (UNWEIGHTED=1: all count fully); promote only if better
##          (RELOAD_URL=http://127.0.0.1:8000/v1/admin/reload and SOI_ADMIN_KEY ask the running service to reload)
retrain: $(STAMP) $(MODELS)/current
	@reviews="$(REVIEWS)"; if [ -z "$$reviews" ]; then reviews=reports/reviews.jsonl; \
	  $(PY) -m serving export --out $$reviews || exit 1; fi; \
	$(PY) -m training retrain --config $(CONFIG) --reviews "$$reviews" $(if $(RELOAD_URL),--reload-url "$(RELOAD_URL)",) \
	  $(if $(UNWEIGHTED),--unweighted,)

## drift: population stability of the last DAYS (7) days of listings and scores (or RECENT=file.jsonl)
drift: $(STAMP) $(MODELS)/current
	@recent="$(RECENT)"; if [ -z "$$recent" ]; then recent=reports/recent.jsonl; \
	  $(PY) -m serving recent --days $(or $(DAYS),7) --out $$recent || exit 1; fi; \
	$(PY) -m training drift --model $(MODELS) --recent "$$recent"

## bench-load: load test of the API on loopback (batch scoring + 200 concurrent singles), SQLite and PostgreSQL
##             (PG_URL=… an empty database it may wipe; else a throwaway local cluster) -> reports/bench_load.json
bench-load: $(STAMP) $(MODELS)/current
	$(PY) scripts/bench_load.py --model $(MODELS) --out reports/bench_load.json $(if $(PG_URL),--pg-url "$(PG_URL)",)

## bench-fault: kill PostgreSQL under load, restart it, check 503s, recovery and every acknowledged review
bench-fault: $(STAMP) $(MODELS)/current
	$(PY) scripts/bench_fault.py --model $(MODELS) --out reports/bench_fault.json

## bench-hostile: hostile input against issue 12's targets (reading per KB, slowest listing and batch, /healthz p99
##                while the slowest batches are scored, memory after 1,000 hostile requests) -> reports/bench_hostile.json
bench-hostile: $(STAMP) $(MODELS)/current
	$(PY) scripts/bench_hostile.py --model $(MODELS) --out reports/bench_hostile.json

## bench-review: keyboard reviews in Chromium (the browser test), timed -> reports/bench_review.json + screenshots
bench-review: $(STAMP)
	$(PY) -m pytest tests/serving/test_review_browser.py -q -p no:cacheprovider
	@cat reports/bench_review.json

## bench-team: simulated review team with one careless reviewer: detection, weights, weighted vs unweighted retrain
##             -> reports/bench_team.json
bench-team: $(STAMP)
	$(PY) scripts/bench_team.py --out reports/bench_team.json --work reports/bench_team

## rescore: rescore every stored listing with the current model on Ray Data (local mode; a cluster when RAY_ADDRESS
##          is set; WORKERS=n, default every CPU); IN='crawl/*.jsonl' OUT=folder rescores a crawl archive to Parquet
rescore: $(SCALE_STAMP) $(MODELS)/current
	$(PY) -m serving rescore --model $(MODELS) $(if $(IN),--archive "$(IN)" --out "$(or $(OUT),reports/rescore)",) \
	  $(if $(filter command line environment,$(origin WORKERS)),--workers $(WORKERS),)

## bench-rescore: 200,000 real listings rescored in local mode, 1 and 2 workers, stored (SQLite; PG_URL=… an empty
##                PostgreSQL too) and archive -> reports/bench_rescore.json
bench-rescore: $(SCALE_STAMP) $(MODELS)/current
	$(PY) scripts/bench_rescore.py --model $(MODELS) --out reports/bench_rescore.json $(if $(PG_URL),--pg-url "$(PG_URL)",)

## bench-cases: linkage quality on a generated world of operators mixed into real listings -> reports/bench_cases.json
bench-cases: $(STAMP)
	$(PY) scripts/bench_cases.py --out reports/bench_cases.json

## bench-reposts: what linking costs as operators post the same texts again and again (the bench listings stored
##                round after round with new ids; SQLite, and PostgreSQL with PG_URL=…) -> reports/bench_reposts.json
bench-reposts: $(STAMP) $(MODELS)/current
	$(PY) scripts/bench_reposts.py --model $(MODELS) --out reports/bench_reposts.json $(if $(PG_URL),--pg-url "$(PG_URL)",)

## bench-store: CPU of storing (fingerprints, storing, linking) split into a part per transaction and a part per
##              listing (transactions of 8 and of 64; SQLite, and PostgreSQL with PG_URL=...) -> reports/bench_store.json
bench-store: $(STAMP) $(MODELS)/current
	$(PY) scripts/bench_store.py --model $(MODELS) --out reports/bench_store.json $(if $(PG_URL),--pg-url "$(PG_URL)",)

## bench-cases-speed: linking cost per listing with 1,000,000 listings stored (SQLite; PostgreSQL with PG_URL=...)
bench-cases-speed: $(STAMP)
	$(PY) scripts/bench_cases_speed.py --stored $(or $(STORED),1000000) $(if $(PG_URL),--pg-url "$(PG_URL)",) --out reports/bench_cases_speed.json

## verify-evidence: check a case's evidence bundle, e.g. make verify-evidence IN=soi-vu-viec-12.zip
verify-evidence: $(STAMP)
	@if [ -z "$(IN)" ]; then echo "usage: make verify-evidence IN=bundle.zip" >&2; exit 2; fi
	$(PY) -m serving verify-evidence "$(IN)"

## test: install (with the scale extra, for the Ray engine's test) and run the test suite
test: $(STAMP) $(SCALE_STAMP) $(SEED)
	$(PY) -m pytest $(PYTEST_ARGS)

## lint: ruff check and format check
LINT_PATHS := model training serving tests scripts data/seed/*.py data/blind_counterfeit/validate.py
lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

format: $(STAMP)
	$(VENV)/bin/ruff format $(LINT_PATHS)
	$(VENV)/bin/ruff check --fix $(LINT_PATHS)

## data: regenerate the seed dataset from its phrase pools (deterministic)
data: $(BASE_STAMP)
	$(PY) data/seed/generate.py

## clean: remove the virtual environment, trained models and reports
clean:
	rm -rf $(VENV) $(MODELS) reports .pytest_cache
