#!/bin/sh
# /init of the test guests' busybox initramfs. It records ground truth from inside the
# guest and sends it over the console, then idles so the host can stop and dump the VM.
#
# Console protocol (one section per file; the host checks size and sha256):
#   @@VMI-BEGIN <name> <size> <sha256>@@
#   base64 of gzip of the content, 76 columns
#   @@VMI-END <name>@@
# and finally @@VMI-DONE@@. Kernel messages are kept off the console meanwhile.
#
# /vmi.conf (written by guest_run.py) sets MODULES, MARKER_ARG and MARKER_ENV, and on x86
# MSR_MODULE (msr.ko, to read MSRs) or MSR_MISSING (why there is none).

export PATH=/bin
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo 1 >/proc/sys/kernel/printk
# Real kernel addresses in /proc/kallsyms, /proc/modules and /proc/iomem for root.
echo 0 >/proc/sys/kernel/kptr_restrict
echo 0 >/proc/sys/kernel/dmesg_restrict
. /vmi.conf

echo "@@VMI-INIT@@"

emit() { # emit NAME FILE
    sum=$(sha256sum <"$2")
    size=$(wc -c <"$2")
    echo "@@VMI-BEGIN $1 $size ${sum%% *}@@"
    gzip -c <"$2" | base64
    echo "@@VMI-END $1@@"
}

# Two real modules of the kernel package (dependency-free, picked by make-guest.sh).
: >/tmp/insmod.txt
for m in $MODULES; do
    if insmod "/modules/$m" >>/tmp/insmod.txt 2>&1; then
        echo "ok $m" >>/tmp/insmod.txt
    else
        echo "FAILED $m" >>/tmp/insmod.txt
    fi
done

# MSRs the host cannot see (QEMU 7.2 shows no MSRs): read through msr.ko's
# /dev/cpu/0/msr, where the file position is the MSR number and reads take 8 bytes.
# One key=value per line: module (ok / FAILED / missing: why) and each MSR as 0x... or
# "unreadable" (e.g. LSTAR on a CPU without long mode).
read_msr() { # NAME NUMBER(decimal)
    v=$(dd if=/dev/cpu/0/msr bs=8 count=1 skip="$2" iflag=skip_bytes 2>/dev/null | od -An -tx8 | tr -d ' \n')
    case $v in
    [0-9a-f]*) echo "$1=0x$v" ;;
    *) echo "$1=unreadable" ;;
    esac
}
if [ -n "$MSR_MODULE" ] || [ -n "$MSR_MISSING" ]; then
    if [ -z "$MSR_MODULE" ]; then
        echo "module=$MSR_MISSING" >/tmp/msr.txt
    elif insmod "/modules/$MSR_MODULE" >/tmp/msr_insmod.txt 2>&1; then
        echo "module=ok" >/tmp/msr.txt
        i=0
        while [ ! -c /dev/cpu/0/msr ] && [ $i -lt 100 ]; do
            sleep 0.05
            i=$((i + 1))
        done
        if [ ! -c /dev/cpu/0/msr ]; then
            # No devtmpfs node: the msr driver's char major is 202, minor = CPU.
            mkdir -p /dev/cpu/0
            mknod /dev/cpu/0/msr c 202 0
        fi
        {
            read_msr lstar 3221225602        # 0xc0000082 IA32_LSTAR
            read_msr cstar 3221225603        # 0xc0000083 IA32_CSTAR
            read_msr sysenter_cs 372         # 0x174
            read_msr sysenter_esp 373        # 0x175
            read_msr sysenter_eip 374        # 0x176
        } >>/tmp/msr.txt
    else
        echo "module=FAILED $(tr '\n' ' ' </tmp/msr_insmod.txt)" >/tmp/msr.txt
    fi
fi

# The marker process: a shell that renames itself (/proc/self/comm) and then blocks in
# open() of a FIFO nobody writes, with a known argument and environment string.
mkfifo /tmp/marker_fifo /tmp/idle_fifo
VMI_MARKER_ENV="$MARKER_ENV" /bin/sh -c 'echo -n vmi_marker_proc >/proc/self/comm; read x </tmp/marker_fifo' "$MARKER_ARG" &
mpid=$!
i=0
while [ $i -lt 200 ]; do
    c=""
    read -r c </proc/$mpid/comm
    [ "$c" = vmi_marker_proc ] && break
    sleep 0.05
    i=$((i + 1))
done
echo "$mpid" >/tmp/marker_pid
cat /proc/$mpid/stat >/tmp/marker_stat
cat /proc/$mpid/cmdline >/tmp/marker_cmdline
cat /proc/$mpid/environ >/tmp/marker_environ
cat /proc/$mpid/maps >/tmp/marker_maps
cat /proc/$mpid/status >/tmp/marker_status
# Page-map entries (8 bytes each, PFN visible to root) of the pages holding
# arg_start and env_start: the physical truth for the marker's user addresses.
set -- $(cat /proc/$mpid/stat | sed 's/.*) //')
arg_start=${46}
env_start=${48}
psz=4096 # every guest kernel here uses 4 KiB pages
: >/tmp/marker_pagemap
for va in $arg_start $env_start; do
    dd if=/proc/$mpid/pagemap bs=8 skip=$((va / psz)) count=1 2>/dev/null >>/tmp/marker_pagemap
done

cat /proc/version >/tmp/version
cat /proc/cmdline >/tmp/cmdline
cat /proc/kallsyms >/tmp/kallsyms
cat /proc/modules >/tmp/modules
cat /proc/iomem >/tmp/iomem
cat /proc/cpuinfo >/tmp/cpuinfo
uname -r >/tmp/uname_r

# The process list, last, with shell builtins only so that the capture itself forks
# nothing: pid, ppid, /proc/PID/comm, and the name field of /proc/PID/stat.
for d in /proc/[0-9]*; do
    p=${d#/proc/}
    s=""
    c=""
    read -r s <"$d/stat" || continue
    read -r c <"$d/comm"
    n=${s#*(}
    n=${n%)*}
    r=${s##*) }
    set -- $r
    printf '%s\t%s\t%s\t%s\n' "$p" "$2" "$c" "$n"
done >/tmp/ps.txt
dmesg >/tmp/dmesg

for f in version cmdline uname_r kallsyms modules insmod.txt iomem cpuinfo dmesg \
    marker_pid marker_stat marker_cmdline marker_environ marker_maps marker_status marker_pagemap ps.txt; do
    emit "$f" "/tmp/$f"
done
[ -f /tmp/msr.txt ] && emit msr.txt /tmp/msr.txt
echo "@@VMI-DONE@@"

# Idle for ever without forking: open() of a FIFO with no writer blocks.
while :; do
    read -r x </tmp/idle_fifo
done
