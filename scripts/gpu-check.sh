#!/usr/bin/env bash
# GPU check for @dissonance/node's onnxruntime-node CUDA execution provider. Run on a machine with an NVIDIA GPU:
#
#   bash scripts/gpu-check.sh            # from the repository root (node_modules installed)
#
# Steps, each stopping the script with a clear message and a non-zero exit at the first failure:
#   1 nvidia-smi             the GPU and the driver's highest CUDA version
#   2 onnxruntime-node       installed, its binding folder and version
#   3 python venv            $GPU_VENV (default .tmp/gpu-venv; reused), Python ≥ 3.11 (the wheel's floor)
#   4 onnxruntime-gpu        pip install "onnxruntime-gpu[cuda,cudnn]==<onnxruntime-node's version>": the
#                            extras pull the CUDA/cuDNN wheels that build needs (1.30.0: CUDA 13 — nvidia-cuda-runtime
#                            13, nvidia-cublas 13, nvidia-cudnn-cu13 9, nvidia-cufft 12, nvidia-curand 10 —
#                            not the -cu12 packages). Offline: GPU_WHEELHOUSE=/dir with the wheels (--no-index).
#   5 same onnxruntime       onnxruntime.__version__ (Python) == onnxruntime-node's env.versions.node: the provider
#                            libraries only work with the exact onnxruntime build that loads them
#   6 provider libraries     copy libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so from the
#                            wheel's onnxruntime/capi/ next to onnxruntime_binding.node (where onnxruntime looks)
#   7 CUDA libraries         LD_LIBRARY_PATH += every site-packages/nvidia/**/lib folder; the driver's CUDA major
#                            must be ≥ the one the provider links against; cuDNN 9 present; ldd shows no "not found"
#   8 smoke test             OnnxNodeRuntime({ executionProvider: 'cuda' }) loads a writeOnnxMlp model, runs 1,000
#                            rows on CUDA and matches mlpForward (TF32 on: within 1e-3); then, in a fresh process,
#                            the same with exact: true (TF32 off: within 1e-5)
#   9 bench cuda             npx tsx bench/inference/index.ts --provider cuda: every section, the provider table
#                            (64-128-10 and 512-4096-4096-1000 MLPs at batch 1, 64, 1,024, 8,192) first
#  10 bench cpu              --provider cpu, provider table only (--only providers)
#  11 bench webgpu / 12 bench auto   --provider webgpu and --provider auto, provider table only (--only providers);
#                            a machine without a Vulkan driver Dawn accepts reports webgpu unavailable and goes on
#
# On a machine with no Node, no npm and no network (the project's lent GPU machines), GPU_PAYLOAD=/dir runs the same
# steps from what scripts/device/prepare.sh packed here (scripts/device/README.md): a node binary, a minimal
# onnxruntime-node, esbuild bundles of the smoke test and the bench (bundles/*.mjs), and the CUDA provider
# libraries of the matching onnxruntime-gpu wheel (cuda/, with the wheel's version in cuda/VERSION). Steps 3–5
# then only check that version; step 7 takes the CUDA and cuDNN libraries from $PYTHON's site-packages
# (nvidia/*/lib, as PyTorch's CUDA 13 wheels install them). GPU_CHECK_REHEARSAL=1 runs only what needs no GPU
# (steps 2, 10, 11, 12: the payload's node and onnxruntime, the cpu, webgpu and auto provider tables), to try a
# payload on a machine without one.
#
# Unattended, bounded by GPU_CHECK_BUDGET_S (default 480 s = 8 min) over all steps. When $OUT is set, everything
# printed is also written to $OUT/gpu-check.log, and the bench runs' JSON to $OUT/bench-{cuda,cpu,webgpu,auto}.json.
# Env: GPU_VENV, GPU_WHEELHOUSE, PYTHON (default python3), BENCH_SECONDS (default 0.5 s per trial: the four
# bench runs take about 5 min then), BENCH_ARGS (more bench options, e.g. "--models small"), GPU_CHECK_BUDGET_S.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -n "${OUT:-}" ]]; then
  mkdir -p "$OUT"
  exec > >(tee -a "$OUT/gpu-check.log") 2>&1
  TEE_PID=$!
fi

BUDGET=${GPU_CHECK_BUDGET_S:-480}
VENV=${GPU_VENV:-.tmp/gpu-venv}
PYTHON=${PYTHON:-python3}
BENCH_SECONDS=${BENCH_SECONDS:-0.5}
BENCH_ARGS=${BENCH_ARGS:-}
PAYLOAD=${GPU_PAYLOAD:-}
REHEARSAL=${GPU_CHECK_REHEARSAL:-}
if [[ -n "$PAYLOAD" ]]; then
  PAYLOAD=$(cd "$PAYLOAD" && pwd)
  NODE_BIN="$PAYLOAD/node"
  ORT_ROOT="$PAYLOAD/node_modules/onnxruntime-node"
else
  NODE_BIN=node
  ORT_ROOT="$PWD/node_modules/onnxruntime-node"
