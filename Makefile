# One entry point for people and CI alike. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv trusts this network's certificates only through the system store.
export UV_SYSTEM_CERTS := 1
export UV_PROJECT_ENVIRONMENT := .venv
# Rasa's telemetry and error reports would send data off this machine: never.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2

# Local settings (see .env.example) reach `bot serve` and the tests through the environment.
ifneq (,$(wildcard .env))
include .env
export
endif

UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
# A Python 3.10 from PATH or pyenv; otherwise uv downloads one (on machines where it can).
PYTHON := $(shell for p in python3.10 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10.*/bin/python 2>/dev/null | sort -V | tail -n 1); do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1 && { command -v "$$p"; break; }; done)
PYTHON := $(or $(PYTHON),3.10)
BIN := .venv/bin

.PHONY: help install run run-cluster shell test lint validate clean eval eval-blind bench fuzz

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.installed: pyproject.toml uv.lock | $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --python "$(PYTHON)"
	@touch $@

install: .venv/.installed  ## create the environment and install the locked dependencies

run: install  ## set everything up and run the assistant (SQLite): Rasa on 5005, demo page and console on 8000
	$(BIN)/bot serve

# make run-cluster: the settings of .env win; otherwise this machine's PostgreSQL and Redis (docs/deploy.md).
REPLICAS ?= 2
run-cluster: export DATABASE_URL ?= postgresql+psycopg2://postgres@127.0.0.1:5432/benevoles
run-cluster: export TRACKER_STORE_URL ?= postgresql+psycopg2://postgres@127.0.0.1:5432/benevoles
run-cluster: export TRACKER_DIALECT ?= postgresql
run-cluster: export REDIS_URL ?= redis://127.0.0.1:6379/0
run-cluster: export ACTION_WORKERS ?= 2
run-cluster: install  ## the same with REPLICAS (2) Rasa processes behind HAProxy, on PostgreSQL and Redis (docs/deploy.md)
	$(BIN)/bot serve --replicas $(REPLICAS)

shell: install  ## chat with the assistant in this terminal
	$(BIN)/bot shell

test: lint  ## set everything up, check style and types (ruff, mypy) and run every test (trains one model, shared by all tests)
	$(BIN)/python -m pytest

validate: install  ## check the training data and domain (rasa data validate, every remark explained)
	$(BIN)/python -m pytest tests/test_rasa_model.py -k validate

lint: install  ## ruff (style and formatting) and mypy (types)
	$(BIN)/ruff check bot actions tests scripts
	$(BIN)/ruff format --check bot actions tests scripts
	$(BIN)/mypy bot actions tests scripts

eval: install  ## measure understanding and simulated volunteers over HTTP (writes docs/evaluation.md, ~5 min)
	MEASURE_COMMAND="make eval" $(BIN)/python -m scripts.evaluate

eval-blind: install  ## play the blind set (eval/blind/) over HTTP on the latest trained model (writes docs/evaluation.md, ~3 min)
	MEASURE_COMMAND="make eval-blind" $(BIN)/python -m scripts.eval_blind

bench: install  ## measure speed, memory, the start and a soak beside Rasa's defaults (writes docs/benchmarks.md, ~25 min)
	MEASURE_COMMAND="make bench" $(BIN)/python -m scripts.benchmark

fuzz: install  ## send 10,000 hostile inputs to every channel beside real conversations (writes docs/benchmarks.md, ~10 min)
	MEASURE_COMMAND="make fuzz" $(BIN)/python -m scripts.fuzz

clean:  ## remove the environment, trained models and local databases
	rm -rf .venv .tools models var tests/.artifacts results
