#!/bin/bash
# Bring the working tree under the 64 MiB a device call carries, for tools/gpu/check.sh:
#   bash tools/gpu/check_slim.sh aside         moves what the main check does not need into .gpu/aside
#   bash tools/gpu/check_slim.sh aside-media   the same for the video and audio check (below)
#   bash tools/gpu/check_slim.sh restore       moves it back (run it right after the device call)
# .gpu/ is git-ignored and only .gpu/check is carried, so what is set aside does not travel.
# The main check needs the image, text and code models; not the audio and video models, the
# code model's ONNX export (the main call's ONNX CUDA test is the text model's), the weights
# of the image models other than the default icon-ldm-64 (their folders stay, so the plugins
# still load), the image training folder's pictures and network, or docs/images. Everything
# at once is over the limit, so the video and audio GPU tests (tests/gpu/test_gpu_video_audio.py)
# run in a second call, with the default image model's ONNX test (its onnx/ does not fit the
# first): `aside-media` keeps the emoji-ldm-32 weights (the motion adapter's image model),
# the motion adapter, folk-abc and icon-ldm-64 with its onnx/, and sets aside the text and
# code models and the other ONNX exports instead; then run check.sh with GPU_TESTS="
# tests/gpu/test_gpu_video_audio.py tests/gpu/test_gpu_paths.py::test_onnx_image_runs_on_the_cuda_provider"
# CHECK_BENCH=0.
set -euo pipefail
IMG=plugins/genloom_image
COMMON=("$IMG/models/icon-gan-64/model.safetensors" "$IMG/models/icon-gan-64/onnx"
        "$IMG/models/icon-vae-64/model.safetensors" "$IMG/models/icon-vae-64/onnx"
        "$IMG/training/feature_net.safetensors" "$IMG/training/families.png" "$IMG/training/families_icons.png"
        plugins/genloom_code/models/stdlib-llama/onnx docs/images)
MAIN=(plugins/genloom_audio/models plugins/genloom_video/models
      "$IMG/models/emoji-ldm-32/unet" "$IMG/models/emoji-ldm-32/text_encoder" "$IMG/models/emoji-ldm-32/vae"
      "$IMG/models/emoji-ldm-32/onnx" "$IMG/models/icon-ldm-64/onnx")
MEDIA=(plugins/genloom_audio/models/espeak-vocos-en plugins/genloom_audio/models/folk-abc/samples
       plugins/genloom_video/models/emoji-motion/sample.gif plugins/genloom_video/models/emoji-motion/contact_sheet.png
       "$IMG/models/emoji-ldm-32/onnx" plugins/genloom_text/models/fortune-llama/onnx
       plugins/genloom_text/models/fortune-llama/model.safetensors
       plugins/genloom_code/models/stdlib-llama/model.safetensors)
paths_for() {
  case "$1" in
    aside) PATHS=("${COMMON[@]}" "${MAIN[@]}") ;;
    aside-media) PATHS=("${COMMON[@]}" "${MEDIA[@]}") ;;
  esac
}
case "${1:-}" in
  aside|aside-media)
    if [ -d .gpu/aside ] && [ -n "$(find .gpu/aside -type f -print -quit)" ]; then
      echo "check_slim.sh: .gpu/aside still holds files from an earlier aside; run '$0 restore' first"
      exit 1
    fi
    # Empty folders left there would take a moved folder inside them (mv into a directory).
    rm -rf .gpu/aside
    mkdir -p .gpu/aside
    echo "$1" > .gpu/aside/MODE  # restore moves back what this mode moved, and only that
    paths_for "$1"
    for p in "${PATHS[@]}"; do
      [ -e "$p" ] || continue
      mkdir -p ".gpu/aside/$(dirname "$p")"
      mv "$p" ".gpu/aside/$p"
    done ;;
  restore)
    MODE=$(cat .gpu/aside/MODE 2> /dev/null || true)
    if [ -z "$MODE" ]; then
      echo "check_slim.sh: nothing set aside (.gpu/aside/MODE is missing)"
    else
      paths_for "$MODE"
      for p in "${PATHS[@]}"; do
        [ -e ".gpu/aside/$p" ] || continue
        [ -e "$p" ] && { echo "check_slim.sh: $p exists again; left .gpu/aside/$p for you to compare"; continue; }
        mkdir -p "$(dirname "$p")"
        mv ".gpu/aside/$p" "$p"
      done
      rm -f .gpu/aside/MODE
      find .gpu/aside -depth -type d -empty -delete 2> /dev/null || true
    fi ;;
  *) echo "usage: $0 aside|aside-media|restore"; exit 2 ;;
esac
git ls-files -co --exclude-standard -z | xargs -0 stat -c %s 2> /dev/null \
  | awk '{s += $1} END {printf "files that travel (tracked and untracked, not ignored): %.1f MiB\n", s / 1048576}'
du -sh .gpu/check 2> /dev/null || true