fi
[[ -z "$REHEARSAL" || -n "$PAYLOAD" ]] || { echo "gpu-check: GPU_CHECK_REHEARSAL needs GPU_PAYLOAD" >&2; exit 2; }
STEP="start"
STEP_NO=0
STEPS=12

finish() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "gpu-check: FAILED at step $STEP_NO/$STEPS ($STEP), exit $rc, after $SECONDS s" >&2
  else
    echo "gpu-check: all $STEPS steps passed in $SECONDS s"
  fi
  if [[ -n "${TEE_PID:-}" ]]; then
    exec >&- 2>&-
    wait "$TEE_PID" 2>/dev/null || true
  fi
  exit "$rc"
}
trap finish EXIT

step() {
  STEP_NO=$((STEP_NO + 1))
  STEP=$1
  echo
  echo "==> [$STEP_NO/$STEPS] $STEP ($(date +%T), ${SECONDS}s of ${BUDGET}s used)"
}

fail() {
  echo "gpu-check: $*" >&2
  exit 1
}

# Runs a command under what is left of the time budget.
bounded() {
  local left=$((BUDGET - SECONDS))
  ((left > 0)) || fail "time budget of ${BUDGET}s used up before: $*"
  timeout --kill-after=10 "$left" "$@"
}

# Runs one of the repository's TypeScript entry points: with tsx here, or its bundle from the payload.
run_ts() {
  local file=$1
  shift
  if [[ -n "$PAYLOAD" ]]; then
    bounded "$NODE_BIN" "$PAYLOAD/bundles/$(basename "$file" .ts).mjs" "$@"
  else
    bounded npx tsx "$file" "$@"
  fi
}

# True (after saying so) when a rehearsal skips the current step, which needs the GPU.
rehearsed() {
  [[ -n "$REHEARSAL" ]] || return 1
  echo "skipped: GPU_CHECK_REHEARSAL"
}

step "nvidia-smi"
if ! rehearsed; then
  command -v nvidia-smi >/dev/null 2>&1 || fail "nvidia-smi not found: this machine has no NVIDIA driver (or no GPU)"
  bounded nvidia-smi || fail "nvidia-smi failed: the NVIDIA driver is not loaded or sees no GPU"
  DRIVER_CUDA=$(nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9][0-9.]*\).*/\1/p' | head -n1)
  [[ -n "$DRIVER_CUDA" ]] || fail "could not read 'CUDA Version' from nvidia-smi"
  echo "driver supports CUDA up to $DRIVER_CUDA"
fi

step "onnxruntime-node"
command -v "$NODE_BIN" >/dev/null 2>&1 || fail "$NODE_BIN not found"
[[ -f "$ORT_ROOT/package.json" ]] ||
  fail "$ORT_ROOT missing: run 'ONNXRUNTIME_NODE_INSTALL=skip npm ci' first (or scripts/device/prepare.sh)"
BIN_DIR=$(ls -d "$ORT_ROOT"/bin/napi-v*/linux/x64 2>/dev/null | head -n1 || true)
[[ -n "$BIN_DIR" && -f "$BIN_DIR/onnxruntime_binding.node" ]] || fail "onnxruntime-node has no linux/x64 binding"
BIN_DIR=$(cd "$BIN_DIR" && pwd)
NODE_ORT=$(bounded "$NODE_BIN" -e "process.stdout.write(require('$ORT_ROOT').env.versions.node)") ||
  fail "onnxruntime-node does not load in node"
echo "node $("$NODE_BIN" --version), onnxruntime-node $NODE_ORT, binding folder $BIN_DIR"

if [[ -n "$PAYLOAD" ]]; then
  step "python venv"
  echo "skipped: the provider libraries come from the payload (cuda/)"
  step "onnxruntime-gpu from the payload"
  PY_ORT=$(cat "$PAYLOAD/cuda/VERSION" 2>/dev/null) || fail "$PAYLOAD/cuda/VERSION missing: not a prepare.sh payload"
  CAPI="$PAYLOAD/cuda"
  echo "onnxruntime-gpu $PY_ORT's provider libraries in $CAPI"
  step "same onnxruntime build"
  [[ "$PY_ORT" == "$NODE_ORT" ]] ||
    fail "the payload's provider libraries are onnxruntime-gpu $PY_ORT's but onnxruntime-node is $NODE_ORT"
  echo "onnxruntime $PY_ORT in both"
  PY="$PYTHON"
