#!/usr/bin/env bash
# One short GPU run of the bundled motion adapter (video.emoji-motion) (Genloom).
#
#   OUT=/some/folder bash tools/gpu/video_run.sh     # from the repository root
#
# Needs, carried in .gpu/: image/whl/*.whl (the diffusers wheel, as tools/gpu/prepare.sh
# writes it) and video/stills.npz (here, before the call:
#   PYTHONPATH=desktop:plugins .venv/bin/python -m genloom_video.training.train_motion \
#       --work .gpu/video --prepare-only
# renders the stills with the bundled image model; 0.4 MB). Trains with
# plugins/genloom_video/training/train_motion.py on CUDA (batch 64, lr 3e-4) for
# VIDEO_MINUTES and writes
#   $OUT/video.tar  emoji-motion/ (config.json + safetensors), loss.csv
#   $OUT/video.log  everything printed
# Back here: untar over plugins/genloom_video/models/, then rerun eval_motion.py for the
# model card's figures, contact sheet and samples.
#
# Environment: PYTHON=python3 VIDEO_MINUTES=6 VIDEO_BATCH=64 VIDEO_SITE=/tmp/site_img
#   VIDEO_WORK=/tmp/video_work (a checkpoint there is resumed)
# CPU smoke test: OUT=/tmp/o PYTHON=.venv/bin/python VIDEO_MINUTES=0.5 VIDEO_BATCH=2 VIDEO_DEVICE=cpu \
#   bash tools/gpu/video_run.sh
set -euo pipefail
: "${OUT:?set OUT to the output folder}"
PY="${PYTHON:-python3}"
SITE="${VIDEO_SITE:-/tmp/site_img}"
WORK="${VIDEO_WORK:-/tmp/video_work}"
[ -f plugins/genloom_video/training/train_motion.py ] || { echo "video_run.sh: run me from the repository root" >&2; exit 2; }
mkdir -p "$OUT" "$WORK"
exec > >(tee "$OUT/video.log") 2>&1
if ! "$PY" -c "import diffusers" 2>/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --target "$SITE" .gpu/image/whl/*.whl
  export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
fi
cp -n .gpu/video/stills.npz "$WORK/" 2>/dev/null || true
export PYTHONPATH="$PWD/desktop:$PWD/plugins${PYTHONPATH:+:$PYTHONPATH}"
"$PY" -m genloom_video.training.train_motion --work "$WORK" --device "${VIDEO_DEVICE:-cuda}" \
  --minutes "${VIDEO_MINUTES:-6}" --batch "${VIDEO_BATCH:-64}" --threads 4 --save-every 500
rm -rf "$WORK/emoji-motion"
"$PY" -m genloom_video.training.train_motion --work "$WORK" --device cpu --export "$WORK/emoji-motion"
tar -C "$WORK" -cf "$OUT/video.tar" emoji-motion loss.csv
echo "video_run.sh: wrote $OUT/video.tar"
