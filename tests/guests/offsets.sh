#!/bin/bash
# Writes target/guests/NAME/offsets.txt: the task_struct / mm_struct member
# offsets libvmi's `linux_*` config keys want, read by gdb from the guest
# kernel's DWARF vmlinux (ground truth independent of our BTF parser).
# Cached: does nothing when the file exists.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
name=${1:?usage: offsets.sh NAME}
dir=$root/target/guests/$name
out=$dir/offsets.txt
[ -s "$out" ] && exit 0
[ -f "$dir/meta.json" ] || { echo "offsets.sh: guest $name is not built" >&2; exit 1; }
rel=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get('vmlinux') or '')" "$dir/meta.json")
vmlinux=$(cd "$dir" && realpath -e "$rel" 2>/dev/null || true)
[ -n "$vmlinux" ] || { echo "offsets.sh: no vmlinux for $name (built with GUEST_NO_VMLINUX?)" >&2; exit 1; }
command -v gdb >/dev/null || { echo "offsets.sh: gdb is needed" >&2; exit 1; }
q() { printf -- "-ex\0print (long)&((struct %s*)0)->%s\0" "$1" "$2"; }
mapfile -d '' args < <(q task_struct tasks; q task_struct mm; q task_struct pid; q task_struct comm; q mm_struct pgd)
vals=$(gdb -batch -nx "${args[@]}" "$vmlinux" 2>/dev/null | sed -n 's/^\$[0-9]* = //p')
set -- $vals
[ $# -eq 5 ] || { echo "offsets.sh: gdb gave '$vals'" >&2; exit 1; }
printf 'linux_tasks=%s\nlinux_mm=%s\nlinux_pid=%s\nlinux_name=%s\nlinux_pgd=%s\n' "$@" > "$out.tmp"
mv "$out.tmp" "$out"
