#!/usr/bin/env bash
# The GPU measurements docs/performance.md still owes, in one go (about 8 minutes on an H200).
#
#   bash benchmarks/gpu_session.sh                      # on the GPU machine, from the repo root
#   DEVICE=cpu SMALL=1 bash benchmarks/gpu_session.sh   # dry run at toy sizes (checks the script)
#
# Environment: DEVICE (cuda), OUT (results folder; default $OUT or ./gpu-results), DATA (real data
# root holding facades/ and mnist/; default ../shared/datasets or shared/datasets), FID_WEIGHTS
# (the FID Inception weights file; without it the DCGAN FID stage is skipped), GANZOO (the ganzoo
# command; default .venv/bin/ganzoo or ganzoo), PYTHON likewise. Every stage writes JSON under
# $OUT and the log says which stage failed; a failed stage does not stop the others.
set -u
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-gpu-results}
SMALL=${SMALL:-0}
PYTHON=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python )}
GANZOO=${GANZOO:-$( [ -x .venv/bin/ganzoo ] && echo .venv/bin/ganzoo || echo ganzoo )}
if [ -z "${DATA:-}" ]; then
  for candidate in ../shared/datasets shared/datasets; do [ -d "$candidate" ] && DATA=$candidate && break; done
fi
DATA=${DATA:-}
mkdir -p "$OUT"
LOG="$OUT/session.log"
stage() { echo "== $1" | tee -a "$LOG"; }
run() { "$@" 2>>"$LOG" || echo "FAILED ($?): $*" | tee -a "$LOG"; }

if [ "$SMALL" = 1 ]; then  # toy sizes: proves every command runs, measures nothing
  STEPS=2; WARMUP=1; PARITY_STEPS=2; TRAIN_STEPS=6; QUALITY_STEPS=4
  DCGAN=(--batch-size 4); PIX=(--set dataset.count=4); UGATIT=(--resolution 32); STACK=(--batch-size 2); STAGE2=(--resolution 64 --batch-size 2)
  REF=(--dcgan-batch 2 --cases dcgan); PARITY_SET=(--set batch_size=2)
else
  STEPS=50; WARMUP=10; PARITY_STEPS=30; TRAIN_STEPS=3000; QUALITY_STEPS=2000
  DCGAN=(--batch-size 128); PIX=(--set dataset.count=64); UGATIT=(--resolution 256); STACK=(); STAGE2=()
  REF=(); PARITY_SET=()
fi
PIX_DATA=(--set dataset.name=shapes-paired "${PIX[@]}")
STAGE2_SET=(--set 'init_from={}' --set 'freeze=["generator.stage1", "conditioner"]')

