#!/usr/bin/env python3
"""Second half of make-lime.sh: after the LiME guest powered off, decode the truth it
sent over the console, check the dump LiME wrote to the virtual disk, and write
meta.json.

    lime_finish.py WORK_DIR --system-map F --kernel-release R --kernel-package P
                   --kernel-package-version V --qemu-json F --boot-seconds S

WORK_DIR holds console.raw.log (the serial console) and mem.lime (the disk image).
Writes WORK_DIR/truth/*, console.log (payloads replaced by a placeholder) and
meta.json. Exits non-zero with a message on anything inconsistent.
"""

import argparse
import base64
import datetime
import gzip
import hashlib
import json
import os
import re
import struct
import sys

LIME_MAGIC = 0x4C694D45
HEADER = struct.Struct("<IIQQ8s")

BEGIN = re.compile(r"@@VMI-BEGIN (\S+) (\d+) ([0-9a-f]{64})@@")
END = re.compile(r"@@VMI-END (\S+)@@")


def die(msg):
    print(f"[lime_finish] error: {msg}", file=sys.stderr)
    sys.exit(1)


def decode_console(raw_path, truth_dir, log_path):
    """Writes each section to truth_dir; returns {name: bytes} and whether DONE was seen."""
    text = open(raw_path, "rb").read().decode("utf-8", "replace").replace("\r", "")
    sections, out_lines = {}, []
    cur = None
    done = False
    for line in text.split("\n"):
        if cur is not None:
            m = END.search(line)
            if m:
                name, size, digest, chunks = cur
                if m.group(1) != name:
                    die(f"section {name} closed as {m.group(1)}")
                data = gzip.decompress(base64.b64decode("".join(chunks)))
                if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
                    die(f"section {name}: size/sha256 mismatch")
                sections[name] = data
                out_lines.append(f"@@VMI-SECTION {name} {size} bytes@@")
                cur = None
            else:
                chunks.append(line.strip())
            continue
        m = BEGIN.search(line)
        if m:
            cur = (m.group(1), int(m.group(2)), m.group(3), [])
            chunks = cur[3]
            continue
        if "@@VMI-DONE@@" in line:
            done = True
        out_lines.append(line)
    if cur is not None:
        die(f"section {cur[0]} never ended")
    os.makedirs(truth_dir, exist_ok=True)
    for name, data in sections.items():
        if "/" in name or name.startswith("."):
            die(f"bad section name {name!r}")
        with open(os.path.join(truth_dir, name), "wb") as f:
            f.write(data)
    with open(log_path, "w") as f:
        f.write("\n".join(out_lines))
    return sections, done


def lime_ranges(path):
    """Walks LiME range headers until a zero header or the end of the file.

    Returns ([(start, end_inclusive, data_offset)], end of the last range's data)."""
    ranges = []
    size = os.path.getsize(path)
    off = 0
    with open(path, "rb") as f:
        while off + HEADER.size <= size and len(ranges) < 4096:
            f.seek(off)
            hdr = f.read(HEADER.size)
            if hdr == bytes(HEADER.size):
                break
            magic, version, s, e, _ = HEADER.unpack(hdr)
            if magic != LIME_MAGIC or version != 1 or e < s:
                die(f"mem.lime: bad LiME header at {off:#x}: {hdr.hex()}")
            data = off + HEADER.size
            if data + (e - s + 1) > size:
                die(f"mem.lime: range {s:#x}-{e:#x} runs past the disk's end")
            ranges.append((s, e, data))
            off = data + (e - s + 1)
    return ranges, off


def iomem_ram(text):
    out = []
    for line in text.splitlines():
        if line.startswith(" ") or " : " not in line:
            continue
        rng, what = line.split(" : ", 1)
        if what.strip() == "System RAM":
            a, b = rng.split("-")
            out.append((int(a, 16), int(b, 16)))
    return out


