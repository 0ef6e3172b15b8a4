#!/usr/bin/env bash
# Build one test guest's memory image and ground truth under target/guests/NAME/.
#
#   tests/guests/make-guest.sh NAME      NAME: x86_64 x86_64-la57 x86_64-5g i386-pae i386 arm64
#
# A guest whose output directory is complete is left alone (cache). Kernel, busybox
# and debug-symbol downloads are cached under target/guests/cache/. Package versions
# are resolved at run time from the Debian mirror the host is configured with, through
# a private apt configuration under the cache (the host's apt state is never touched).
#
# Environment knobs:
#   GUEST_FORCE=1          rebuild the output even if it is complete (downloads stay cached)
#   GUEST_NO_VMLINUX=1     do not extract the DWARF vmlinux from the -dbg package
#   GUEST_KEEP_DBG_DEB=1   keep the ~850 MB -dbg .deb in the cache after extraction
#   GUEST_APT_SUITES       suites to resolve from (default "bookworm"; see README)
#   GUEST_TIMEOUT          seconds to wait for the guest's ground truth (default 900)
#   GUEST_NO_INSTALL=1     never apt-get install missing host tools, fail instead
set -euo pipefail

log() { printf '[make-guest %s] %s\n' "${NAME:-?}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $# -eq 1 ]] || { echo "usage: $0 NAME  (x86_64 x86_64-la57 x86_64-5g i386-pae i386 arm64)" >&2; exit 2; }
NAME=$1

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || (cd "$HERE/../.." && pwd))
GUESTS=$ROOT/target/guests
CACHE=$GUESTS/cache
OUT=$GUESTS/$NAME

# Per-guest settings. MEM_MIB is the guest RAM; PAGE_MODE uses the crate's PageMode names.
MACHINE=pc
CPU=qemu64
MEM_MIB=256
CONSOLE=ttyS0
case $NAME in
x86_64)      ARCH=x86_64  DEB_ARCH=amd64 FLAVOUR=amd64   QEMU=qemu-system-x86_64  PAGE_MODE=Ia32e ;;
x86_64-la57) ARCH=x86_64  DEB_ARCH=amd64 FLAVOUR=amd64   QEMU=qemu-system-x86_64  PAGE_MODE=Ia32eLa57 CPU=qemu64,+la57 ;;
x86_64-5g)   ARCH=x86_64  DEB_ARCH=amd64 FLAVOUR=amd64   QEMU=qemu-system-x86_64  PAGE_MODE=Ia32e MEM_MIB=5120 ;;
i386-pae)    ARCH=x86     DEB_ARCH=i386  FLAVOUR=686-pae QEMU=qemu-system-i386    PAGE_MODE=Pae CPU=qemu32 ;;
i386)        ARCH=x86     DEB_ARCH=i386  FLAVOUR=686     QEMU=qemu-system-i386    PAGE_MODE=Legacy CPU=qemu32 ;;
arm64)       ARCH=arm64   DEB_ARCH=arm64 FLAVOUR=arm64   QEMU=qemu-system-aarch64 PAGE_MODE=Aarch64 MACHINE=virt CPU=cortex-a57 CONSOLE=ttyAMA0 ;;
*) die "unknown guest '$NAME'" ;;
esac

# Output format, written to meta.json "format" and to .complete. A finished guest is
# reused only if its .complete names a format at least CURRENT_SINCE: the oldest format
# whose output this guest still matches (format 2 added the x86 MSR truth, so arm64
# guests of format 1 are still current). An empty .complete is format 1.
GUEST_FORMAT=2
case $ARCH in
arm64) CURRENT_SINCE=1 ;;
*) CURRENT_SINCE=2 ;;
esac
built_format() {
    local f
    f=$(sed -n 's/^format=\([0-9]\+\)$/\1/p' "$OUT/.complete" 2>/dev/null | head -n1)
    echo "${f:-1}"
}
if [[ ${GUEST_FORCE:-0} != 1 && -f $OUT/.complete ]]; then
    if [[ $(built_format) -ge $CURRENT_SINCE ]]; then
        log "cached: $OUT (format $(built_format); GUEST_FORCE=1 rebuilds)"
        exit 0
    fi
    log "stale: $OUT is format $(built_format), this guest needs format $CURRENT_SINCE: rebuilding"
fi

# ---------------------------------------------------------------- host tools
need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
have "$QEMU" || case $QEMU in
    qemu-system-aarch64) need_pkgs+=(qemu-system-arm) ;;
    *) need_pkgs+=(qemu-system-x86) ;;
