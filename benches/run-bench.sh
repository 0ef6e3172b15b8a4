#!/bin/bash
# Prints the C-API speed figures the README quotes, on the cached x86_64
# guest image. With UPSTREAM_LIBDIR pointing at a directory holding an
# upstream LibVMI 0.15 libvmi.so.0 (built elsewhere, never in this repo),
# the same benchmark binary runs against it too, for the comparison.
#
#   benches/run-bench.sh [GUEST]           GUEST defaults to x86_64
set -euo pipefail
cd "$(dirname "$0")/.."
guest=${1:-x86_64}
g=target/guests/$guest
[ -f "$g/.complete" ] || bash tests/guests/make-guest.sh "$guest"
bash tests/guests/offsets.sh "$guest"
offsets=$(awk -F= '/^linux_(tasks|mm|pid|name|pgd)=/{v[$1]=$2} END{print v["linux_tasks"]","v["linux_mm"]","v["linux_pid"]","v["linux_name"]","v["linux_pgd"]}' "$g/offsets.txt")
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target cargo_build capi_bench >/dev/null
echo "== libvmi-rs ($(git rev-parse --short HEAD 2>/dev/null || echo unknown)) on $guest"
LD_LIBRARY_PATH=build/lib build/capi_bench "$g/mem.raw" "$g/System.map" "$offsets"
if [ -n "${UPSTREAM_LIBDIR:-}" ]; then
    echo "== upstream LibVMI from $UPSTREAM_LIBDIR on $guest"
    LD_LIBRARY_PATH=$UPSTREAM_LIBDIR build/capi_bench "$g/mem.raw" "$g/System.map" "$offsets"
fi
