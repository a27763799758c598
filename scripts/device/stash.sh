#!/usr/bin/env bash
# On the lent GPU machine: keeps one part of scripts/device/prepare.sh's payload outside the working tree, which a
# warm machine keeps between calls, and checks it against SHA256SUMS. Prints which parts are there and which are
# still to come.
#
#   bash scripts/device/stash.sh part-K       (carry .device/part-K and .device/SHA256SUMS)
#
# Env: DISSONANCE_STASH (default /root/dissonance-payload).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
STASH=${DISSONANCE_STASH:-/root/dissonance-payload}
part=${1:?usage: stash.sh part-K}
[[ -f .device/SHA256SUMS ]] || { echo "stash: .device/SHA256SUMS did not travel (carry it)" >&2; exit 1; }
[[ -f .device/$part ]] || { echo "stash: .device/$part did not travel (carry it)" >&2; exit 1; }
mkdir -p "$STASH"
cp .device/SHA256SUMS "$STASH/SHA256SUMS"
cp ".device/$part" "$STASH/$part"
(cd "$STASH" && grep " $part\$" SHA256SUMS | sha256sum -c --quiet) || { echo "stash: $part is corrupt" >&2; exit 1; }
have=()
missing=()
while read -r _ name; do
  if [[ -f $STASH/$name ]]; then have+=("$name"); else missing+=("$name"); fi
done <"$STASH/SHA256SUMS"
echo "stash: $part kept in $STASH; there: ${have[*]}; still to come: ${missing[*]:-none}"
