# Genloom: the two commands of the README, and a few more for developers.
.PHONY: run test setup bench lint screenshots

PY := .venv/bin/python

setup:
	installer/setup.sh

run: setup
	$(PY) -m genloom._qt.app

test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: setup
	$(PY) -m tests.benchmarks

lint: setup
	$(PY) -m ruff check desktop plugins tests
	$(PY) -m mypy
