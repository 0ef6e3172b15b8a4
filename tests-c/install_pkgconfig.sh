#!/bin/bash
# Installs the build into a scratch prefix, then compiles and runs a small
# program using only pkg-config, as any consumer of upstream LibVMI does.
set -euo pipefail
build=$1 prefix=$2 src=$3
rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in lib/libvmi.so lib/libvmi.so.0 lib/libvmi.so.0.0.15 lib/libvmi.a lib/pkgconfig/libvmi.pc \
         lib/cmake/libvmi/libvmiConfig.cmake include/libvmi/libvmi.h include/libvmi/events.h \
         include/libvmi/libvmi_extra.h include/libvmi/slat.h include/libvmi/x86.h include/libvmi/peparse.h; do
    test -e "$prefix/$f" || { echo "missing after install: $f"; exit 1; }
done
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -Wall -Werror -o "$out/consumer" "$src/consumer/consumer.c" $(pkg-config --cflags --libs libvmi)
readelf -d "$out/consumer" | grep -q 'NEEDED.*libvmi.so.0' || { echo "consumer does not need libvmi.so.0"; exit 1; }
LD_LIBRARY_PATH="$prefix/lib" "$out/consumer" "$out/image.raw"
# The CMake package works too.
mkdir -p "$out/cm"
cat > "$out/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(libvmi 0.15 REQUIRED)
add_executable(consumer $src/consumer/consumer.c)
target_link_libraries(consumer libvmi::vmi)
CM
cmake -S "$out/cm" -B "$out/cm/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$out/cm/build" >/dev/null
LD_LIBRARY_PATH="$prefix/lib" "$out/cm/build/consumer" "$out/image2.raw"
echo "install_pkgconfig: 1 passed, 0 failed"