stage "machine"
{ nvidia-smi -L 2>/dev/null || true; $PYTHON -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"; } | tee "$OUT/machine.txt"

stage "1. fast vs eager, step for step (fp32 and the default precision)"
for precision in fp32 auto; do
  parity() { run $PYTHON benchmarks/fast_parity.py --device "$DEVICE" --precision $precision --steps $PARITY_STEPS "$@" \
      | tee -a "$OUT/parity-$precision.jsonl"; }
  parity --presets dcgan ugatit demo ${PARITY_SET[@]+"${PARITY_SET[@]}"}
  parity --presets pix2pix-facades --set dataset.name=shapes-paired dataset.count=8 ${PARITY_SET[@]+"${PARITY_SET[@]}"}
done

stage "2. reference steps (pytorch/examples DCGAN, pix2pix U-Net 256 + PatchGAN 70) vs ganzoo eager and fast"
run $PYTHON benchmarks/reference_steps.py --device "$DEVICE" --steps $STEPS --warmup $WARMUP ${REF[@]+"${REF[@]}"} --json "$OUT/reference.json" \
    | tee "$OUT/reference.txt"

stage "3. ganzoo bench: step time, img/s, memory, TFLOP/s, eager vs fast"
bench() { local name=$1; shift; run $GANZOO bench "$@" --device "$DEVICE" --steps $STEPS --warmup $WARMUP --json > "$OUT/bench-$name.json"; }
bench dcgan dcgan "${DCGAN[@]}"
bench dcgan-fp32 dcgan "${DCGAN[@]}" --precision fp32
bench dcgan-channels-last dcgan "${DCGAN[@]}" --set channels_last=true
bench pix2pix-256 pix2pix-facades "${PIX_DATA[@]}"
bench pix2pix-256-fp32 pix2pix-facades "${PIX_DATA[@]}" --precision fp32
bench ugatit-light ugatit "${UGATIT[@]}"
bench stackgan stackgan ${STACK[@]+"${STACK[@]}"}
bench stackgan-patchgan-sn stackgan --disc patchgan-sn ${STACK[@]+"${STACK[@]}"}
bench stackgan-stage2 stackgan-stage2 ${STAGE2[@]+"${STAGE2[@]}"} "${STAGE2_SET[@]}"
for f in "$OUT"/bench-*.json; do
  $PYTHON - "$f" <<'EOF' | tee -a "$OUT/bench-summary.txt"
import json, sys
r = json.load(open(sys.argv[1]))
rates = {row["mode"]: row for row in r["results"]}
e, f = rates["eager"], rates["fast"]
print(f"{sys.argv[1]}: {r['preset']} b{r['batch_size']} {r['resolution']}px {r['precision']} {r['device']}: "
      f"eager {e['images_per_s']:.1f} img/s, fast {f['images_per_s']:.1f} img/s (graph {f['graphed']}) = {f['images_per_s'] / e['images_per_s']:.2f}x; "
      f"{f['tflops']:.1f} TFLOP/s, {f['peak_memory_mib'] or 0:.0f} MiB; note: {f['note']}")
EOF
done

stage "4. end-to-end ganzoo train (data, logging, samples, checkpoints) vs the bench step rate"
run $GANZOO train dcgan --device "$DEVICE" --fast "${DCGAN[@]}" --steps $TRAIN_STEPS --quiet --out "$OUT/train-dcgan" \
    --set log_every=100 --set sample_every=1000 --set checkpoint_every=1000
run $PYTHON - "$OUT" <<'EOF' | tee "$OUT/train-vs-bench.txt"
import json, sys
out = sys.argv[1]
lines = [json.loads(l) for l in open(f"{out}/train-dcgan/metrics.jsonl") if l.strip()]
rates = [l["img_per_s"] for l in lines[1:]] or [lines[-1]["img_per_s"]]  # the first interval holds warm-up and capture
train = sum(rates) / len(rates)
bench = {row["mode"]: row for row in json.load(open(f"{out}/bench-dcgan.json"))["results"]}["fast"]["images_per_s"]
print(f"train {train:.1f} img/s vs bench {bench:.1f} img/s = {100 * train / bench:.0f}% (target >= 90%)")
EOF

stage "5. quality at equal steps, fast vs eager, same seed"
if [ -n "$DATA" ] && [ -d "$DATA/facades" ]; then
  for fast in --fast --no-fast; do
    name=pix2pix-facades${fast#--}
    run $GANZOO train pix2pix-facades --device "$DEVICE" --data "$DATA/facades" --steps $QUALITY_STEPS --seed 0 $fast \
        --set augment.jitter=0 --set sample_every=100000 --set checkpoint_every=100000 --quiet --out "$OUT/$name"
    run $GANZOO evaluate "$OUT/$name" --data "$DATA/facades" --split test --device "$DEVICE" --json > "$OUT/quality-$name.json"
  done
else
  echo "skipped: no facades under DATA=${DATA:-unset}" | tee -a "$LOG"
fi
if [ -n "$DATA" ] && [ -d "$DATA/mnist" ] && [ -n "${FID_WEIGHTS:-}" ]; then
  for fast in --fast --no-fast; do
    name=dcgan-mnist${fast#--}
    run $GANZOO train dcgan --device "$DEVICE" --dataset mnist --data "$DATA/mnist" --channels 1 --resolution 32 \
        --steps $((QUALITY_STEPS * 5)) --seed 0 $fast --set sample_every=100000 --set checkpoint_every=100000 --quiet --out "$OUT/$name"
    run $GANZOO evaluate "$OUT/$name" --data "$DATA/mnist" --metrics fid --fid-weights "$FID_WEIGHTS" --device "$DEVICE" --json \
        > "$OUT/quality-$name.json"
  done
else
  echo "skipped: DCGAN MNIST FID needs DATA/mnist and FID_WEIGHTS" | tee -a "$LOG"
fi
stage "done: results in $OUT ($(grep -c FAILED "$LOG" || true) failed stages)"
