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

# Every screenshot in README.md and docs/ (and docs/evaluation/sample-report.*), each made
# by its script on a 1600x1000 virtual screen from a temporary GENLOOM_HOME; needs xvfb-run.
SCREEN := xvfb-run -a -s "-screen 0 1600x1000x24"
screenshots: setup
	$(SCREEN) $(PY) tests/screenshots_first_run.py docs/images
	$(SCREEN) $(PY) tests/screenshots_welcome.py docs/images
	$(SCREEN) $(PY) tests/screenshots.py docs/images
	$(SCREEN) $(PY) tests/screenshots.py docs/images --only chat
	$(SCREEN) $(PY) tests/screenshots_storyboard.py docs/images
	$(SCREEN) $(PY) tests/screenshots_compare.py docs/images
	$(SCREEN) $(PY) tests/screenshots_evaluate.py .

lint: setup
	$(PY) -m ruff check desktop plugins tests installer
	$(PY) -m mypy
