#!/usr/bin/env bash
# Build every test guest (cached: finished guests are skipped), printing the wall time of each.
#   tests/guests/make-all.sh [NAME...]     default: all six, most important first
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(x86_64 i386-pae arm64 i386 x86_64-la57 x86_64-5g)
failed=()
for n in "${names[@]}"; do
    t0=$SECONDS
    if "$HERE/make-guest.sh" "$n"; then
        echo "make-all: $n ok in $((SECONDS - t0)) s"
    else
        echo "make-all: $n FAILED after $((SECONDS - t0)) s"
        failed+=("$n")
    fi
done
[[ ${#failed[@]} -eq 0 ]] || { echo "make-all: failed: ${failed[*]}" >&2; exit 1; }
