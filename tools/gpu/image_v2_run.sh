#!/usr/bin/env bash
# One GPU run of the image model v2 (Genloom): the text-to-image latent diffusion model on
# the emoji and icon set of prepare_icons.py, at 64 px (IMG_SIZE=128 for 128 px).
#
#   OUT=/some/folder bash tools/gpu/image_v2_run.sh     # from the repository root
#
# Needs .gpu/image/icons64.npz.xz (tools/gpu/prepare.sh makes it; ~35 MB) and, for 128 px,
# .gpu/image/icons128.npz.xz (prepare_icons.py --size 128, then the same xz step), plus the
# carried diffusers wheel (.gpu/image/whl). Trains a new VAE (its share of the budget
# fitted to the time) and then the UNet + text encoder (bf16 autocast, batch 256, the
# schedule fitted to what is left), and writes
#   $OUT/image.tar  emoji-ldm-32/ (the diffusers folder: weights, configs, tokenizer; the
#                   name finish_gpu.py expects), loss_unet.csv, loss_vae.csv, train_args.txt
#   $OUT/image.log  everything printed
# Install with: plugins/genloom_image/training/finish_gpu.py image.tar --model <folder>.
#
# Environment: PYTHON=python3  IMG_MAX_MINUTES=7 (the whole script)  IMG_SIZE=64
#   IMG_BATCH=256  IMG_LR=1e-3  IMG_THREADS=4  IMG_UNET_CHANNELS=64,128,256 (CPU run: 32,64,64)
#   IMG_VAE_SHARE=0.25  IMG_SITE=/tmp/site_img  IMG_WORK=/tmp/img_v2_work  IMG_RESUME=0
# CPU smoke test: OUT=/tmp/o PYTHON=.venv/bin/python IMG_MAX_MINUTES=2 IMG_THREADS=2 IMG_BATCH=16 \
#   IMG_UNET_CHANNELS=32,64,64 nice -n 19 bash tools/gpu/image_v2_run.sh
set -euo pipefail
T0=$(date +%s)
: "${OUT:?set OUT to the output folder}"
PY="${PYTHON:-python3}"
HERE=.gpu/image
SIZE="${IMG_SIZE:-64}"
DATA="$HERE/icons${SIZE}.npz.xz"
SITE="${IMG_SITE:-/tmp/site_img}"
WORK="${IMG_WORK:-/tmp/img_v2_work}"
TOTAL_MIN="${IMG_MAX_MINUTES:-7}"
[ -f plugins/genloom_image/training/train.py ] || { echo "image_v2_run.sh: run me from the repository root" >&2; exit 2; }
[ -f "$DATA" ] || { echo "image_v2_run.sh: no $DATA; make it with tools/gpu/prepare.sh" >&2; exit 2; }
mkdir -p "$OUT"
exec > >(tee "$OUT/image.log") 2>&1

echo "== image_v2_run.sh $(date -u +%FT%TZ) on $(hostname), python $PY, ${SIZE} px, budget $TOTAL_MIN min"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv || true
if ! "$PY" -c "import diffusers" 2>/dev/null; then
  rm -rf "$SITE"
  "$PY" -m pip install -q --no-index --no-deps --no-compile --target "$SITE" "$HERE"/whl/*.whl
  export PYTHONPATH="$SITE:${PYTHONPATH:-}"
fi
export PYTHONPATH="${PYTHONPATH:-}:$PWD/desktop" HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 TOKENIZERS_PARALLELISM=false
if [ "${IMG_RESUME:-0}" != 1 ]; then rm -rf "$WORK"; fi
mkdir -p "$WORK"
TRAIN_MIN=$("$PY" -c "print(round(max(0.5, $TOTAL_MIN - ($(date +%s) - $T0) / 60 - 0.5), 2))")
ARGS=(--data "$DATA" --work "$WORK" --out "$WORK/emoji-ldm-32" --curves "$WORK"
      --device "${IMG_DEVICE:-auto}" --threads "${IMG_THREADS:-4}" --batch "${IMG_BATCH:-256}"
      --unet-lr "${IMG_LR:-1e-3}" --unet-channels "${IMG_UNET_CHANNELS:-64,128,256}" --max-tokens 32
      --vae-steps 100000 --unet-steps 400000 --vae-share "${IMG_VAE_SHARE:-0.25}"
      --fit-to-budget --max-minutes "$TRAIN_MIN")
echo "== train.py ${ARGS[*]}"
"$PY" plugins/genloom_image/training/train.py "${ARGS[@]}"
printf '%s\n' "${ARGS[@]}" > "$WORK/train_args.txt"
git rev-parse HEAD >> "$WORK/train_args.txt" 2>/dev/null || true
tar -cf "$OUT/image.tar" -C "$WORK" emoji-ldm-32 loss_unet.csv loss_vae.csv train_args.txt
ls -l "$OUT/image.tar"
echo "== done in $(( $(date +%s) - T0 )) s"
