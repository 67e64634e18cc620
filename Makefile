# Genloom: the two commands of the README, and a few more for developers.
.PHONY: run test setup bench lint screenshots

PY := .venv/bin/python

setup:
	installer/setup.sh

run: setup
	$(PY) -m genloom._qt.app

# The Qt tests run in an interpreter of their own, as the app's UI process runs without
# torch and diffusers (which the plugin tests load in theirs).
test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest --ignore=tests/qt
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest tests/qt

bench: setup
	$(PY) -m tests.benchmarks

lint: setup
	$(PY) -m ruff check desktop plugins tests installer
	$(PY) -m mypy
