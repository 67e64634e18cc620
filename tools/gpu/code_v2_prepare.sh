#!/bin/bash
# Make .gpu/code-v2 (git-ignored) for tools/gpu/code_v2_run.sh: the PyPI corpus
# (downloaded into CACHE, default /work/ckpt/pypi), the stdlib, the tokenizer trained on
# both, as xz JSON lines. Run from the repo root on the development machine (needs pip
# access to PyPI).
set -euo pipefail
PY=${PYTHON:-.venv/bin/python}
CACHE=${CACHE:-/work/ckpt/pypi}
EXCLUDE=$(git rev-parse --git-path info/exclude)  # a worktree's .git is a file
mkdir -p "$(dirname "$EXCLUDE")"
grep -qx '/.gpu/' "$EXCLUDE" 2>/dev/null || echo '/.gpu/' >> "$EXCLUDE"
mkdir -p .gpu "$CACHE"
$PY plugins/genloom_code/training/build_code_corpus.py --cache "$CACHE" \
    --out "$CACHE/../pypi-corpus.jsonl.xz"
$PY plugins/genloom_code/training/train_code_v2.py --preset gpu \
    --pypi-corpus "$CACHE/../pypi-corpus.jsonl.xz" --ckpt-dir .gpu/code-v2 --prepare-only
du -sh .gpu/code-v2
