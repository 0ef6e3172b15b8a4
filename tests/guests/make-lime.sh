#!/usr/bin/env bash
# A memory dump made by the real LiME producer (Debian's lime-forensics-dkms) inside the
# x86_64 test guest, with the guest's own ground truth, under target/guests/x86_64-lime/.
#
#   tests/guests/make-lime.sh
#
# Steps: build lime.ko for the x86_64 guest's kernel (linux-headers-<release> from the
# host's apt, LiME source from `apt-get download lime-forensics-dkms`); take the virtio
# block driver chain out of the cached kernel .deb; append a cpio to the x86_64 guest's
# initrd whose /init (lime-init.sh) records truth over the console, runs
# `insmod lime.ko path=/dev/vda format=lime timeout=0` and powers off; boot that under
# QEMU (TCG) with a raw disk a bit larger than RAM; keep the disk as mem.lime.
# A complete output (.complete) is left alone; GUEST_FORCE=1 rebuilds it. The lime.ko
# build and the driver modules are cached in target/guests/cache/lime-<release>/.
#
# Environment: GUEST_FORCE=1, GUEST_TIMEOUT (seconds for boot + dump, default 900),
# GUEST_NO_INSTALL=1 (never apt-get install missing host packages).
set -euo pipefail

NAME=x86_64-lime
BASE=x86_64
log() { printf '[make-lime] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || (cd "$HERE/../.." && pwd))
GUESTS=$ROOT/target/guests
CACHE=$GUESTS/cache
OUT=$GUESTS/$NAME
MEM_MIB=256
DISK_MIB=$((MEM_MIB + 32))
# Transport first; virtio_blk's own dependencies are resolved from the modules.
BLOCK_ROOTS=(virtio_pci virtio_blk)

if [[ ${GUEST_FORCE:-0} != 1 && -f $OUT/.complete ]]; then
    log "cached: $OUT (GUEST_FORCE=1 rebuilds)"
    exit 0
fi
t_start=$SECONDS

# The x86_64 guest provides the kernel cache, busybox initrd and System.map.
if [[ ! -f $GUESTS/$BASE/.complete ]]; then
    log "building the $BASE guest first"
    bash "$HERE/make-guest.sh" "$BASE"
fi
KC=$CACHE/kernel-amd64
[[ -f $KC/kernel.env && -f $KC/vmlinuz ]] || die "no kernel cache in $KC (run make-guest.sh $BASE)"
# shellcheck disable=SC1091
. "$KC/kernel.env" # KPKG KREL KVER
HDR=/usr/src/linux-headers-$KREL

# ---------------------------------------------------------------- host tools
need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
have qemu-system-x86_64 || need_pkgs+=(qemu-system-x86)
have python3 || need_pkgs+=(python3)
have make || need_pkgs+=(make)
have gcc || need_pkgs+=(gcc)
have cpio || need_pkgs+=(cpio)
have xz || need_pkgs+=(xz-utils)
have strip || need_pkgs+=(binutils)
[[ -f $HDR/Makefile ]] || need_pkgs+=("linux-headers-$KREL")
if [[ ${#need_pkgs[@]} -gt 0 ]]; then
    [[ ${GUEST_NO_INSTALL:-0} != 1 && $(id -u) == 0 ]] || die "missing host packages: ${need_pkgs[*]}"
    log "installing host packages: ${need_pkgs[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >&2; then
        apt-get update -q >&2 || log "apt-get update reported errors; trying the install anyway"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >&2 ||
            die "cannot install ${need_pkgs[*]} (is $KREL still on the mirror?)"
    fi
fi

# ---------------------------------------------------------------- cache: lime.ko + drivers
LC=$CACHE/lime-$KREL
mkdir -p "$CACHE/debs"
exec 9>"$CACHE/.lock" # the lock make-guest.sh takes for the shared cache
flock -w 3600 9 || die "cache lock busy for an hour"

host_download() { # package -> prints the cached .deb (host apt; amd64 or all)
    local pkg=$1 f
    f=$(find "$CACHE/debs" -maxdepth 1 \( -name "${pkg}_*_amd64.deb" -o -name "${pkg}_*_all.deb" \) | head -n1)
    if [[ -z $f ]]; then
        log "downloading $pkg"
        (cd "$CACHE/debs" && apt-get -o APT::Sandbox::User=root -q download "$pkg" >&2) ||
            die "apt-get download $pkg failed"
        f=$(find "$CACHE/debs" -maxdepth 1 \( -name "${pkg}_*_amd64.deb" -o -name "${pkg}_*_all.deb" \) | head -n1)
        [[ -n $f ]] || die "downloaded $pkg but cannot find its .deb"
    fi
    echo "$f"
}

if [[ ! -f $LC/lime.env ]]; then
    t0=$SECONDS
    rm -rf "$LC" && mkdir -p "$LC/modules"

    # 1. lime.ko from the packaged source, against the guest kernel's headers.
    ldeb=$(host_download lime-forensics-dkms)
    dpkg-deb -x "$ldeb" "$LC/pkg"
    src=$(find "$LC/pkg/usr/src" -mindepth 1 -maxdepth 1 -type d -name 'lime-forensics-*' | head -n1)
    [[ -n $src && -f $src/main.c ]] || die "no LiME source in $ldeb"
    LIME_VERSION=${src##*/lime-forensics-}
    cp -r "$src" "$LC/build"
    log "building lime.ko $LIME_VERSION for $KREL"
    make -C "$HDR" M="$LC/build" modules >"$LC/build.log" 2>&1 || { tail -20 "$LC/build.log" >&2; die "lime.ko build failed"; }
    strip --strip-unneeded -o "$LC/lime.ko" "$LC/build/lime.ko"
    tr '\0' '\n' <"$LC/lime.ko" | grep -a "^vermagic=$KREL " >/dev/null || die "lime.ko vermagic is not $KREL"

    # 2. The block driver chain from the kernel .deb (no modules.dep in a .deb: the
    #    modules' own depends= fields give the order).
    kdeb=$(host_download "$KPKG")
    tmp=$(mktemp -d "$CACHE/.lx.XXXXXX")
    dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$tmp" --wildcards "./lib/modules/$KREL/kernel/drivers/*"
    declare -A where=()
    while IFS= read -r -d '' f; do
        b=${f##*/}
        b=${b%%.ko*}
        where[${b//-/_}]=$f
    done < <(find "$tmp" -name '*.ko*' -print0)
    order=()
    declare -A seen=()
    add_module() { # name: dependencies first
        local m=${1//-/_} f ko deps d
        [[ -n ${seen[$m]:-} ]] && return 0
        seen[$m]=1
        f=${where[$m]:-}
        [[ -n $f ]] || die "module $m is not in $KPKG's drivers/"
        ko=$LC/modules/$m.ko
        case $f in
        *.xz) xz -dc "$f" >"$ko" ;;
        *.zst) zstd -qdc "$f" >"$ko" ;;
        *.gz) gzip -dc "$f" >"$ko" ;;
        *) cp "$f" "$ko" ;;
        esac
        deps=$(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p')
        deps=${deps%%$'\n'*}
        for d in ${deps//,/ }; do add_module "$d"; done
        order+=("$m")
    }
    for m in "${BLOCK_ROOTS[@]}"; do add_module "$m"; done
    rm -rf "$tmp"

    printf 'LIME_VERSION=%s\nLIME_DEB=%s\nBLOCK_MODULES="%s"\n' \
        "$LIME_VERSION" "${ldeb##*/}" "${order[*]}" >"$LC/lime.env.tmp"
    mv "$LC/lime.env.tmp" "$LC/lime.env"
    log "lime.ko and drivers (${order[*]}) ready in $((SECONDS - t0)) s"
fi
flock -u 9
# shellcheck disable=SC1091
. "$LC/lime.env" # LIME_VERSION LIME_DEB BLOCK_MODULES

# ---------------------------------------------------------------- initramfs
WORK=$GUESTS/$NAME.work
rm -rf "$WORK" && mkdir -p "$WORK/overlay/lime"
NONCE=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
cp "$HERE/lime-init.sh" "$WORK/overlay/init" && chmod 755 "$WORK/overlay/init"
cp "$LC/lime.ko" "$WORK/overlay/lime/"
for m in $BLOCK_MODULES; do cp "$LC/modules/$m.ko" "$WORK/overlay/lime/"; done
# timeout=0: never give up on a slow page (TCG), so no range is zero-filled.
printf 'BLOCK_MODULES="%s"\nLIME_PARAMS="path=/dev/vda format=lime timeout=0"\nNONCE=%s\n' \
    "$BLOCK_MODULES" "$NONCE" >"$WORK/overlay/lime.conf"
# The kernel unpacks concatenated archives in order; the later /init wins.
(cd "$WORK/overlay" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --quiet | gzip -9) >"$WORK/overlay.cpio.gz"
cat "$GUESTS/$BASE/initrd.gz" "$WORK/overlay.cpio.gz" >"$WORK/initrd.gz"

# ---------------------------------------------------------------- boot and dump
truncate -s "${DISK_MIB}M" "$WORK/mem.lime"
qemu=(qemu-system-x86_64 -accel tcg -M pc,memory-backend=ram -cpu qemu64 -smp 1 -m "${MEM_MIB}M"
    -object "memory-backend-ram,id=ram,size=${MEM_MIB}M"
    -nodefaults -display none -no-reboot
    -kernel "$KC/vmlinuz" -initrd "$WORK/initrd.gz" -append "console=ttyS0 panic=-1 rdinit=/init"
    -chardev "file,id=con0,path=$WORK/console.raw.log" -serial chardev:con0
    -drive "file=$WORK/mem.lime,format=raw,if=none,id=disk0,cache=writeback"
    -device virtio-blk-pci,drive=disk0)
python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "${qemu[@]}" >"$WORK/qemu.json"
log "booting (${MEM_MIB} MiB guest, ${DISK_MIB} MiB disk, timeout ${GUEST_TIMEOUT:-900} s)"
t_boot=$SECONDS
rc=0
timeout --kill-after=10 "${GUEST_TIMEOUT:-900}" "${qemu[@]}" >"$WORK/qemu.log" 2>&1 || rc=$?
boot_s=$((SECONDS - t_boot))
[[ $rc == 0 ]] || die "QEMU exited $rc after $boot_s s (124: timeout; see $WORK/console.raw.log)"
log "guest powered off after $boot_s s"

cp "$KC/System.map" "$WORK/System.map"
python3 "$HERE/lime_finish.py" "$WORK" --system-map "$WORK/System.map" \
    --kernel-release "$KREL" --kernel-package "$KPKG" --kernel-package-version "$KVER" \
    --qemu-json "$WORK/qemu.json" --boot-seconds "$boot_s" --memory-size $((MEM_MIB << 20)) ||
    die "the LiME capture failed its checks (kept in $WORK)"
rm -rf "$WORK/overlay" "$WORK/overlay.cpio.gz" "$WORK/console.raw.log"
rm -rf "$OUT"
mv "$WORK" "$OUT"
: >"$OUT/.complete"
log "done: $OUT ($(du -sh "$OUT" | cut -f1) on disk) in $((SECONDS - t_start)) s"
