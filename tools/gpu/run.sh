#!/bin/bash
# One GPU session: train the bundled code, text and image models at once on one GPU.
# Run from the repo root with OUT set, after tools/gpu/prepare.sh made .gpu/ (see
# tools/gpu/README.md). PYTHON, LM_ARGS, LM_MINUTES and SKIP_IMAGE override for a CPU
# smoke test.
set -u
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=true
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null 
$PY -c "import torch, transformers, tokenizers; print(torch.__version__, transformers.__version__, tokenizers.__version__, torch.cuda.is_available())" 
W=/tmp/genloom-train
rm -rf "$W"; mkdir -p "$W"
cp -r .gpu/code "$W/code"; cp -r .gpu/text "$W/text"
M=${LM_MINUTES:-6.5}
( $PY plugins/genloom_code/training/train_stdlib.py --preset gpu --ckpt-dir "$W/code" \
      --out "$W/stdlib-llama" --threads 4 --max-minutes "$M" ${LM_ARGS:-} > "$OUT/code.log" 2>&1
  tar -C "$W" -cf "$OUT/code.tar" stdlib-llama ) &
( $PY plugins/genloom_text/training/train_fortunes.py --preset gpu --ckpt-dir "$W/text" \
      --out "$W/fortune-llama" --threads 4 --max-minutes "$M" --eval-every 100 ${LM_ARGS:-} \
      > "$OUT/text.log" 2>&1
  tar -C "$W" -cf "$OUT/text.tar" fortune-llama ) &
if [ -z "${SKIP_IMAGE:-}" ]; then
  bash tools/gpu/image_run.sh > /dev/null 2>&1 &   # it logs to $OUT/image.log itself
fi
wait
ls -la "$OUT"
for f in "$OUT"/*.log; do echo "== $f"; tail -n 4 "$f"; done
