#!/usr/bin/env bash
# Issue 11's GPU run, as one command on the device machine (python3 there holds CUDA torch):
#   device run: bash tools/device/train_h36m.sh   carry: ["pack"]   timeout_s: 600
# Before: `python tools/device/pack_h36m.py pack` here (pack/ is git-ignored: Human3.6M is research-use
# data and never enters the repo). Trains the GPU configs side by side for their max_minutes, evaluates
# each best.pt on S9 (SH detections and GT 2D, every frame, flip), and leaves in $OUT the logs, the
# evaluations and half-precision copies of the checkpoints (files back are at most 16 MiB each;
# `python tools/device/half.py --to-float IN OUT` restores float32 here).
set -euo pipefail
export PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
CONFIGS=${CONFIGS:-"tcn243_sh_mix_vcam_gpu lstm_big_sh_mix_vcam_gpu"}
PY=${PY:-python3}
nvidia-smi -L || true
# Issue 16's lifter-on-CUDA figures (the shipped model and untrained ones; CPU beside it), ~20 s
$PY -m ml.bench lifter --seconds 1 > "$OUT/bench_lifter.txt" 2>&1 || true
$PY tools/device/pack_h36m.py unpack --pack pack/h36m --out /tmp/h36m
for c in $CONFIGS; do
  $PY -m ml.train --config ml/configs/$c.json --data-dir /tmp/h36m --out /tmp/runs/$c --no-progress \
      ${MAX_MINUTES:+--max-minutes $MAX_MINUTES} > "$OUT/$c.train.log" 2>&1 &
done
wait || true
for c in $CONFIGS; do
  tail -n 3 "$OUT/$c.train.log"
  [ -f /tmp/runs/$c/best.pt ] || continue
  for kp in sh_pt_mpii gt; do
    $PY -m ml.evaluate --checkpoint /tmp/runs/$c/best.pt --data-dir /tmp/h36m --subjects S9 --keypoints $kp \
        --json > "$OUT/$c.eval_$kp.json" 2> "$OUT/$c.eval_$kp.err" || true
    tail -n 1 "$OUT/$c.eval_$kp.json" || true
  done
  $PY tools/device/half.py --to-half /tmp/runs/$c/best.pt "$OUT/$c.best_half.pt"
done
ls -la "$OUT"