else
  step "python venv"
  command -v "$PYTHON" >/dev/null 2>&1 || fail "$PYTHON not found (set PYTHON=/path/to/python3.11+)"
  "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' ||
    fail "onnxruntime-gpu $NODE_ORT needs Python ≥ 3.11, $PYTHON is $("$PYTHON" --version 2>&1)"
  if [[ ! -x "$VENV/bin/python" ]]; then
    bounded "$PYTHON" -m venv "$VENV" || fail "could not create the venv $VENV"
  fi
  PY="$VENV/bin/python"
  echo "venv $VENV ($("$PY" --version 2>&1))"

  step "pip install onnxruntime-gpu[cuda,cudnn]==$NODE_ORT"
  PIP_ARGS=(--disable-pip-version-check --quiet --timeout 60)
  if [[ -n "${GPU_WHEELHOUSE:-}" ]]; then
    [[ -d "$GPU_WHEELHOUSE" ]] || fail "GPU_WHEELHOUSE=$GPU_WHEELHOUSE is not a folder"
    PIP_ARGS+=(--no-index --find-links "$GPU_WHEELHOUSE")
  fi
  bounded "$PY" -m pip install "${PIP_ARGS[@]}" "onnxruntime-gpu[cuda,cudnn]==$NODE_ORT" ||
    fail "pip could not install onnxruntime-gpu[cuda,cudnn]==$NODE_ORT (no network? set GPU_WHEELHOUSE to a folder of wheels)"
  "$PY" -m pip list --disable-pip-version-check 2>/dev/null | grep -Ei '^(onnxruntime|nvidia)' || true

  step "same onnxruntime build"
  PY_ORT=$(bounded "$PY" -c 'import onnxruntime; print(onnxruntime.__version__)') || fail "python cannot import onnxruntime"
  [[ "$PY_ORT" == "$NODE_ORT" ]] ||
    fail "onnxruntime-gpu (Python) is $PY_ORT but onnxruntime-node is $NODE_ORT: provider libraries are not interchangeable"
  echo "onnxruntime $PY_ORT in both"
  CAPI=$("$PY" -c 'import onnxruntime, os; print(os.path.join(os.path.dirname(onnxruntime.__file__), "capi"))')
fi

step "copy CUDA provider libraries next to the binding"
if ! rehearsed; then
  for lib in libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so; do
    [[ -f "$CAPI/$lib" ]] || fail "$lib not in the onnxruntime-gpu wheel ($CAPI)"
    cp -f "$CAPI/$lib" "$BIN_DIR/$lib" || fail "could not copy $lib into $BIN_DIR"
    echo "copied $lib ($(du -h "$BIN_DIR/$lib" | cut -f1))"
  done
fi

step "CUDA libraries resolve"
if ! rehearsed; then
  SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  LIB_DIRS=""
  if [[ -d "$SITE/nvidia" ]]; then
    LIB_DIRS=$(find "$SITE/nvidia" -name 'lib*.so*' -printf '%h\n' | sort -u | paste -sd: -)
  fi
  [[ -n "$LIB_DIRS" ]] || fail "no CUDA libraries under $SITE/nvidia (the [cuda,cudnn] extras did not install?)"
  export LD_LIBRARY_PATH="$LIB_DIRS:$BIN_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  LDD=$(ldd "$BIN_DIR/libonnxruntime_providers_cuda.so") || fail "ldd failed on libonnxruntime_providers_cuda.so"
  echo "$LDD"
  NEED_CUDA=$(grep -o 'libcudart\.so\.[0-9]*' <<<"$LDD" | head -n1 | sed 's/.*\.//' || true)
  if [[ -n "$NEED_CUDA" && "${DRIVER_CUDA%%.*}" -lt "$NEED_CUDA" ]]; then
    fail "the driver supports CUDA $DRIVER_CUDA but onnxruntime-gpu $PY_ORT's provider needs CUDA $NEED_CUDA (update the driver; CUDA 13 needs ≥ 580)"
  fi
  find "$SITE/nvidia" -name 'libcudnn.so.9*' | grep -q . ||
    fail "libcudnn.so.9 not under $SITE/nvidia (the CUDA provider opens cuDNN 9 at run time)"
  MISSING=$(grep 'not found' <<<"$LDD" || true)
  [[ -z "$MISSING" ]] || fail "libonnxruntime_providers_cuda.so cannot resolve: $(echo "$MISSING" | awk '{print $1}' | paste -sd' ' -)"
  ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1' || ls /usr/lib/x86_64-linux-gnu/libcuda.so.1 >/dev/null 2>&1 ||
    echo "warning: libcuda.so.1 not in the ldconfig cache; the smoke test will tell"
fi

step "smoke test: a model on CUDA"
if ! rehearsed; then
  run_ts bench/inference/gpu-smoke.ts || fail "the CUDA smoke test failed (see above)"
  run_ts bench/inference/gpu-smoke.ts exact || fail "the CUDA smoke test with exact: true (TF32 off) failed (see above)"
fi

run_bench() {
  local provider=$1
  shift
  if [[ -n "${OUT:-}" ]]; then
    run_ts bench/inference/index.ts --provider "$provider" --seconds "$BENCH_SECONDS" "$@" $BENCH_ARGS --json >"$OUT/bench-$provider.json"
  else
    run_ts bench/inference/index.ts --provider "$provider" --seconds "$BENCH_SECONDS" "$@" $BENCH_ARGS
  fi
}

step "bench --provider cuda"
if ! rehearsed; then
  run_bench cuda || fail "bench --provider cuda failed"
fi

step "bench --provider cpu (provider table)"
run_bench cpu --only providers || fail "bench --provider cpu failed"

step "bench --provider webgpu (provider table)"
run_bench webgpu --only providers || echo "gpu-check: bench --provider webgpu failed: no Vulkan driver Dawn accepts here? (see the reason above); going on"

step "bench --provider auto (provider table)"
run_bench auto --only providers || fail "bench --provider auto failed"
