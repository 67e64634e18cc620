#!/bin/bash
# Bring the working tree under the 64 MiB a device call carries, for tools/gpu/check.sh:
#   bash tools/gpu/check_slim.sh aside     moves what the check does not need into .gpu/aside
#   bash tools/gpu/check_slim.sh restore   moves it back (run it right after the device call)
# .gpu/ is git-ignored and only .gpu/check is carried, so what is set aside does not travel.
# The check needs the image, text and code models; not the audio and video models, the
# code model's ONNX export (the ONNX CUDA tests use the image and text models), the weights
# of the image models other than emoji-ldm-32 (their folders stay, so the image plugin still
# loads), the image training folder's pictures and network, or docs/images.
set -euo pipefail
IMG=plugins/genloom_image
PATHS=(plugins/genloom_audio/models plugins/genloom_video/models plugins/genloom_code/models/stdlib-llama/onnx
       "$IMG/models/icon-ldm-64/unet" "$IMG/models/icon-ldm-64/text_encoder" "$IMG/models/icon-ldm-64/vae"
       "$IMG/models/icon-gan-64/model.safetensors" "$IMG/models/icon-gan-64/onnx"
       "$IMG/models/icon-vae-64/model.safetensors" "$IMG/models/icon-vae-64/onnx"
       "$IMG/training/feature_net.safetensors" "$IMG/training/families.png" "$IMG/training/families_icons.png"
       docs/images)
case "${1:-}" in
  aside)
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
  *) echo "usage: $0 aside|restore"; exit 2 ;;
esac
git ls-files -z | xargs -0 stat -c %s 2> /dev/null | awk '{s += $1} END {printf "tracked files present: %.1f MiB\n", s / 1048576}'
du -sh .gpu/check 2> /dev/null || true
