#!/bin/bash
# Check the GPU paths on a lent GPU in under eight minutes: the GPU-marked tests
# (tests/gpu) and the GPU benchmark (python -m tests.benchmarks gpu), then their figures,
# with the GPU, driver, torch and CUDA versions, into docs/benchmarks.md between
# <!-- gpu:begin --> and <!-- gpu:end -->, and everything copied to $OUT.
#
# Run from the repo root. On a GPU machine (no network, no diffusers): first, here,
# `bash tools/gpu/check_prepare.sh` (writes .gpu/check/whl), then carry .gpu/check.
# Without a GPU it runs all the same: it says so, the GPU tests skip, the benchmark
# measures the CPU. CHECK_SECONDS (default 450) is the budget for the tests and the
# benchmark together; PYTHON the interpreter; GENLOOM_BENCH_ROUNDS the benchmark rounds;
# GPU_TESTS the tests to run (default tests/gpu); CHECK_BENCH=0 skips the benchmark (the
# second, video and audio call: see check_slim.sh).
set -u
PY=${PYTHON:-python3}
OUT=${OUT:-/tmp/genloom-gpu-check}
BUDGET=${CHECK_SECONDS:-450}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
export QT_QPA_PLATFORM=offscreen TOKENIZERS_PARALLELISM=false
started=$(date +%s)

# Carried wheels (diffusers, platformdirs): installed without an index or dependencies.
if ls .gpu/check/whl/*.whl > /dev/null 2>&1; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/genloom-site .gpu/check/whl/*.whl || { echo "check.sh: carried wheels did not install"; exit 3; }
  export PYTHONPATH=/tmp/genloom-site${PYTHONPATH:+:$PYTHONPATH}
fi
# Genloom from this tree when it is not installed (the GPU image does not have it): its
# pytest plugin (fixtures) is then named on the command line instead of by entry point.
PLUGIN_ARG=""
if ! $PY -c "import genloom, genloom_image" 2> /dev/null; then
  export PYTHONPATH=$PWD/desktop:$PWD/plugins:$PWD${PYTHONPATH:+:$PYTHONPATH}
  PLUGIN_ARG="-p genloom.testing.pytest_plugin"
fi
$PY -c "import diffusers" 2> /dev/null || echo "check.sh: diffusers is missing (run tools/gpu/check_prepare.sh here and carry .gpu/check); the image tests will fail"

GPU=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2> /dev/null | head -1)
VERSIONS=$($PY -c "
import torch
cuda = torch.cuda.is_available()
print(f'torch {torch.__version__}, CUDA {torch.version.cuda if cuda else \"none\"}', end='')
try:
    import onnxruntime as o; print(f', onnxruntime {o.__version__} ({\", \".join(o.get_available_providers())})', end='')
except ImportError: pass
try:
    import diffusers, transformers; print(f', diffusers {diffusers.__version__}, transformers {transformers.__version__}', end='')
except ImportError: pass
" 2>&1 | tail -1)
if [ -n "$GPU" ]; then INFO="$GPU (name, driver, memory); $VERSIONS"; else INFO="no GPU (nvidia-smi found none): CPU fallback; $VERSIONS"; fi
echo "check.sh: $INFO" | tee "$OUT/info.txt"

# The GPU tests get a bit over half the budget, the benchmark what is left (all of it
# when there is no benchmark).
[ "${CHECK_BENCH:-1}" = 0 ] && TESTS_S=$BUDGET || TESTS_S=$(( BUDGET * 55 / 100 ))
timeout -k 10 "$TESTS_S" $PY -m pytest -q -m gpu ${GPU_TESTS:-tests/gpu} -rsfE -p no:cacheprovider $PLUGIN_ARG \
    > "$OUT/gpu-tests.log" 2>&1
echo "check.sh: GPU tests exit $? after $(( $(date +%s) - started )) s: $(tail -n 1 "$OUT/gpu-tests.log")"
if [ "${CHECK_BENCH:-1}" != 0 ]; then
  LEFT=$(( BUDGET - ($(date +%s) - started) ))
  [ "$LEFT" -lt 30 ] && LEFT=30
  timeout -k 10 "$LEFT" $PY -m tests.benchmarks gpu > "$OUT/bench-gpu.log" 2>&1
  echo "check.sh: benchmark exit $? after $(( $(date +%s) - started )) s"
  grep -E "ratio|GPU|CPU figures|peak" "$OUT/bench-gpu.log" | head -n 30
  $PY tools/gpu/write_figures.py --tests "$OUT/gpu-tests.log" --bench "$OUT/bench-gpu.log" --info "$INFO" \
      --doc docs/benchmarks.md && cp docs/benchmarks.md "$OUT/benchmarks.md"
fi
echo "check.sh: done in $(( $(date +%s) - started )) s; results in $OUT"
