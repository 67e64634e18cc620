#!/bin/bash
# Make .gpu/ (git-ignored): everything tools/gpu/run.sh needs on a GPU machine that has
# PyTorch, transformers and tokenizers but no network, no diffusers and none of the raw
# data. Run from the repo root on the development machine (needs the fortunes,
# fonts-noto-color-emoji and unicode-data Debian packages, and pip access for one wheel).
set -euo pipefail
PY=${PYTHON:-.venv/bin/python}
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
mkdir -p .gpu/image/whl
# Language models: corpus (xz JSON lines), tokenizer and facts for the card.
$PY plugins/genloom_code/training/train_stdlib.py --preset gpu --ckpt-dir .gpu/code --prepare-only
$PY plugins/genloom_text/training/train_fortunes.py --preset gpu --ckpt-dir .gpu/text --prepare-only
# Emoji images: the .npz re-saved uncompressed and xz-compressed (25% smaller than .npz).
if [ ! -f .gpu/image/emoji32.npz.xz ]; then
  $PY plugins/genloom_image/training/prepare_emoji.py --out /tmp/emoji32.npz --size 32
  $PY -c "import numpy as np; d = np.load('/tmp/emoji32.npz'); np.savez('/tmp/emoji32-plain.npz', **d)"
  xz -9e -c /tmp/emoji32-plain.npz > .gpu/image/emoji32.npz.xz
fi
# Image model v2 (tools/gpu/image_v2_run.sh): the emoji and icon set of prepare_icons.py
# (needs its Debian packages; see that script), uncompressed then xz-compressed (~35 MB).
if [ ! -f .gpu/image/icons64.npz.xz ]; then
  [ -f /work/data/icons64.npz ] || $PY plugins/genloom_image/training/prepare_icons.py --out /work/data/icons64.npz
  $PY -c "import numpy as np; d = np.load('/work/data/icons64.npz'); np.savez('/tmp/icons64-plain.npz', **d)"
  xz -6 -T2 -c /tmp/icons64-plain.npz > .gpu/image/icons64.npz.xz
fi
# diffusers is not on the GPU image: carry the same version as the venv's (pure Python).
VERSION=$($PY -c "import diffusers; print(diffusers.__version__)")
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp --platform any -d .gpu/image/whl "diffusers==$VERSION"
du -sh .gpu/* && echo "tracked files: $(git ls-files -z | xargs -0 du -cb | tail -1)"
