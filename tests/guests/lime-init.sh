#!/bin/sh
# /init of the LiME guest (make-lime.sh). It replaces the x86_64 guest's /init in the
# same initramfs: records ground truth over the console (the protocol of init.sh:
# @@VMI-BEGIN name size sha256@@ / base64 of gzip / @@VMI-END name@@), loads the virtio
# block driver chain, lets the real LiME module dump physical memory to /dev/vda in
# "lime" format, and powers the VM off.
#
# /lime.conf (written by make-lime.sh) sets BLOCK_MODULES (load order), LIME_PARAMS and
# NONCE.

export PATH=/bin
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo 1 >/proc/sys/kernel/printk
echo 0 >/proc/sys/kernel/kptr_restrict
echo 0 >/proc/sys/kernel/dmesg_restrict
. /lime.conf

echo "@@VMI-INIT@@"

emit() { # emit NAME FILE
    sum=$(sha256sum <"$2")
    size=$(wc -c <"$2")
    echo "@@VMI-BEGIN $1 $size ${sum%% *}@@"
    gzip -c <"$2" | base64
    echo "@@VMI-END $1@@"
}

# Processes with distinctive names that live through the dump:
#  - vmi_lime_sleep: busybox `sleep` run through a symlink of that name (comm is the
#    executable's file name, argv[0] picks the applet);
#  - vmi_lime_reader: a shell that renames itself and blocks on a FIFO.
mkfifo /tmp/reader_fifo /tmp/idle_fifo
ln -s /bin/busybox /tmp/vmi_lime_sleep
/bin/sh -c 'exec -a sleep /tmp/vmi_lime_sleep 100000' &
spid=$!
/bin/sh -c 'echo -n vmi_lime_reader >/proc/self/comm; read x </tmp/reader_fifo' "lime-$NONCE" &
rpid=$!
i=0
while [ $i -lt 200 ]; do
    a=""
    b=""
    read -r a </proc/$spid/comm
    read -r b </proc/$rpid/comm
    [ "$a" = vmi_lime_sleep ] && [ "$b" = vmi_lime_reader ] && break
    sleep 0.05
    i=$((i + 1))
done
printf 'sleeper_pid=%s\nsleeper_comm=%s\nreader_pid=%s\nreader_comm=%s\nnonce=%s\n' \
    "$spid" "$a" "$rpid" "$b" "$NONCE" >/tmp/procs.txt

# The block driver chain, dependencies first.
: >/tmp/insmod.txt
for m in $BLOCK_MODULES; do
    if insmod "/lime/$m.ko" >>/tmp/insmod.txt 2>&1; then
        echo "ok $m" >>/tmp/insmod.txt
    else
        echo "FAILED $m" >>/tmp/insmod.txt
    fi
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 200 ]; do
    sleep 0.05
    i=$((i + 1))
done
[ -b /dev/vda ] && echo "ok /dev/vda $(cat /sys/block/vda/size) sectors" >>/tmp/insmod.txt

cat /proc/version >/tmp/version
cat /proc/cmdline >/tmp/cmdline
uname -r >/tmp/uname_r
cat /proc/kallsyms >/tmp/kallsyms
cat /proc/iomem >/tmp/iomem
cat /proc/modules >/tmp/modules

# pid, ppid, /proc/PID/comm, stat name; shell builtins only (forks nothing).
ps_list() {
    echo "# pid	ppid	comm	stat_name"
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
    done
}

for f in version cmdline uname_r kallsyms iomem modules insmod.txt procs.txt; do
    emit "$f" "/tmp/$f"
done

# Right before the dump, and again right after it: processes in both lists were alive
# throughout the capture.
ps_list >/tmp/ps.txt
if [ -b /dev/vda ]; then
    insmod /lime/lime.ko $LIME_PARAMS >/tmp/lime.txt 2>&1
    echo "rc=$?" >>/tmp/lime.txt
else
    echo "rc=no-disk" >/tmp/lime.txt
fi
ps_list >/tmp/ps_after.txt
sync
dmesg >/tmp/dmesg
cat /proc/modules >/tmp/modules_after
for f in ps.txt lime.txt ps_after.txt modules_after dmesg; do
    emit "$f" "/tmp/$f"
done
echo "@@VMI-DONE@@"
sync
poweroff -f
# Not reached unless the power-off failed; the host's timeout ends the VM then.
while :; do
    read -r x </tmp/idle_fifo
done
