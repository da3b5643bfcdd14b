#!/usr/bin/env bash
# The GPU check, for a machine with an NVIDIA GPU (it cannot run on the CPU-only development machines):
# installs what it needs, builds, then on the tfjs-node-gpu backend runs `captioner doctor`, the
# benches and a short BullMQ training run whose worker is SIGKILLed after its first checkpoint and
# replaced, and prints ONE JSON object on stdout (progress goes to stderr). About 5-10 minutes.
#   bash scripts/gpu-check.sh > gpu-check.json
# Needs: an NVIDIA driver (nvidia-smi), CUDA 11.2+ and cuDNN 8 libraries for libtensorflow 2.9.1
# (or run it inside the captioner:gpu image), network access for npm ci (libtensorflow download),
# root or sudo for apt-get when redis-server or jq are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
say() { printf '== %s\n' "$*" >&2; }
cli() { node apps/cli/bin/captioner.mjs "$@"; }

command -v nvidia-smi >/dev/null || { echo "gpu-check: nvidia-smi not found: no NVIDIA driver on this machine" >&2; exit 1; }
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v jq >/dev/null || missing+=(jq)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi

# npm ci runs tfjs-node-gpu's install script (downloads libtensorflow 2.9.1 GPU); it is an optional
# dependency, so a failed download does not fail npm ci: check the binding is there.
if [ ! -d node_modules/@tensorflow/tfjs-node-gpu/lib ]; then
  say "npm ci"
  npm ci --no-audit --no-fund >&2
fi
[ -d node_modules/@tensorflow/tfjs-node-gpu/lib ] || { echo "gpu-check: @tensorflow/tfjs-node-gpu did not install (libtensorflow download failed?)" >&2; exit 1; }
say "npm run build"
npm run build >&2

work=$(mktemp -d /tmp/captioner-gpu-check-XXXXXX)
redis_port=$((20000 + RANDOM % 20000))
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$work/redis.pid" --logfile "$work/redis.log"
worker_pid=
cleanup() {
  [ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null || true
  [ -f "$work/redis.pid" ] && kill "$(cat "$work/redis.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export CAPTIONER_HOME="$work/home" CAPTIONER_BACKEND=tfjs-node-gpu CAPTIONER_LOG_LEVEL=warn
export DATABASE_URL="file:$work/home/captioner.db"
# Short stall detection, as the fault suite: a killed worker's job is taken over within seconds.
export CAPTIONER_LOCK_DURATION_MS=4000 CAPTIONER_STALLED_INTERVAL_MS=2000

say "doctor"
doctor=$(cli doctor --json || true)

say "bench train"
bench_train=$(cli bench train --steps 50 --json)
# `bench features` and `bench e2e` come with their own issues; null where this checkout lacks them.
bench_optional() {
  if cli bench --help | grep -qE "^\s+$1\b"; then cli bench "$1" --json; else echo null; fi
}
say "bench features"
bench_features=$(bench_optional features)
say "bench e2e"
bench_e2e=$(bench_optional e2e)

say "training run, SIGKILL after the first checkpoint, resume on a new worker"
cli dataset synth --out "$work/shapes" --images 400 --seed 7 >&2
export REDIS_URL="redis://127.0.0.1:$redis_port"
cli worker --stages preprocess,extract,train,evaluate --gpu 0 >"$work/worker1.log" 2>&1 &
worker_pid=$!
run_id=$(cli run start --dataset shapes --set training.epochs=3 --set training.checkpointEverySteps=10 --json | jq -r .id)
kill_started=$(date +%s)
checkpoints=0
while [ "$checkpoints" -eq 0 ]; do
  sleep 1
  checkpoints=$(cli run show "$run_id" --json | jq '.checkpoints | length')
  [ $(($(date +%s) - kill_started)) -lt 300 ] || { echo "gpu-check: no checkpoint after 300 s" >&2; exit 1; }
done
kill -9 "$worker_pid"
wait "$worker_pid" 2>/dev/null || true
cli worker --stages preprocess,extract,train,evaluate --gpu 0 >"$work/worker2.log" 2>&1 &
worker_pid=$!
status=running
while [ "$status" != succeeded ] && [ "$status" != failed ]; do
  sleep 2
  status=$(cli run show "$run_id" --json | jq -r .status)
  [ $(($(date +%s) - kill_started)) -lt 420 ] || { status="timeout ($status)"; break; }
done
run=$(cli run show "$run_id" --json | jq '{id, status, backend, checkpoints: (.checkpoints | length), stages: .stageSummary, evaluations: (.evaluations | map({split, status, scores}))}')

jq -n \
  --argjson gpus "$(nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader | jq -R . | jq -s .)" \
  --argjson doctor "${doctor:-null}" \
  --argjson benchTrain "$bench_train" \
  --argjson benchFeatures "$bench_features" \
  --argjson benchE2e "$bench_e2e" \
  --argjson run "$run" \
  --arg killedAfterCheckpoints "$checkpoints" \
  --arg seconds "$(($(date +%s) - started))" \
  '{gpus: $gpus, doctor: $doctor, benchTrain: $benchTrain, benchFeatures: $benchFeatures, benchE2e: $benchE2e,
    killAndResume: ($run + {killedAfterCheckpoints: ($killedAfterCheckpoints | tonumber), ok: ($run.status == "succeeded")}),
    seconds: ($seconds | tonumber)}'
