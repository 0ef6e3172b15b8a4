#!/usr/bin/env python3
"""Helpers for make-guest.sh: build the initramfs, run QEMU, capture the guest.

Subcommands:
  initramfs  write a gzip'd newc cpio with busybox, /init, /vmi.conf and modules
  run        boot the guest under TCG, wait for its ground truth on the console,
             stop it, save mem.raw / core.elf / registers, write truth/ and meta.json

Standard library only, so a fresh Debian machine needs nothing but python3.
"""

import argparse
import base64
import datetime
import gzip
import hashlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

# ---------------------------------------------------------------- initramfs


def cpio_newc(entries):
    """entries: (name, mode, data, rdev_major, rdev_minor). Returns the archive bytes."""
    out = io.BytesIO()

    def pad4():
        out.write(b"\0" * ((4 - out.tell() % 4) % 4))

    ino = 1
    for name, mode, data, rmaj, rmin in entries + [("TRAILER!!!", 0, b"", 0, 0)]:
        nb = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rmaj, rmin, len(nb), 0]
        out.write(b"070701" + b"".join(b"%08x" % f for f in fields))
        out.write(nb)
        pad4()
        out.write(data)
        pad4()
        ino += 1
    return out.getvalue()


def cmd_initramfs(a):
    def rd(p):
        with open(p, "rb") as f:
            return f.read()

    conf = (
        'MODULES="%s"\nMARKER_ARG="vmi_marker_argv_%s"\nMARKER_ENV="vmi_marker_env_%s"\n'
        % (" ".join(os.path.basename(m) for m in a.module), a.nonce, a.nonce)
    )
    if a.msr_module:
        conf += 'MSR_MODULE="%s"\n' % os.path.basename(a.msr_module)
    elif a.msr_missing:
        conf += 'MSR_MISSING="%s"\n' % a.msr_missing.replace('"', "'").replace("$", "")
    d, f, lnk, chr_ = 0o040755, 0o100755, 0o120777, 0o020600
    entries = [
        ("bin", d, b"", 0, 0),
        ("dev", d, b"", 0, 0),
        ("dev/console", chr_, b"", 5, 1),
        ("proc", d, b"", 0, 0),
        ("sys", d, b"", 0, 0),
        ("tmp", d, b"", 0, 0),
        ("modules", d, b"", 0, 0),
        ("bin/busybox", f, rd(a.busybox), 0, 0),
        ("bin/sh", lnk, b"busybox", 0, 0),
        ("init", f, rd(a.init), 0, 0),
        ("vmi.conf", 0o100644, conf.encode(), 0, 0),
    ]
    for m in a.module + ([a.msr_module] if a.msr_module else []):
        entries.append(("modules/" + os.path.basename(m), 0o100644, rd(m), 0, 0))
    with open(a.out, "wb") as fo:
        fo.write(gzip.compress(cpio_newc(entries), mtime=0))


# ---------------------------------------------------------------- QMP


class Qmp:
    def __init__(self, path, deadline):
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.time() > deadline:
                    raise RuntimeError("QMP socket %s never came up" % path)
                time.sleep(0.1)
        self.sock.settimeout(1800)
        self.f = self.sock.makefile("rwb")
        self._read()  # greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        line = self.f.readline()
        if not line:
            raise RuntimeError("QMP connection closed")
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg).encode() + b"\n")
        self.f.flush()
        while True:
            r = self._read()
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise RuntimeError("QMP %s: %s" % (name, r["error"]))

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})


# ---------------------------------------------------------------- gdbstub


