#!/bin/bash
# Make .gpu/check/whl (.gpu/ is in .gitignore): the pure-Python wheels tools/gpu/check.sh needs on a GPU
# machine that has torch, transformers, accelerate and onnxruntime but no diffusers and no
# network (the same diffusers version as the venv's, and platformdirs). About 5 MB.
set -euo pipefail
PY=${PYTHON:-.venv/bin/python}
mkdir -p .gpu/check/whl
for name in diffusers platformdirs; do
  VERSION=$($PY -c "import importlib.metadata as m; print(m.version('$name'))")
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform any -d .gpu/check/whl "$name==$VERSION"
done
du -sh .gpu/check/whl
