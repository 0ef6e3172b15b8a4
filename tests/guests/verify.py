#!/usr/bin/env python3
"""Cross-check one guest output directory before make-guest.sh marks it complete.

  verify.py DIR

Checks, independently of the Rust code under test:
  * core.elf's PT_LOAD segments hold the same bytes as mem.raw at the same physical address;
  * the kernel's linux_banner, translated through the captured page-table root (CR3 / TTBR1)
    with a small page walker over mem.raw, reads "Linux version <release>";
  * the marker's argv bytes sit in mem.raw at the physical address /proc/PID/pagemap gave;
  * MSRs the guest read itself (x86, truth/msr.txt) point at the kernel's entry symbols:
    LSTAR at entry_SYSCALL_64, SYSENTER_EIP at entry_SYSENTER_32 / entry_SYSENTER_compat.
Exit status 0 when every check passes.
"""

import json
import os
import struct
import sys


class Mem:
    def __init__(self, path):
        self.f = open(path, "rb")
        self.size = os.fstat(self.f.fileno()).st_size

    def read(self, pa, n):
        if pa < 0 or pa + n > self.size:
            raise ValueError("physical 0x%x+%d outside mem.raw" % (pa, n))
        self.f.seek(pa)
        return self.f.read(n)

    def u32(self, pa):
        return struct.unpack("<I", self.read(pa, 4))[0]

    def u64(self, pa):
        return struct.unpack("<Q", self.read(pa, 8))[0]


def walk_x86_64(mem, root, va, levels):
    table = root & 0x000FFFFFFFFFF000
    for lvl in range(levels, 0, -1):  # 5/4 = PML5/PML4 ... 1 = PT
        shift = 12 + 9 * (lvl - 1)
        e = mem.u64(table + ((va >> shift) & 511) * 8)
        if not e & 1:
            return None
        if lvl in (2, 3) and e & 0x80:  # 2 MiB / 1 GiB page
            return (e & 0x000FFFFFFFFFF000 & ~((1 << shift) - 1)) | (va & ((1 << shift) - 1))
        table = e & 0x000FFFFFFFFFF000
    return table | (va & 0xFFF)


def walk_pae(mem, root, va):
    e = mem.u64((root & 0xFFFFFFE0) + ((va >> 30) & 3) * 8)
    if not e & 1:
        return None
    e = mem.u64((e & 0x000FFFFFFFFFF000) + ((va >> 21) & 511) * 8)
    if not e & 1:
        return None
    if e & 0x80:
        return (e & 0x000FFFFFFFE00000) | (va & 0x1FFFFF)
    e = mem.u64((e & 0x000FFFFFFFFFF000) + ((va >> 12) & 511) * 8)
    return (e & 0x000FFFFFFFFFF000) | (va & 0xFFF) if e & 1 else None


def walk_legacy(mem, root, va):
    e = mem.u32((root & 0xFFFFF000) + ((va >> 22) & 1023) * 4)
    if not e & 1:
        return None
    if e & 0x80:  # 4 MiB page (PSE)
        return (e & 0xFFC00000) | (va & 0x3FFFFF)
    e = mem.u32((e & 0xFFFFF000) + ((va >> 12) & 1023) * 4)
    return (e & 0xFFFFF000) | (va & 0xFFF) if e & 1 else None


def walk_arm64(mem, ttbr1, tcr, va):
    t1sz = (tcr >> 16) & 0x3F
    if t1sz != 16:
        raise ValueError("walker only handles 48-bit TTBR1 (T1SZ=16), got %d" % t1sz)
    table = ttbr1 & 0x0000FFFFFFFFF000
    for lvl in range(4):
        shift = 39 - 9 * lvl
        e = mem.u64(table + ((va >> shift) & 511) * 8)
        if not e & 1:
            return None
        if lvl < 3 and e & 2 == 0:  # block descriptor at level 1 or 2
            return (e & 0x0000FFFFFFFFF000 & ~((1 << shift) - 1)) | (va & ((1 << shift) - 1))
        table = e & 0x0000FFFFFFFFF000
    return table | (va & 0xFFF)


def translate(meta, mem, va):
    r = {k: int(v, 16) for k, v in meta["registers"].items()}
    pm = meta["page_mode"]
    if pm == "Ia32e":
        return walk_x86_64(mem, r["cr3"], va, 4)
    if pm == "Ia32eLa57":
        return walk_x86_64(mem, r["cr3"], va, 5)
    if pm == "Pae":
        return walk_pae(mem, r["cr3"], va)
    if pm == "Legacy":
        return walk_legacy(mem, r["cr3"], va)
    if pm == "Aarch64":
        return walk_arm64(mem, r["ttbr1_el1"], r["tcr_el1"], va)
    raise ValueError("unknown page mode " + pm)