esac
have python3 || need_pkgs+=(python3)
have xz || need_pkgs+=(xz-utils)
have dpkg-deb || need_pkgs+=(dpkg)
have fallocate || need_pkgs+=(util-linux)
have apt-get || die "apt-get is required"
if [[ ${#need_pkgs[@]} -gt 0 ]]; then
    [[ ${GUEST_NO_INSTALL:-0} != 1 && $(id -u) == 0 ]] || die "missing host packages: ${need_pkgs[*]}"
    log "installing host packages: ${need_pkgs[*]}"
    apt-get update -q >&2 || log "apt-get update reported errors; trying the install anyway"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >&2
fi

# ---------------------------------------------------------------- private apt
# One apt root per Debian architecture, so foreign-architecture lists never enter the
# host's apt state (adding i386 to the host makes its `apt-get update` fail here).
mirror_uri() {
    local uri=""
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
        uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
            /etc/apt/sources.list.d/debian.sources)
    fi
    if [[ -z $uri && -f /etc/apt/sources.list ]]; then
        uri=$(awk '$1 == "deb" && $2 !~ /security/ && $2 ~ /^http/ { print $2; exit }' /etc/apt/sources.list)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

apt_root_setup() { # deb-arch
    local a=$1 r=$CACHE/apt/$1
    mkdir -p "$r/etc/sources.list.d" "$r/etc/preferences.d" "$r/state/lists/partial" \
        "$r/cache/archives/partial"
    [[ -f $r/state/status ]] || : >"$r/state/status"
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    {
        echo "Types: deb"
        echo "URIs: $(mirror_uri)"
        echo "Suites: ${GUEST_APT_SUITES:-bookworm}"
        echo "Components: main"
        [[ -f $keyring ]] && echo "Signed-By: $keyring"
    } >"$r/etc/sources.list.d/debian.sources"
    APT_OPTS=(-o "APT::Architecture=$a" -o "APT::Architectures=$a"
        -o "Dir::State=$r/state" -o "Dir::State::status=$r/state/status"
        -o "Dir::Cache=$r/cache" -o "Dir::Etc::SourceList=/dev/null"
        -o "Dir::Etc::SourceParts=$r/etc/sources.list.d"
        -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=$r/etc/preferences.d"
        -o "APT::Sandbox::User=root" -o "Acquire::Retries=3")
}

APT_UPDATED=""
apt_update() { # deb-arch; once per run
    local a=$1
    [[ " $APT_UPDATED " == *" $a "* ]] && return 0
    apt_root_setup "$a"
    log "apt-get update (private root, $a)"
    # A partially failing mirror (index size mismatch while it syncs) makes apt exit 100
    # although the lists that did arrive are usable; what matters is that the kernel
    # metapackage resolves, which the caller checks.
    apt-get "${APT_OPTS[@]}" -q update >"$CACHE/apt/$a.update.log" 2>&1 ||
        log "apt-get update exited $? (see $CACHE/apt/$a.update.log); using the lists it got"
    APT_UPDATED+=" $a"
}

# ---------------------------------------------------------------- downloads
KC=$CACHE/kernel-$FLAVOUR
BC=$CACHE/busybox-$DEB_ARCH
mkdir -p "$CACHE/debs"
# Guests sharing a kernel or an apt root may be built at once: one downloader at a time.
exec 9>"$CACHE/.lock"
flock -w 3600 9 || die "cache lock busy for an hour"

fetch_deb() { # package -> prints path of the cached .deb
    local pkg=$1 f
    f=$(find "$CACHE/debs" -maxdepth 1 \( -name "${pkg}_*_${DEB_ARCH}.deb" -o -name "${pkg}_*_all.deb" \) | head -n1)
    if [[ -z $f ]]; then
        apt_update "$DEB_ARCH"
        log "downloading $pkg ($DEB_ARCH)"
        (cd "$CACHE/debs" && apt-get "${APT_OPTS[@]}" -q download "$pkg" >&2) || die "apt-get download $pkg failed"
        f=$(find "$CACHE/debs" -maxdepth 1 \( -name "${pkg}_*_${DEB_ARCH}.deb" -o -name "${pkg}_*_all.deb" \) | head -n1)
        [[ -n $f ]] || die "downloaded $pkg but cannot find its .deb"
    fi
    echo "$f"
}

# Modules to insmod in the guest: small, no dependencies, harmless without hardware.
MODULE_CANDIDATES=(drivers/net/dummy.ko lib/crc7.ko lib/crc-itu-t.ko lib/crc8.ko net/ipv4/tcp_bbr.ko)

if [[ ! -f $KC/kernel.env ]]; then
    t0=$SECONDS
    rm -rf "$KC" && mkdir -p "$KC/modules"
    apt_update "$DEB_ARCH"
    KPKG=$(apt-cache "${APT_OPTS[@]}" depends "linux-image-$FLAVOUR" 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
    [[ -n $KPKG ]] || die "cannot resolve linux-image-$FLAVOUR for $DEB_ARCH from the mirror"
    KREL=${KPKG#linux-image-}
    KVER=$(apt-cache "${APT_OPTS[@]}" show "$KPKG" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
    log "kernel: $KPKG $KVER"

    kdeb=$(fetch_deb "$KPKG")
    tmp=$(mktemp -d "$CACHE/.kx.XXXXXX")
    dpkg-deb -x "$kdeb" "$tmp"
    cp "$tmp/boot/vmlinuz-$KREL" "$KC/vmlinuz"
    cp "$tmp/boot/config-$KREL" "$KC/config"
    mods=()
    for m in "${MODULE_CANDIDATES[@]}"; do
        src=""
        for ext in "" .xz .zst .gz; do
            [[ -f $tmp/lib/modules/$KREL/kernel/$m$ext ]] && { src=$tmp/lib/modules/$KREL/kernel/$m$ext; break; }
        done
        [[ -n $src ]] || continue
        base=$(basename "$m")
        case $src in
        *.xz) xz -dc "$src" >"$KC/modules/$base" ;;
        *.zst) zstd -qdc "$src" >"$KC/modules/$base" ;;
        *.gz) gzip -dc "$src" >"$KC/modules/$base" ;;
        *) cp "$src" "$KC/modules/$base" ;;
        esac
        # Only modules that depend on nothing: busybox insmod does not resolve dependencies.
        if tr '\0' '\n' <"$KC/modules/$base" | grep -qa '^depends=.\+'; then
            rm -f "$KC/modules/$base"
            continue
        fi
        mods+=("$base")
        [[ ${#mods[@]} -eq 2 ]] && break
    done
    rm -rf "$tmp"
    [[ ${#mods[@]} -eq 2 ]] || die "found fewer than two dependency-free modules in $KPKG"

    # The real System.map (and DWARF vmlinux) live in the -dbg package. Both sit near the
    # start of its data tarball, so tar stops reading after them (--occurrence).
    dbg=$(fetch_deb "$KPKG-dbg")
    t1=$SECONDS
    want=("./usr/lib/debug/boot/System.map-$KREL")
    [[ ${GUEST_NO_VMLINUX:-0} == 1 ]] || want+=("./usr/lib/debug/boot/vmlinux-$KREL")
    tmp=$(mktemp -d "$CACHE/.dx.XXXXXX")
    # dpkg-deb complains about the closed pipe once tar has what it wants; that is expected.
    (dpkg-deb --fsys-tarfile "$dbg" 2>/dev/null || true) | tar -x -C "$tmp" --occurrence=1 "${want[@]}" ||
        die "could not extract ${want[*]} from $dbg"
    mv "$tmp/usr/lib/debug/boot/System.map-$KREL" "$KC/System.map"
    [[ ${GUEST_NO_VMLINUX:-0} == 1 ]] || mv "$tmp/usr/lib/debug/boot/vmlinux-$KREL" "$KC/vmlinux"
    rm -rf "$tmp"
    log "extracted ${want[*]##*/} from the -dbg package in $((SECONDS - t1)) s"
    [[ ${GUEST_KEEP_DBG_DEB:-0} == 1 ]] || rm -f "$dbg"
    [[ $(wc -l <"$KC/System.map") -gt 1000 ]] || die "System.map from $KPKG-dbg looks like a placeholder"

    printf 'KPKG=%s\nKREL=%s\nKVER=%s\nMODULES="%s"\n' "$KPKG" "$KREL" "$KVER" "${mods[*]}" >"$KC/kernel.env.tmp"
    mv "$KC/kernel.env.tmp" "$KC/kernel.env"
    log "kernel cache ready in $((SECONDS - t0)) s"
fi
# shellcheck disable=SC1091
. "$KC/kernel.env"

# msr.ko lets the guest read its own MSRs (LSTAR, SYSENTER_EIP) through /dev/cpu/0/msr:
# register ground truth QEMU 7.2 does not expose. Taken from the cached kernel package
# into $KC/msr/ (kernel caches made before this step get it added). A kernel without a
# usable msr.ko is recorded in $KC/msr/state and the guest build goes on without it.
msr_module_cache() {
    local d=$KC/msr tmp src
    [[ -f $d/state ]] && return 0
    rm -rf "$d" && mkdir -p "$d"
    tmp=$(mktemp -d "$CACHE/.mx.XXXXXX")
    (dpkg-deb --fsys-tarfile "$(fetch_deb "$KPKG")" 2>/dev/null || true) |
        tar -x -C "$tmp" --wildcards "./lib/modules/$KREL/kernel/arch/x86/kernel/msr.ko*" 2>/dev/null || true
    src=$(find "$tmp" -name 'msr.ko*' -type f | head -n1)
    case $src in
    "") echo "missing: no arch/x86/kernel/msr.ko in $KPKG" >"$d/state" ;;
    *.xz) xz -dc "$src" >"$d/msr.ko" ;;
    *.zst) zstd -qdc "$src" >"$d/msr.ko" ;;
    *.gz) gzip -dc "$src" >"$d/msr.ko" ;;
    *) cp "$src" "$d/msr.ko" ;;
    esac
    rm -rf "$tmp"
    if [[ -s $d/msr.ko ]] && tr '\0' '\n' <"$d/msr.ko" | grep -qa '^depends=.\+'; then
        rm -f "$d/msr.ko"
        echo "missing: msr.ko of $KPKG depends on other modules" >"$d/state"
    fi
    [[ -f $d/state ]] || echo "ok" >"$d/state"
    log "msr.ko: $(cat "$d/state")"
}
[[ $ARCH == arm64 ]] || msr_module_cache

if [[ ! -x $BC/busybox ]]; then
    rm -rf "$BC" && mkdir -p "$BC"
    bdeb=$(fetch_deb busybox-static)
    tmp=$(mktemp -d "$CACHE/.bx.XXXXXX")
    dpkg-deb -x "$bdeb" "$tmp"
    bb=$(find "$tmp" -path '*bin/busybox' -type f | head -n1)
    [[ -n $bb ]] || die "no busybox binary in $bdeb"
    cp "$bb" "$BC/busybox.tmp" && chmod 755 "$BC/busybox.tmp" && mv "$BC/busybox.tmp" "$BC/busybox"
    rm -rf "$tmp"
fi

flock -u 9

# ---------------------------------------------------------------- run the guest
WORK=$GUESTS/$NAME.work
rm -rf "$WORK" && mkdir -p "$WORK"
# guest_run.py kills QEMU itself; this catches the case where python is killed first.
kill_qemu() {
    local pid
    pid=$(cat "$WORK/qemu.pid" 2>/dev/null) || return 0
    grep -q qemu "/proc/$pid/cmdline" 2>/dev/null && kill "$pid" 2>/dev/null || true
}
trap kill_qemu EXIT
NONCE=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')

modargs=()
for m in $MODULES; do modargs+=(--module "$KC/modules/$m"); done
msrargs=()
if [[ $ARCH != arm64 ]]; then
    if [[ -s $KC/msr/msr.ko ]]; then
        msrargs+=(--msr-module "$KC/msr/msr.ko")
    else
        msrargs+=(--msr-missing "$(cat "$KC/msr/state")")
    fi
fi
python3 "$HERE/guest_run.py" initramfs --out "$WORK/initrd.gz" --init "$HERE/init.sh" \
    --busybox "$BC/busybox" --nonce "$NONCE" "${modargs[@]}" "${msrargs[@]}"

python3 "$HERE/guest_run.py" run --name "$NAME" --arch "$ARCH" --page-mode "$PAGE_MODE" \
    --qemu "$QEMU" --machine "$MACHINE" --cpu "$CPU" --mem-mib "$MEM_MIB" --console "$CONSOLE" \
    --kernel "$KC/vmlinuz" --initrd "$WORK/initrd.gz" --work "$WORK" --nonce "$NONCE" \
    --kernel-package "$KPKG" --kernel-package-version "$KVER" --kernel-release "$KREL" \
    --system-map "$KC/System.map" --vmlinux "$KC/vmlinux" --modules "$MODULES" \
    --timeout "${GUEST_TIMEOUT:-900}" --format "$GUEST_FORMAT"

cp "$KC/System.map" "$WORK/System.map"
rm -f "$WORK/qemu.pid"
python3 "$HERE/verify.py" "$WORK" >&2 || die "the captured image failed verification (kept in $WORK)"
# Swap the finished work directory in whole, so OUT is either complete or absent.
rm -rf "$OUT"
mv "$WORK" "$OUT"
echo "format=$GUEST_FORMAT" >"$OUT/.complete"
log "done: $OUT ($(du -sh "$OUT" | cut -f1) on disk)"
