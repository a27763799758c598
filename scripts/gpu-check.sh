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
# Unattended, bounded by GPU_CHECK_BUDGET_S (default 480 s = 8 min) over all steps. When $OUT is set, everything
# printed is also written to $OUT/gpu-check.log, and the bench runs' JSON to $OUT/bench-{cuda,cpu,webgpu,auto}.json.
# Env: GPU_VENV, GPU_WHEELHOUSE, PYTHON (default python3), BENCH_SECONDS (default 0.5 s per trial: the four
# bench runs take about 5 min then), GPU_CHECK_BUDGET_S.
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

step "nvidia-smi"
command -v nvidia-smi >/dev/null 2>&1 || fail "nvidia-smi not found: this machine has no NVIDIA driver (or no GPU)"
bounded nvidia-smi || fail "nvidia-smi failed: the NVIDIA driver is not loaded or sees no GPU"
DRIVER_CUDA=$(nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9][0-9.]*\).*/\1/p' | head -n1)
[[ -n "$DRIVER_CUDA" ]] || fail "could not read 'CUDA Version' from nvidia-smi"
echo "driver supports CUDA up to $DRIVER_CUDA"

step "onnxruntime-node"
command -v node >/dev/null 2>&1 || fail "node not found"
[[ -f node_modules/onnxruntime-node/package.json ]] ||
  fail "node_modules/onnxruntime-node missing: run 'ONNXRUNTIME_NODE_INSTALL=skip npm ci' first"
BIN_DIR=$(ls -d node_modules/onnxruntime-node/bin/napi-v*/linux/x64 2>/dev/null | head -n1 || true)
[[ -n "$BIN_DIR" && -f "$BIN_DIR/onnxruntime_binding.node" ]] || fail "onnxruntime-node has no linux/x64 binding"
BIN_DIR=$(cd "$BIN_DIR" && pwd)
NODE_ORT=$(bounded node -e "process.stdout.write(require('onnxruntime-node').env.versions.node)") ||
  fail "onnxruntime-node does not load in node"
echo "node $(node --version), onnxruntime-node $NODE_ORT, binding folder $BIN_DIR"

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

step "copy CUDA provider libraries next to the binding"
CAPI=$("$PY" -c 'import onnxruntime, os; print(os.path.join(os.path.dirname(onnxruntime.__file__), "capi"))')
for lib in libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so; do
  [[ -f "$CAPI/$lib" ]] || fail "$lib not in the onnxruntime-gpu wheel ($CAPI)"
  cp -f "$CAPI/$lib" "$BIN_DIR/$lib" || fail "could not copy $lib into $BIN_DIR"
  echo "copied $lib ($(du -h "$BIN_DIR/$lib" | cut -f1))"
done

step "CUDA libraries resolve"
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

step "smoke test: a model on CUDA"
mkdir -p .tmp
SMOKE=.tmp/gpu-smoke.ts
cat >"$SMOKE" <<'EOF'
import { writeOnnxMlp } from '../packages/core/src/onnx/index.js';
import { initMlp } from '../packages/core/src/train/mlp-init.js';
import { mlpForward } from '../packages/core/src/train/mlp-forward.js';
import { OnnxNodeRuntime, probeCuda } from '../packages/node/src/onnx/index.js';

const exact = process.argv[2] === 'exact';
console.log('probeCuda:', JSON.stringify(probeCuda()));
const runtime = new OnnxNodeRuntime({ executionProvider: 'cuda', exact });
const weights = initMlp({ inputWidth: 20, hidden: [32, 16], classes: 5, seed: 3 });
const model = await runtime.loadBytes(writeOnnxMlp(weights), { name: 'smoke' });
const rows = 1000;
const x = Float32Array.from({ length: rows * 20 }, (_, i) => Math.sin(i * 0.37) * 2);
const got = await model.run(x, rows);
const want = mlpForward(weights, x, rows);
let maxAbs = 0;
for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(got[i]! - want[i]!));
const bound = exact ? 1e-5 : 1e-3;
console.log(`${exact ? 'exact: ' : ''}${runtime.name} (${runtime.providerReason}); model provider ${model.provider}; max |cuda − mlpForward| = ${maxAbs.toExponential(2)} (bound ${bound})`);
await model.dispose();
// CUDA uses TF32 for Gemm by default: allow 1e-3; with exact (TF32 off) the CPU's 1e-5.
if (model.provider !== 'cuda' || !(maxAbs <= bound)) process.exit(1);
EOF
bounded npx tsx "$SMOKE" || fail "the CUDA smoke test failed (see above)"
bounded npx tsx "$SMOKE" exact || fail "the CUDA smoke test with exact: true (TF32 off) failed (see above)"

run_bench() {
  local provider=$1
  shift
  if [[ -n "${OUT:-}" ]]; then
    bounded npx tsx bench/inference/index.ts --provider "$provider" --seconds "$BENCH_SECONDS" "$@" --json >"$OUT/bench-$provider.json"
  else
    bounded npx tsx bench/inference/index.ts --provider "$provider" --seconds "$BENCH_SECONDS" "$@"
  fi
}

step "bench --provider cuda"
run_bench cuda || fail "bench --provider cuda failed"

step "bench --provider cpu (provider table)"
run_bench cpu --only providers || fail "bench --provider cpu failed"

step "bench --provider webgpu (provider table)"
run_bench webgpu --only providers || echo "gpu-check: bench --provider webgpu failed: no Vulkan driver Dawn accepts here? (see the reason above); going on"

step "bench --provider auto (provider table)"
run_bench auto --only providers || fail "bench --provider auto failed"
