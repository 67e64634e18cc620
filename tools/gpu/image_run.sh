#!/usr/bin/env bash
# One short GPU run of emoji-ldm-32's UNet + text encoder (Genloom).
#
#   OUT=/some/folder bash tools/gpu/image_run.sh     # from the repository root
#
# Installs the carried diffusers wheel (.gpu/image/whl) into $IMG_SITE, trains with
# plugins/genloom_image/training/train.py on CUDA (bf16 autocast, batch 256, the schedule
# fitted to the time left), reusing the shipped VAE, and writes
#   $OUT/image.tar  emoji-ldm-32/ (the diffusers folder: weights, configs, tokenizer),
#                   loss_unet.csv, loss_vae.csv (the shipped VAE's curve), train_args.txt
#   $OUT/image.log  everything printed
# Install the result with plugins/genloom_image/training/finish_gpu.py.
#
# Environment (defaults for the GPU machine):
#   PYTHON=python3  IMG_MAX_MINUTES=6.75 (the whole script, wall clock)  IMG_DEVICE=auto
#   IMG_BATCH=256  IMG_LR=1e-3  IMG_THREADS=4  IMG_TRAIN_VAE=0 (1: train a new VAE first,
#   IMG_VAE_STEPS=3000)  IMG_SITE=/tmp/site_img  IMG_WORK=/tmp/img_work  IMG_RESUME=0
# CPU smoke test: OUT=/tmp/o PYTHON=.venv/bin/python IMG_MAX_MINUTES=1.5 IMG_THREADS=2 \
#   IMG_BATCH=32 nice -n 19 bash tools/gpu/image_run.sh
set -euo pipefail
T0=$(date +%s)
: "${OUT:?set OUT to the output folder}"
PY="${PYTHON:-python3}"
HERE=.gpu/image
SITE="${IMG_SITE:-/tmp/site_img}"
WORK="${IMG_WORK:-/tmp/img_work}"
TOTAL_MIN="${IMG_MAX_MINUTES:-6.75}"
[ -f plugins/genloom_image/training/train.py ] || { echo "run.sh: run me from the repository root" >&2; exit 2; }
mkdir -p "$OUT"
exec > >(tee "$OUT/image.log") 2>&1

echo "== image run.sh $(date -u +%FT%TZ) on $(hostname), python $PY, budget $TOTAL_MIN min"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.used,memory.total,utilization.gpu --format=csv || true

rm -rf "$SITE"
"$PY" -m pip install -q --no-index --no-deps --no-compile --target "$SITE" "$HERE"/whl/*.whl
export PYTHONPATH="$SITE:$PWD/desktop" HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 TOKENIZERS_PARALLELISM=false
"$PY" - <<'EOF'
import diffusers, torch, transformers
print(f"diffusers {diffusers.__version__} from {diffusers.__file__}; torch {torch.__version__}, "
      f"cuda {torch.cuda.is_available()}; transformers {transformers.__version__}")
if not torch.cuda.is_available():
    print("WARNING: no CUDA here; training on the CPU")
EOF

if [ "${IMG_RESUME:-0}" != 1 ]; then rm -rf "$WORK"; fi
mkdir -p "$WORK"
# What is left of the budget for train.py, less ~30 s for its imports, the tar and slack.
TRAIN_MIN=$("$PY" -c "print(round(max(0.3, $TOTAL_MIN - ($(date +%s) - $T0) / 60 - 0.5), 2))")
VAE_ARGS=(--vae-from plugins/genloom_image/models/emoji-ldm-32/vae)
if [ "${IMG_TRAIN_VAE:-0}" = 1 ]; then VAE_ARGS=(--vae-steps "${IMG_VAE_STEPS:-3000}"); fi
ARGS=(--data "$HERE/emoji32.npz.xz" --work "$WORK" --out "$WORK/emoji-ldm-32" --curves "$WORK"
      --device "${IMG_DEVICE:-auto}" --threads "${IMG_THREADS:-4}" --batch "${IMG_BATCH:-256}"
      --unet-lr "${IMG_LR:-1e-3}" --unet-steps 200000 --fit-to-budget --max-minutes "$TRAIN_MIN"
      "${VAE_ARGS[@]}")
echo "== train.py ${ARGS[*]}"
"$PY" plugins/genloom_image/training/train.py "${ARGS[@]}"

# A reused VAE has no new curve: ship the one it was trained with.
[ -f "$WORK/loss_vae.csv" ] || cp plugins/genloom_image/training/loss_vae.csv "$WORK/loss_vae.csv"
printf '%s\n' "${ARGS[@]}" > "$WORK/train_args.txt"
git rev-parse HEAD >> "$WORK/train_args.txt" 2>/dev/null || true
tar -cf "$OUT/image.tar" -C "$WORK" emoji-ldm-32 loss_unet.csv loss_vae.csv train_args.txt
ls -l "$OUT/image.tar"
echo "== done in $(( $(date +%s) - T0 )) s"