class GdbStub:
    """Just enough of the GDB remote protocol to read registers by name."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect(path)
        self.buf = b""

    def _recv_packet(self):
        while True:
            start = self.buf.find(b"$")
            if start >= 0:
                end = self.buf.find(b"#", start)
                if end >= 0 and len(self.buf) >= end + 3:
                    body = self.buf[start + 1 : end]
                    self.buf = self.buf[end + 3 :]
                    self.sock.sendall(b"+")
                    out = bytearray()
                    i = 0
                    while i < len(body):  # undo binary escaping
                        if body[i] == 0x7D and i + 1 < len(body):
                            out.append(body[i + 1] ^ 0x20)
                            i += 2
                        else:
                            out.append(body[i])
                            i += 1
                    return bytes(out)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("gdbstub closed")
            self.buf += chunk

    def request(self, data):
        pkt = data.encode()
        self.sock.sendall(b"$%s#%02x" % (pkt, sum(pkt) & 0xFF))
        return self._recv_packet()

    def xfer(self, annex):
        data, off = b"", 0
        while True:
            r = self.request("qXfer:features:read:%s:%x,%x" % (annex, off, 0xF00))
            if not r or r[:1] not in (b"m", b"l"):
                raise RuntimeError("qXfer %s failed: %r" % (annex, r[:40]))
            data += r[1:]
            off += len(r) - 1
            if r[:1] == b"l":
                return data

    def register_map(self):
        """name -> (regnum, bitsize), following gdb's numbering of target.xml."""
        self.request("qSupported:xmlRegisters=i386,arm")
        regs, nxt = {}, [0]

        def walk(annex):
            # QEMU's XML uses an xi: prefix it never declares: drop prefixes first.
            xml = re.sub(rb"<(/?)\w+:", rb"<\1", self.xfer(annex))
            root = ET.fromstring(xml)
            for el in root.iter():
                tag = el.tag.split("}")[-1]
                if tag == "include":
                    walk(el.get("href"))
                elif tag == "reg":
                    if el.get("regnum") is not None:
                        nxt[0] = int(el.get("regnum"))
                    regs[el.get("name")] = (nxt[0], int(el.get("bitsize", "0")))
                    nxt[0] += 1

        walk("target.xml")
        return regs

    def read(self, regnum):
        r = self.request("p%x" % regnum)
        if not r or r.startswith(b"E") or len(r) % 2:
            raise RuntimeError("cannot read register %d: %r" % (regnum, r))
        return int.from_bytes(bytes.fromhex(r.decode()), "little")


# Output name -> gdb register names that QEMU may use for it.
GDB_WANTED = {
    "x86_64": {k: [k] for k in ("cr0", "cr2", "cr3", "cr4", "cr8", "efer", "fs_base", "gs_base", "k_gs_base",
                                "rip", "rsp")},
    "x86": {k: [k] for k in ("cr0", "cr2", "cr3", "cr4", "efer", "eip", "esp")},
    "arm64": {
        "ttbr0_el1": ["TTBR0_EL1"], "ttbr1_el1": ["TTBR1_EL1"], "tcr_el1": ["TCR_EL1"],
        "sctlr_el1": ["SCTLR_EL1", "SCTLR"], "mair_el1": ["MAIR_EL1"], "vbar_el1": ["VBAR_EL1", "VBAR"],
        "tpidr_el1": ["TPIDR_EL1"], "sp_el0": ["SP_EL0"], "sp_el1": ["SP_EL1"],
        "id_aa64mmfr0_el1": ["ID_AA64MMFR0_EL1"], "pc": ["pc"], "sp": ["sp"], "cpsr": ["cpsr"],
    },
}


def gdb_registers(path, arch):
    g = GdbStub(path)
    try:
        rmap = g.register_map()
        lower = {k.lower(): v for k, v in rmap.items()}
        out = {}
        for key, names in GDB_WANTED[arch].items():
            hit = next((rmap.get(n) or lower.get(n.lower()) for n in names
                        if rmap.get(n) or lower.get(n.lower())), None)
            if hit is not None:
                out[key] = "0x%x" % g.read(hit[0])
        return out
    finally:
        g.sock.close()  # no 'D': detaching would resume the VM


# ---------------------------------------------------------------- parsing