def symbol(text, name):
    for line in text.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] == name:
            return int(f[0], 16)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--system-map", required=True)
    ap.add_argument("--kernel-release", required=True)
    ap.add_argument("--kernel-package", required=True)
    ap.add_argument("--kernel-package-version", required=True)
    ap.add_argument("--qemu-json", required=True)
    ap.add_argument("--boot-seconds", type=float, required=True)
    ap.add_argument("--memory-size", type=int, required=True)
    a = ap.parse_args()
    w = a.work
    truth = os.path.join(w, "truth")
    sections, done = decode_console(
        os.path.join(w, "console.raw.log"), truth, os.path.join(w, "console.log")
    )
    if not done:
        die("the guest never reported @@VMI-DONE@@ (see console.raw.log)")
    need = ["version", "uname_r", "kallsyms", "iomem", "modules", "insmod.txt",
            "procs.txt", "ps.txt", "ps_after.txt", "lime.txt"]
    missing = [n for n in need if n not in sections]
    if missing:
        die(f"missing truth sections: {missing}")
    s = {k: v.decode("utf-8", "replace") for k, v in sections.items()}
    if s["uname_r"].strip() != a.kernel_release:
        die(f"guest runs {s['uname_r'].strip()}, expected {a.kernel_release}")
    if "FAILED" in s["insmod.txt"] or "/dev/vda" not in s["insmod.txt"]:
        die(f"block driver chain did not load:\n{s['insmod.txt']}")
    if "rc=0" not in s["lime.txt"].split():
        die(f"insmod lime.ko failed:\n{s['lime.txt']}")
    procs = dict(l.split("=", 1) for l in s["procs.txt"].splitlines() if "=" in l)
    if procs.get("sleeper_comm") != "vmi_lime_sleep" or procs.get("reader_comm") != "vmi_lime_reader":
        die(f"distinctive processes did not start:\n{s['procs.txt']}")

    # The dump: every LiME range is a top-level System RAM range of /proc/iomem.
    mem = os.path.join(w, "mem.lime")
    ranges, data_end = lime_ranges(mem)
    want = iomem_ram(s["iomem"])
    got = [(r[0], r[1]) for r in ranges]
    if got != want:
        die(f"LiME ranges {[(hex(x), hex(y)) for x, y in got]} != iomem System RAM "
            f"{[(hex(x), hex(y)) for x, y in want]}")
    with open(mem, "rb") as f:
        f.seek(data_end)
        tail = f.read(1 << 20)
    if tail.strip(b"\0"):
        die(f"non-zero bytes after the last LiME range at {data_end:#x}")

    smap = open(a.system_map).read()
    kall = s["kallsyms"]
    t_map, t_run = symbol(smap, "_text"), symbol(kall, "_text")
    if t_map is None or t_run is None or t_run == 0:
        die("_text missing from System.map or kallsyms (kptr_restrict?)")
    qemu_cmd = json.load(open(a.qemu_json))
    meta = {
        "format": 1,
        "name": "x86_64-lime",
        "arch": "x86_64",
        "page_mode": "Ia32e",
        "page_size": 4096,
        "kernel": {
            "package": a.kernel_package,
            "package_version": a.kernel_package_version,
            "release": a.kernel_release,
            "version": s["version"].strip(),
            "cmdline": s.get("cmdline", "").strip(),
        },
        "kaslr": {
            "anchor": "_text",
            "system_map": hex(t_map),
            "kallsyms": hex(t_run),
            "offset": hex((t_run - t_map) % (1 << 64)),
        },
        "memory_size": a.memory_size,
        "lime": {
            "path": "mem.lime",
            "producer": "LiME " + re.sub(r"\s+", " ", s["lime.txt"]).strip(),
            "size": os.path.getsize(mem),
            "data_end": data_end,
            "ranges": [{"start": x, "end_inclusive": y, "data_offset": o} for x, y, o in ranges],
            "note": "the disk image LiME wrote (path=/dev/vda); zero bytes after data_end",
        },
        "system_map": "System.map",
        "processes": {k: (int(v) if v.isdigit() else v) for k, v in procs.items()},
        "qemu": {"command": qemu_cmd},
        "timings_s": {"boot_to_poweroff": a.boot_seconds},
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    with open(os.path.join(w, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(f"[lime_finish] {len(ranges)} LiME ranges, data ends at {data_end:#x} of "
          f"{os.path.getsize(mem):#x}; KASLR offset {meta['kaslr']['offset']}", file=sys.stderr)


if __name__ == "__main__":
    main()
