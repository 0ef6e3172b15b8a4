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
# /vmi.conf (written by guest_run.py) sets MODULES, MARKER_ARG and MARKER_ENV.

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
echo "@@VMI-DONE@@"

# Idle for ever without forking: open() of a FIFO with no writer blocks.
while :; do
    read -r x </tmp/idle_fifo
done
