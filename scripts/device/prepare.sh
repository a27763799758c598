#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs on a lent GPU machine that has no Node, no npm and no network
# (scripts/device/README.md), and splits it into parts that each fit one `device` call.
#
#   bash scripts/device/prepare.sh        # from the repository root, after `npm run build`
#
# Writes .device/ (git-ignored): part-0 … part-N (an xz'd tar, split), SHA256SUMS, and prints the calls to make.
# The tar holds: this machine's node binary; onnxruntime-node (package.json, dist/, the linux/x64 binding only)
# and onnxruntime-common; esbuild bundles of bench/inference/index.ts and gpu-smoke.ts (onnxruntime-node
# external); cuda/: libonnxruntime_providers_{cuda,shared}.so from the onnxruntime-gpu wheel of onnxruntime-node's
# version (pip download, cached in .device/cache) and its version in cuda/VERSION; gl/: Debian's Vulkan loader
# and GL/EGL packages (amd64) for onnxruntime's WebGPU provider, which the machine lacks.
# Env: DEVICE_LIMIT_MIB (default 64: what one call may send, working tree included), PYTHON (default
# .venv/bin/python, else python3).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

fail() {
  echo "prepare: $*" >&2
  exit 1
}

LIMIT_MIB=${DEVICE_LIMIT_MIB:-64}
PYTHON=${PYTHON:-$([[ -x .venv/bin/python ]] && echo .venv/bin/python || echo python3)}
ORT=node_modules/onnxruntime-node
[[ -f $ORT/package.json ]] || fail "$ORT missing: run 'ONNXRUNTIME_NODE_INSTALL=skip npm ci' first"
[[ -f packages/core/dist/index.js && -f packages/node/dist/index.js ]] || fail "packages not built: run 'npm run build' first"
[[ $(uname -m) == x86_64 ]] || fail "the device is x86-64; this machine is $(uname -m)"
VERSION=$(node -e "process.stdout.write(require('onnxruntime-node/package.json').version)")
BIN=$(ls -d $ORT/bin/napi-v*/linux/x64 | head -n1)
[[ -f $BIN/onnxruntime_binding.node ]] || fail "onnxruntime-node has no linux/x64 binding"

rm -rf .device/stage .device/part-* .device/SHA256SUMS
STAGE=.device/stage
mkdir -p $STAGE/bundles $STAGE/cuda $STAGE/gl $STAGE/node_modules/onnxruntime-node .device/cache

echo "prepare: node $(node --version), onnxruntime-node $VERSION"
cp "$(command -v node)" $STAGE/node
cp -r $ORT/package.json $ORT/dist $STAGE/node_modules/onnxruntime-node/
mkdir -p "$STAGE/${BIN%/x64}"
cp -r "$BIN" "$STAGE/$BIN"
cp -r node_modules/onnxruntime-common $STAGE/node_modules/

for entry in bench/inference/index.ts bench/inference/gpu-smoke.ts; do
  npx esbuild "$entry" --bundle --platform=node --format=esm --target=node20 --external:onnxruntime-node \
    --log-level=error --outfile="$STAGE/bundles/$(basename "$entry" .ts).mjs" \
    --banner:js="import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
done

WHEEL=$(ls .device/cache/onnxruntime_gpu-"$VERSION"-*.whl 2>/dev/null | head -n1 || true)
if [[ -z "$WHEEL" ]]; then
  "$PYTHON" -m pip download --disable-pip-version-check --quiet --no-deps -d .device/cache "onnxruntime-gpu==$VERSION" ||
    fail "pip could not download onnxruntime-gpu==$VERSION"
  WHEEL=$(ls .device/cache/onnxruntime_gpu-"$VERSION"-*.whl | head -n1)
fi
for lib in libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so; do
  unzip -p "$WHEEL" "onnxruntime/capi/$lib" >"$STAGE/cuda/$lib" || fail "$lib not in $WHEEL"
done
echo "$VERSION" >$STAGE/cuda/VERSION

APT=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/dissonance-apt-lists)
mkdir -p /tmp/dissonance-apt-lists/partial
if apt-get "${APT[@]}" update >/dev/null 2>&1 &&
  (cd $STAGE/gl && apt-get "${APT[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null 2>&1); then
  echo "prepare: Vulkan/GL packages: $(ls $STAGE/gl | paste -sd' ' -)"
else
  echo "prepare: warning: could not download Debian's Vulkan/GL packages; the WebGPU step will report it unavailable" >&2
fi

TREE=$(git ls-files -co --exclude-standard -z | xargs -0 du -cb 2>/dev/null | tail -n1 | cut -f1)
PART=$((LIMIT_MIB * 1048576 - TREE - 2 * 1048576))
((PART > 8 * 1048576)) || fail "the working tree ($((TREE / 1048576)) MiB) leaves no room for a part"
echo "prepare: compressing $(du -sh $STAGE | cut -f1) (xz -9; a few minutes)"
tar -C $STAGE -cf - . | xz -T0 -9 | split -b "$PART" -d -a 1 - .device/part-
(cd .device && sha256sum part-* >SHA256SUMS)
rm -rf $STAGE
mapfile -t PARTS < <(cd .device && ls part-*)
LAST=${PARTS[-1]}
echo "prepare: ${#PARTS[@]} parts of at most $((PART / 1048576)) MiB (working tree $((TREE / 1048576)) MiB): $(cd .device && du -ch part-* | tail -n1 | cut -f1) in all"
echo
echo "Make these device calls one after the other, within 30 s of each other (the machine stays warm 30 s):"
for p in "${PARTS[@]}"; do
  if [[ $p == "$LAST" ]]; then
    echo "  run  command: bash scripts/device/gpu-run.sh $p   carry: [\".device/$p\", \".device/SHA256SUMS\"]   timeout_s: 600"
  else
    echo "  run  command: bash scripts/device/stash.sh $p     carry: [\".device/$p\", \".device/SHA256SUMS\"]   timeout_s: 120"
  fi
done
