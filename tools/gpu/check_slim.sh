#!/bin/bash
# Bring the working tree under the 64 MiB a device call carries, for tools/gpu/check.sh:
#   bash tools/gpu/check_slim.sh aside         moves what the main check does not need into .gpu/aside
#   bash tools/gpu/check_slim.sh aside-media   the same for the video and audio check (below)
#   bash tools/gpu/check_slim.sh restore       moves it back (run it right after the device call)
# .gpu/ is git-ignored and only .gpu/check is carried, so what is set aside does not travel.
# The main check needs the image, text and code models; not the audio and video models, the
# code model's ONNX export (the ONNX CUDA tests use the image and text models), the weights
# of the image models other than emoji-ldm-32 (their folders stay, so the plugins still
# load), the image training folder's pictures and network, or docs/images. Everything at once is over the limit, so the video
# and audio GPU tests (tests/gpu/test_gpu_video_audio.py) run in a second call:
# `aside-media` keeps the emoji-ldm-32 weights, the motion adapter and folk-abc, and sets
# aside the text and code models and every ONNX export instead; then run check.sh with
# GPU_TESTS=tests/gpu/test_gpu_video_audio.py CHECK_BENCH=0.
set -euo pipefail
IMG=plugins/genloom_image
COMMON=("$IMG/models/icon-ldm-64/unet" "$IMG/models/icon-ldm-64/text_encoder" "$IMG/models/icon-ldm-64/vae"
        "$IMG/models/icon-gan-64/model.safetensors" "$IMG/models/icon-gan-64/onnx"
        "$IMG/models/icon-vae-64/model.safetensors" "$IMG/models/icon-vae-64/onnx"
        "$IMG/training/feature_net.safetensors" "$IMG/training/families.png" "$IMG/training/families_icons.png"
        plugins/genloom_code/models/stdlib-llama/onnx docs/images)
MAIN=(plugins/genloom_audio/models plugins/genloom_video/models)
MEDIA=(plugins/genloom_audio/models/espeak-vocos-en plugins/genloom_audio/models/folk-abc/samples
       plugins/genloom_video/models/emoji-motion/sample.gif plugins/genloom_video/models/emoji-motion/contact_sheet.png
       "$IMG/models/emoji-ldm-32/onnx" plugins/genloom_text/models/fortune-llama/onnx
       plugins/genloom_text/models/fortune-llama/model.safetensors
       plugins/genloom_code/models/stdlib-llama/model.safetensors)
case "${1:-}" in
  aside) PATHS=("${COMMON[@]}" "${MAIN[@]}") ;;
  aside-media) PATHS=("${COMMON[@]}" "${MEDIA[@]}") ;;
  *) PATHS=("${COMMON[@]}" "${MAIN[@]}" "${MEDIA[@]}") ;;
esac
case "${1:-}" in
  aside|aside-media)
    for p in "${PATHS[@]}"; do
      [ -e "$p" ] || continue
      mkdir -p ".gpu/aside/$(dirname "$p")"
      mv "$p" ".gpu/aside/$p"
    done ;;
  restore)
    for p in "${PATHS[@]}"; do
      [ -e ".gpu/aside/$p" ] || continue
      [ -e "$p" ] && { echo "check_slim.sh: $p exists again; left .gpu/aside/$p for you to compare"; continue; }
      mkdir -p "$(dirname "$p")"
      mv ".gpu/aside/$p" "$p"
    done ;;
  *) echo "usage: $0 aside|aside-media|restore"; exit 2 ;;
esac
git ls-files -co --exclude-standard -z | xargs -0 stat -c %s 2> /dev/null \
  | awk '{s += $1} END {printf "files that travel (tracked and untracked, not ignored): %.1f MiB\n", s / 1048576}'
du -sh .gpu/check 2> /dev/null || true