def parse_info_registers(text):
    regs = {}
    for k, v in re.findall(r"\b(CR0|CR2|CR3|CR4|EFER|RIP|EIP|RSP|ESP|RFL|EFL)=([0-9a-fA-F]+)", text):
        regs[k.lower()] = "0x%x" % int(v, 16)
    for seg in ("FS", "GS"):
        m = re.search(r"^%s\s*=\s*[0-9a-f]+ ([0-9a-f]+) " % seg, text, re.M)
        if m:
            regs[seg.lower() + "_base"] = "0x%x" % int(m.group(1), 16)
    return regs


def parse_mtree_ram(text, backend="ram"):
    """RAM ranges of the system memory flat view: (start, end_exclusive, backend_offset)."""
    views = re.split(r"^FlatView #\d+", text, flags=re.M)
    for v in views:
        if not re.search(r'^\s*AS "memory"', v, re.M):
            continue
        rng = []
        for m in re.finditer(
            r"^\s*([0-9a-f]+)-([0-9a-f]+) \(prio -?\d+, (\w+)\): (\S+)(?: @([0-9a-f]+))?", v, re.M
        ):
            s, e, kind, name, off = m.groups()
            if kind != "ram" or name != backend:
                continue
            s, e = int(s, 16), int(e, 16) + 1
            off = int(off, 16) if off else 0  # no "@" means offset 0 in the region
            if rng and rng[-1][1] == s and rng[-1][2] + (rng[-1][1] - rng[-1][0]) == off:
                rng[-1] = (rng[-1][0], e, rng[-1][2])
            else:
                rng.append((s, e, off))
        return rng
    raise RuntimeError("no flat view for address space 'memory' in info mtree -f")


SECTION_RE = re.compile(r"@@VMI-BEGIN (\S+) (\d+) ([0-9a-f]{64})@@\n(.*?)@@VMI-END \1@@", re.S)
B64_LINE = re.compile(r"^[A-Za-z0-9+/=]+$")


def parse_console(text):
    """Sections sent by init.sh, checked against their size and sha256."""
    text = text.replace("\r", "")
    out = {}
    for name, size, digest, body in SECTION_RE.findall(text):
        b64 = "".join(l for l in body.split("\n") if B64_LINE.match(l))
        data = gzip.decompress(base64.b64decode(b64))
        if len(data) != int(size) or hashlib.sha256(data).hexdigest() != digest:
            raise RuntimeError("section %s arrived damaged over the console" % name)
        out[name] = data
    return out


MSR_NAMES = ("lstar", "cstar", "sysenter_cs", "sysenter_esp", "sysenter_eip")


def parse_msr(data):
    """msr.txt from init.sh: (module status, {name: value} of the MSRs that were read)."""
    kv = dict(l.split("=", 1) for l in data.decode().splitlines() if "=" in l)
    values = {}
    for k in MSR_NAMES:
        v = kv.get(k, "")
        if v.startswith("0x"):
            values[k] = int(v, 16)
    return kv.get("module", "absent"), values


def stat_fields(stat):
    """/proc/PID/stat as a 1-based field list (index 0 unused), comm kept whole."""
    s = stat.decode().strip()
    lp, rp = s.index("("), s.rindex(")")
    return [None, s[:lp].strip(), s[lp + 1 : rp]] + s[rp + 2 :].split()


def symbol_map(text):
    syms = {}
    for line in text.splitlines():
        p = line.split()
        if len(p) >= 3 and p[2] not in syms:
            try:
                syms[p[2]] = int(p[0], 16)
            except ValueError:
                pass
    return syms


# ---------------------------------------------------------------- memory files


def data_extents(fd, start, end):
    """Allocated extents of [start, end) in a sparse file (the whole range if unsupported)."""
    pos = start
    while pos < end:
        try:
            d = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError:  # ENXIO: only a hole is left; EINVAL: no SEEK_DATA support
            if pos == start:
                try:
                    os.lseek(fd, pos, os.SEEK_HOLE)
                except OSError:
                    yield start, end
            return
        if d >= end:
            return
        h = min(os.lseek(fd, d, os.SEEK_HOLE), end)
        yield d, h
        pos = h


