#!/bin/bash
# One GPU session for Code v2 (issue #18): train plugins/genloom_code/training/
# train_code_v2.py --preset gpu from the prepared folder .gpu/code-v2 (made here by
# `bash tools/gpu/code_v2_prepare.sh`), then score the result on the function-completion
# benchmark. Run from the repo root with OUT set, carrying .gpu/code-v2. Leaves
# code-v2.tar, code-v2.log and bench.json/bench.log in OUT. PYTHON, CODE_V2_MINUTES and
# CODE_V2_ARGS (training) and CODE_V2_BENCH_ARGS (benchmark) override for a CPU smoke test.
set -u
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=true
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null
W=/tmp/genloom-code-v2
rm -rf "$W"; mkdir -p "$W"
cp -r .gpu/code-v2 "$W/ckpt"
$PY plugins/genloom_code/training/train_code_v2.py --preset gpu --ckpt-dir "$W/ckpt" \
    --out "$W/code-v2" --threads 8 --max-minutes "${CODE_V2_MINUTES:-7}" ${CODE_V2_ARGS:-} \
    > "$OUT/code-v2.log" 2>&1
tar -C "$W" -cf "$OUT/code-v2.tar" code-v2
# The benchmark needs genloom importable; on the device, from the working tree.
PYTHONPATH=desktop:plugins timeout 150 $PY -m genloom_code.benchmark --model "$W/code-v2" \
    --json "$OUT/bench.json" ${CODE_V2_BENCH_ARGS:-} > "$OUT/bench.log" 2>&1 || echo "benchmark failed: see bench.log"
ls -la "$OUT"; tail -n 5 "$OUT/code-v2.log" "$OUT/bench.log"