def symbols(path):
    out = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 3 and p[2] not in out:
                out[p[2]] = int(p[0], 16)
    return out


def check_core(d, mem, ram):
    with open(os.path.join(d, "core.elf"), "rb") as f:
        hdr = f.read(64)
        if hdr[:4] != b"\x7fELF":
            raise ValueError("core.elf is not ELF")
        is64 = hdr[4] == 2
        if is64:
            phoff, phentsize, phnum = struct.unpack_from("<Q", hdr, 32)[0], *struct.unpack_from("<HH", hdr, 54)
        else:
            phoff, phentsize, phnum = struct.unpack_from("<I", hdr, 28)[0], *struct.unpack_from("<HH", hdr, 42)
        checked = 0
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            ph = f.read(phentsize)
            if is64:
                p_type, _, p_offset, _, p_paddr, p_filesz = struct.unpack_from("<IIQQQQ", ph)
            else:
                p_type, p_offset, _, p_paddr, p_filesz = struct.unpack_from("<IIIII", ph)
            if p_type != 1 or p_filesz == 0:
                continue
            pages = p_filesz // 4096
            for k in range(0, pages, max(1, pages // 256)):
                pa = p_paddr + k * 4096
                # core.elf also carries ROM blocks (BIOS, option ROMs); mem.raw is RAM only.
                if not any(r["start"] <= pa and pa + 4096 <= r["end"] for r in ram):
                    continue
                f.seek(p_offset + k * 4096)
                a = f.read(4096)
                b = mem.read(pa, len(a))
                if a != b:
                    raise ValueError("core.elf and mem.raw differ at physical 0x%x" % (p_paddr + k * 4096))
                checked += 1
    return checked


# MSR -> the entry symbols Linux may load into it (the first one the kernel has counts).
MSR_ENTRY = (("lstar", ("entry_SYSCALL_64",)), ("sysenter_eip", ("entry_SYSENTER_32", "entry_SYSENTER_compat")))


def check_msrs(meta, kall, smap, off):
    regs = meta["registers"]
    done = []
    for reg, names in MSR_ENTRY:
        if reg not in regs:
            continue
        name = next((n for n in names if n in kall or n in smap), None)
        if name is None:
            continue
        want = kall.get(name)
        if want is None:
            want = (smap[name] + off) & (0xFFFFFFFF if meta["arch"] == "x86" else (1 << 64) - 1)
        got = int(regs[reg], 16)
        if got != want:
            raise ValueError("MSR %s = 0x%x but %s is at 0x%x" % (reg, got, name, want))
        done.append("%s=%s" % (reg, name))
    return done


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    mem = Mem(os.path.join(d, "mem.raw"))
    pages = check_core(d, mem, meta["ram_ranges"])

    # The banner through the page tables.
    kall = symbols(os.path.join(d, "truth", "kallsyms"))
    smap = symbols(os.path.join(d, "System.map"))
    off = int(meta["kaslr"]["offset"], 16)
    va = kall.get("linux_banner") or (smap["linux_banner"] + off) & ((1 << 64) - 1)
    pa = translate(meta, mem, va)
    if pa is None:
        raise ValueError("linux_banner 0x%x does not translate" % va)
    want = ("Linux version " + meta["kernel"]["release"]).encode()
    got = mem.read(pa, len(want))
    if got != want:
        raise ValueError("linux_banner at 0x%x (pa 0x%x) reads %r" % (va, pa, got))

    # The marker's argv at the physical address pagemap reported.
    mk = dict(l.split("=", 1) for l in open(os.path.join(d, "truth", "marker.txt")) if "=" in l and l[0] != "#")
    cmd = bytes.fromhex(mk["cmdline_hex"].strip())
    if "arg_start_phys_hex" not in mk:
        raise ValueError("marker.txt has no physical address for arg_start")
    apa = int(mk["arg_start_phys_hex"], 16)
    n = min(len(cmd), 4096 - (apa & 0xFFF))
    if mem.read(apa, n) != cmd[:n]:
        raise ValueError("marker argv not found at physical 0x%x" % apa)
    msrs = check_msrs(meta, kall, smap, off)
    print("verify %s: core.elf matches mem.raw on %d pages; linux_banner 0x%x -> 0x%x; marker argv at 0x%x; "
          "MSRs: %s" % (meta["name"], pages, va, pa, apa, " ".join(msrs) or "none"))


if __name__ == "__main__":
    try:
        main()
    except (ValueError, KeyError, OSError) as e:
        print("verify: FAILED: %s" % e, file=sys.stderr)
        sys.exit(1)