def write_sparse_raw(backend, ranges, dest, total):
    """dest[gpa] = RAM byte at gpa; zero blocks and non-RAM stay holes."""
    blk = 1 << 16
    zero = bytes(blk)
    with open(backend, "rb") as src, open(dest, "wb") as out:
        for start, end, off in ranges:
            for ds, de in data_extents(src.fileno(), off, off + (end - start)):
                src.seek(ds)
                pos = ds
                while pos < de:
                    data = src.read(min(blk, de - pos))
                    if not data:
                        raise RuntimeError("backend file shorter than the RAM map")
                    if data != zero[: len(data)]:
                        out.seek(start + (pos - off))
                        out.write(data)
                    pos += len(data)
        out.truncate(total)


def dig_holes(path):
    subprocess.run(["fallocate", "--dig-holes", path], check=False)


# ---------------------------------------------------------------- run


def cmd_run(a):
    work = os.path.abspath(a.work)
    truth = os.path.join(work, "truth")
    os.makedirs(os.path.join(truth, "marker"), exist_ok=True)
    console = os.path.join(work, "console.log")
    backend = os.path.join(work, "guest.ram")
    # Unix socket paths are limited to 107 bytes: fall back to /tmp for deep trees.
    sockdir = work if len(work) < 90 else "/tmp"
    qmp_path = os.path.join(sockdir, "qmp.sock" if sockdir == work else "vmi-%d-qmp.sock" % os.getpid())
    gdb_path = os.path.join(sockdir, "gdb.sock" if sockdir == work else "vmi-%d-gdb.sock" % os.getpid())
    mem = a.mem_mib * (1 << 20)
    cmdline = "console=%s panic=-1 rdinit=/init" % a.console

    machine = "%s,memory-backend=ram" % a.machine
    qemu = [
        a.qemu, "-accel", "tcg", "-M", machine, "-cpu", a.cpu, "-smp", "1", "-m", "%dM" % a.mem_mib,
        "-object", "memory-backend-file,id=ram,size=%dM,mem-path=%s,share=on" % (a.mem_mib, backend),
        "-nodefaults", "-display", "none", "-no-reboot",
        "-kernel", a.kernel, "-initrd", a.initrd, "-append", cmdline,
        "-chardev", "file,id=con0,path=%s" % console, "-serial", "chardev:con0",
        "-qmp", "unix:%s,server=on,wait=off" % qmp_path,
        "-chardev", "socket,id=gdb0,path=%s,server=on,wait=off" % gdb_path, "-gdb", "chardev:gdb0",
        "-pidfile", os.path.join(work, "qemu.pid"),
    ]
    qver = subprocess.run([a.qemu, "--version"], capture_output=True, text=True).stdout.splitlines()[0]

    t_start = time.time()
    qlog = open(os.path.join(work, "qemu.log"), "wb")
    proc = subprocess.Popen(qemu, stdin=subprocess.DEVNULL, stdout=qlog, stderr=subprocess.STDOUT)

    def on_term(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    try:
        deadline = t_start + a.timeout
        qmp = Qmp(qmp_path, t_start + 30)
        # Wait for the guest to finish its ground truth.
        text = ""
        while True:
            if proc.poll() is not None:
                raise RuntimeError("QEMU exited (%s) before the guest finished" % proc.returncode)
            with open(console, "rb") as f:
                text = f.read().decode("latin-1")
            if "@@VMI-DONE@@" in text:
                break
            if "Kernel panic" in text:
                time.sleep(1)
                raise RuntimeError("guest kernel panicked")
            if time.time() > deadline:
                raise RuntimeError("timed out after %d s waiting for the guest" % a.timeout)
            time.sleep(0.5)
        t_truth = time.time()

        qmp.cmd("stop")
        status = qmp.cmd("query-status")
        if status.get("running"):
            raise RuntimeError("guest still running after stop")
        inforegs = qmp.hmp("info registers")
        mtree = qmp.hmp("info mtree -f")
        with open(os.path.join(work, "info-registers.txt"), "w") as f:
            f.write(inforegs)
        with open(os.path.join(work, "info-mtree.txt"), "w") as f:
            f.write(mtree)
        ranges = parse_mtree_ram(mtree)
        if sum(e - s for s, e, _ in ranges) > mem or not ranges:
            raise RuntimeError("RAM map from info mtree does not add up: %r" % ranges)

        total = max(e for _, e, _ in ranges)
        t_stop = time.time()
        write_sparse_raw(backend, ranges, os.path.join(work, "mem.raw"), total)
        t_raw = time.time()
        core = os.path.join(work, "core.elf")
        qmp.cmd("dump-guest-memory", paging=False, protocol="file:" + core)
        dig_holes(core)
        os.chmod(core, 0o644)  # QEMU creates it owner-read-only
        t_dumped = time.time()

        regs = parse_info_registers(inforegs) if a.arch != "arm64" else {}
        gdb_regs = {}
        try:
            gdb_regs = gdb_registers(gdb_path, a.arch)
        except Exception as e:  # registers are a bonus; the dumps are what matter
            print("gdbstub: %s" % e, file=sys.stderr)
        if qmp.cmd("query-status").get("running"):
            raise RuntimeError("guest resumed while being dumped")
        try:
            qmp.cmd("quit")
        except (RuntimeError, OSError):
            pass
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        qlog.close()
        for p in (qmp_path, gdb_path):
            if os.path.exists(p):
                os.unlink(p)
    os.unlink(backend)

    # ------------------------------------------------ ground truth files
    sec = parse_console(text)
    want = [
        "version", "cmdline", "uname_r", "kallsyms", "modules", "insmod.txt", "iomem", "cpuinfo", "dmesg",
        "marker_pid", "marker_stat", "marker_cmdline", "marker_environ", "marker_maps", "marker_status",
        "marker_pagemap", "ps.txt",
    ]
    if a.arch != "arm64":
        want.append("msr.txt")  # present even without msr.ko: it then says why
    missing = [w for w in want if w not in sec]
    if missing:
        raise RuntimeError("console lacks sections: %s" % " ".join(missing))
    with open(console, "w") as f:  # keep a readable log: drop the base64 payloads
        f.write(SECTION_RE.sub(lambda m: "@@VMI-SECTION %s %s bytes@@" % (m.group(1), m.group(2)),
                               text.replace("\r", "")))

    for name in ["version", "cmdline", "kallsyms", "modules", "iomem", "cpuinfo", "dmesg", "insmod.txt", "msr.txt"]:
        if name not in sec:
            continue
        with open(os.path.join(truth, name), "wb") as f:
            f.write(sec[name])
    for name in ["stat", "cmdline", "environ", "maps", "status", "pagemap"]:
        with open(os.path.join(truth, "marker", name), "wb") as f:
            f.write(sec["marker_" + name])
    with open(os.path.join(truth, "ps.txt"), "wb") as f:
        f.write(b"# pid\tppid\tcomm(/proc/PID/comm)\tname(/proc/PID/stat)\n" + sec["ps.txt"])

    # Sanity: a capture that cannot serve as truth must fail the build.
    kall = symbol_map(sec["kallsyms"].decode())
    if len(kall) < 1000 or not any(kall.values()):
        raise RuntimeError("kallsyms has no real addresses (kptr_restrict?)")
    mods = [l.split() for l in sec["modules"].decode().splitlines() if l.strip()]
    wanted_mods = [os.path.splitext(m)[0].replace("-", "_") for m in a.modules.split()]
    loaded = {m[0]: int(m[5], 16) for m in mods if len(m) >= 6}
    for m in wanted_mods:
        if not loaded.get(m):
            raise RuntimeError("module %s is not in /proc/modules with an address" % m)

    # ------------------------------------------------ marker.txt
    mpid = int(sec["marker_pid"].decode().strip())
    st = stat_fields(sec["marker_stat"])
    if st[2] != "vmi_marker_proc":
        raise RuntimeError("marker process has name %r" % st[2])
    comm_line = [l for l in sec["ps.txt"].decode().splitlines() if l.split("\t")[0] == str(mpid)]
    arg_start, arg_end, env_start, env_end = (int(st[i]) for i in (48, 49, 50, 51))
    pm = sec["marker_pagemap"]
    lines = [
        "# Marker process written by tests/guests/guest_run.py; numbers are decimal unless *_hex.",
        "pid=%d" % mpid,
        "ppid=%s" % st[4],
        "comm=%s" % st[2],
        "marker_arg=vmi_marker_argv_%s" % a.nonce,
        "marker_env=VMI_MARKER_ENV=vmi_marker_env_%s" % a.nonce,
        "arg_start=%d" % arg_start,
        "arg_end=%d" % arg_end,
        "env_start=%d" % env_start,
        "env_end=%d" % env_end,
        "arg_start_hex=0x%x" % arg_start,
        "arg_end_hex=0x%x" % arg_end,
        "env_start_hex=0x%x" % env_start,
        "env_end_hex=0x%x" % env_end,
        "cmdline_hex=%s" % sec["marker_cmdline"].hex(),
        "environ_hex=%s" % sec["marker_environ"].hex(),
    ]
    if len(comm_line) != 1:
        raise RuntimeError("marker pid %d is not in ps.txt" % mpid)
    for label, va, entry in (("arg_start", arg_start, pm[0:8]), ("env_start", env_start, pm[8:16])):
        if len(entry) != 8:
            continue
        e = int.from_bytes(entry, "little")
        present = e >> 63 & 1
        pfn = e & ((1 << 55) - 1)
        lines.append("%s_present=%d" % (label, present))
        if present and pfn:
            lines.append("%s_pfn_hex=0x%x" % (label, pfn))
            lines.append("%s_phys_hex=0x%x" % (label, pfn * 4096 + (va & 0xFFF)))
    if len(sec["marker_cmdline"]) != arg_end - arg_start or len(sec["marker_environ"]) != env_end - env_start:
        raise RuntimeError("marker cmdline/environ lengths disagree with arg/env start and end")
    if (b"vmi_marker_argv_" + a.nonce.encode()) not in sec["marker_cmdline"]:
        raise RuntimeError("marker argument missing from its cmdline")
    if (b"VMI_MARKER_ENV=vmi_marker_env_" + a.nonce.encode()) not in sec["marker_environ"]:
        raise RuntimeError("marker environment string missing from its environ")
    with open(os.path.join(truth, "marker.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")

    # ------------------------------------------------ meta.json
    smap = {}
    with open(a.system_map) as f:
        smap = symbol_map(f.read())
    kaslr = None
    for anchor in ("_text", "_stext"):
        if anchor in kall and anchor in smap:
            kaslr = {
                "anchor": anchor,
                "system_map": "0x%x" % smap[anchor],
                "kallsyms": "0x%x" % kall[anchor],
                "offset": "0x%x" % ((kall[anchor] - smap[anchor]) & ((1 << 64) - 1)),
            }
            break

    notes = []
    msr = None
    if a.arch == "arm64":
        regs = gdb_regs
        notes.append("arm64 registers come from the QEMU gdbstub (system-register XML); "
                     "QEMU 7.2 HMP 'info registers' has no TTBRs")
    else:
        for k, v in gdb_regs.items():
            # Both sources name CRn/EFER: disagreement would mean a misnumbered gdb map.
            if k in regs and regs[k] != v:
                raise RuntimeError("gdbstub %s=%s but HMP says %s" % (k, v, regs[k]))
            regs.setdefault(k, v)
        notes.append("x86 registers come from HMP 'info registers' (CRn, EFER, segment bases) "
                     "and the gdbstub (k_gs_base etc.)")
        msr_module, msrs = parse_msr(sec["msr.txt"])
        msr = {"module": msr_module, "truth": "truth/msr.txt", "read": sorted(msrs)}
        for k, v in msrs.items():
            regs[k] = "0x%x" % v
        if msrs:
            notes.append("MSRs %s were read by the guest itself through msr.ko (/dev/cpu/0/msr) before "
                         "the stop (truth/msr.txt); QEMU 7.2 exposes no MSRs (neither HMP nor gdbstub)"
                         % " ".join(sorted(msrs)))
        else:
            notes.append("no MSRs: msr.ko %s (truth/msr.txt); QEMU 7.2 exposes no MSRs either" % msr_module)

    vmlinux = None
    if a.vmlinux and os.path.exists(a.vmlinux):
        vmlinux = os.path.relpath(os.path.abspath(a.vmlinux), os.path.abspath(os.path.join(work, "..", a.name)))

    meta = {
        "format": a.format,
        "name": a.name,
        "arch": a.arch,
        "page_mode": a.page_mode,
        "page_size": 4096,
        "kernel": {
            "package": a.kernel_package,
            "package_version": a.kernel_package_version,
            "release": a.kernel_release,
            "version": sec["version"].decode().strip(),
            "cmdline": sec["cmdline"].decode().strip(),
            "modules_loaded": wanted_mods,
        },
        "kaslr": kaslr,
        "memory_size": mem,
        "mem_raw": {
            "path": "mem.raw",
            "size": total,
            "layout": "file offset == guest-physical address; bytes outside ram_ranges are zero (sparse holes)",
        },
        "ram_ranges": [{"start": s, "end": e, "size": e - s, "backend_offset": o} for s, e, o in ranges],
        "core_elf": {"path": "core.elf", "producer": "QMP dump-guest-memory paging=false"},
        "system_map": "System.map",
        "vmlinux": vmlinux,
        "marker_pid": mpid,
        "registers": regs,
        "msr": msr,
        "notes": notes,
        "qemu": {"version": qver, "command": qemu},
        "timings_s": {
            "boot_to_truth": round(t_truth - t_start, 1),
            "stop_to_dumped": round(t_dumped - t_truth, 1),
            "mem_raw": round(t_raw - t_stop, 1),
            "core_elf": round(t_dumped - t_raw, 1),
        },
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    with open(os.path.join(work, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print("guest %s: truth after %.1f s, dumped in %.1f s"
          % (a.name, t_truth - t_start, t_dumped - t_truth), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("initramfs")
    p.add_argument("--out", required=True)
    p.add_argument("--init", required=True)
    p.add_argument("--busybox", required=True)
    p.add_argument("--nonce", required=True)
    p.add_argument("--module", action="append", default=[])
    p.add_argument("--msr-module", help="msr.ko: the guest reads LSTAR etc. through /dev/cpu/0/msr")
    p.add_argument("--msr-missing", help="why there is no msr.ko (recorded in truth/msr.txt)")
    p = sub.add_parser("run")
    for k in ("name", "arch", "page-mode", "qemu", "machine", "cpu", "console", "kernel", "initrd", "work",
              "nonce", "kernel-package", "kernel-package-version", "kernel-release", "system-map", "vmlinux",
              "modules"):
        p.add_argument("--" + k, required=True)
    p.add_argument("--mem-mib", type=int, required=True)
    p.add_argument("--timeout", type=int, default=900)
    p.add_argument("--format", type=int, default=1)
    a = ap.parse_args()
    try:
        {"initramfs": cmd_initramfs, "run": cmd_run}[a.cmd](a)
    except RuntimeError as e:
        print("guest_run: error: %s" % e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
