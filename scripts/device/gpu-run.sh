#!/usr/bin/env bash
# On the lent GPU machine, last call: stashes the last part (scripts/device/stash.sh), checks every part, unpacks the
# payload, makes Vulkan loadable (Debian's packages from the payload, unpacked into / only when no libvulkan is
# installed; the NVIDIA ICD when the machine has one), then runs scripts/gpu-check.sh on the payload. With $OUT
# set (the device tool sets it), the log and the bench JSON come back from there.
#
#   bash scripts/device/gpu-run.sh part-N      (carry .device/part-N and .device/SHA256SUMS)
#
# Env: DISSONANCE_STASH (default /root/dissonance-payload); GPU_CHECK_* as scripts/gpu-check.sh reads them
# (GPU_CHECK_REHEARSAL=1 tries a payload on a machine without a GPU).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
STASH=${DISSONANCE_STASH:-/root/dissonance-payload}
[[ -z "${1:-}" ]] || bash scripts/device/stash.sh "$1"
(cd "$STASH" && sha256sum -c --quiet SHA256SUMS) || {
  echo "gpu-run: parts missing or corrupt in $STASH (a new machine? stash every part again)" >&2
  exit 1
}
RUN="$STASH/run"
rm -rf "$RUN"
mkdir -p "$RUN"
(cd "$STASH" && cat $(awk '{print $2}' SHA256SUMS)) | xz -d | tar -x -C "$RUN"
echo "gpu-run: payload unpacked in $RUN ($(du -sh "$RUN" | cut -f1))"
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  for f in "$RUN"/gl/*.deb; do [[ -f $f ]] && dpkg -x "$f" /; done
  ldconfig
  echo "gpu-run: Vulkan loader unpacked from the payload's Debian packages"
fi
NVIDIA_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [[ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" && -f $NVIDIA_ICD ]]; then
  export VK_DRIVER_FILES=$NVIDIA_ICD
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
GPU_PAYLOAD="$RUN" bash scripts/gpu-check.sh
