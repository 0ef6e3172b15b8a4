//! `Vmi`: one introspection instance. It owns a driver (where bytes come
//! from), the paging state (how virtual addresses become physical), an
//! optional OS layer, and the caches between them.
//!
//! Threading: methods taking `&self` (reads, writes, translations, cache
//! operations) may run from several threads at once. Methods taking
//! `&mut self` (the init steps, setting the OS layer) need exclusive access.

use core::sync::atomic::{AtomicBool, Ordering};
use std::any::{Any, TypeId};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::addr::{PageMode, PAGE_SIZE};
use crate::cache::{Caches, NESTED_PHYSICAL};
use crate::config::Config;
use crate::driver::{Driver, Reg};
use crate::error::{Error, Result};
use crate::os::{OsLayer, OsType};
use crate::paging::{self, ArmRoots, PagingContext, Translation};

/// Which address space an access goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space<'a> {
    /// `addr` is guest-physical.
    Physical,
    /// Translate through this page-table root.
    Dtb(u64),
    /// Translate through this process's page tables (pid 0: the kernel's).
    Pid(i32),
    /// `addr` is ignored; the kernel symbol gives the address.
    KernelSymbol(&'a str),
}

/// One access: an address, how to translate it, and optional overrides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access<'a> {
    pub space: Space<'a>,
    pub addr: u64,
    /// Paging mode to use instead of the instance's.
    pub mode: Option<PageMode>,
    /// Nested (second-stage) translation: (table root, EPT mode).
    pub nested: Option<(u64, PageMode)>,
}

impl<'a> Access<'a> {
    pub fn physical(pa: u64) -> Self {
        Access {
            space: Space::Physical,
            addr: pa,
            mode: None,
            nested: None,
        }
    }
    pub fn dtb(dtb: u64, va: u64) -> Self {
        Access {
            space: Space::Dtb(dtb),
            addr: va,
            mode: None,
            nested: None,
        }
    }
    pub fn pid(pid: i32, va: u64) -> Self {
        Access {
            space: Space::Pid(pid),
            addr: va,
            mode: None,
            nested: None,
        }
    }
    pub fn ksym(symbol: &'a str) -> Self {
        Access {
            space: Space::KernelSymbol(symbol),
            addr: 0,
            mode: None,
            nested: None,
        }
    }
}

/// Outcome of a read or write: how many bytes were transferred before the
/// first failure (upstream's `bytes_read`), and the first error if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub bytes: usize,
    pub error: Option<Error>,
}

impl Transfer {
    /// A transfer of `len` bytes that either wholly succeeded or moved
    /// nothing (one page, one piece).
    pub fn whole(len: usize, r: Result<()>) -> Transfer {
        match r {
            Ok(()) => Transfer {
                bytes: len,
                error: None,
            },
            Err(e) => Transfer::failed(e),
        }
    }

    /// Nothing transferred: the access failed before its first byte.
    pub fn failed(e: Error) -> Transfer {
        Transfer {
            bytes: 0,
            error: Some(e),
        }
    }

    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
    pub fn into_result(self) -> Result<usize> {
        match self.error {
            None => Ok(self.bytes),
            Some(e) => Err(e),
        }
    }
}

/// Where a failed page-table lookup stopped (`vmi_get_last_pagetable_lookup_fault`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LookupFault {
    pub dtb: u64,
    pub va: u64,
    pub mode: PageMode,
    /// The nested stage (table, mode) when the walk was two-stage.
    pub nested: Option<(u64, PageMode)>,
}

/// Strings longer than this are refused rather than read forever from a
/// hostile guest with no terminator in sight.
pub const MAX_STRING_LEN: usize = 1 << 20;

/// Entries of the nested translation cache before it is simply emptied.
const NESTED_CACHE_MAX: usize = 1 << 16;

pub struct Vmi {
    driver: Box<dyn Driver>,
    name: String,
    id: u64,
    page_mode: PageMode,
    paging: PagingContext,
    kpgd: u64,
    os: Option<Box<dyn OsLayer>>,
    config: Option<Config>,
    pub caches: Caches,
    last_fault: Mutex<Option<LookupFault>>,
    /// Mirrors `last_fault.is_some()` so a successful walk only takes the
    /// lock when there is a fault to forget.
    fault_set: AtomicBool,
    attachments: Mutex<Vec<(TypeId, Arc<dyn Any + Send + Sync>)>>,
}

impl Vmi {
    /// An instance over `driver`, with no paging or OS yet.
    pub fn new(driver: Box<dyn Driver>, name: impl Into<String>, id: u64) -> Vmi {
        Vmi {
            driver,
            name: name.into(),
            id,
            page_mode: PageMode::Unknown,
            paging: PagingContext::new(0),
            kpgd: 0,
            os: None,
            config: None,
            caches: Caches::default(),
            last_fault: Mutex::new(None),
            fault_set: AtomicBool::new(false),
            attachments: Mutex::new(Vec::new()),
        }
    }

    /// Opens a memory snapshot file (raw, ELF core or LiME, by content).
    pub fn open_file(path: &std::path::Path, writable: bool) -> Result<Vmi> {
        let driver = crate::driver::file::open(path, writable)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Vmi::new(driver, name, 0))
    }

    // ---- accessors -------------------------------------------------------

    pub fn driver(&self) -> &dyn Driver {
        &*self.driver
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn id(&self) -> u64 {
        self.id
    }
    pub fn page_mode(&self) -> PageMode {
        self.page_mode
    }
    pub fn paging_context(&self) -> &PagingContext {
        &self.paging
    }
    /// The kernel's page-table root, 0 if unknown.
    pub fn kernel_dtb(&self) -> u64 {
        self.kpgd
    }
    pub fn os(&self) -> Option<&dyn OsLayer> {
        self.os.as_deref()
    }
    pub fn os_type(&self) -> OsType {
        self.os.as_ref().map_or(OsType::Unknown, |o| o.os_type())
    }
    pub fn config(&self) -> Option<&Config> {
        self.config.as_ref()
    }
    pub fn memsize(&self) -> u64 {
        self.driver.memsize()
    }
    pub fn max_physical_address(&self) -> u64 {
        self.driver.max_physical_address()
    }
    pub fn num_vcpus(&self) -> u32 {
        self.driver.as_registers().map_or(0, |r| r.num_vcpus())
    }
    /// Guest pointer width in bytes, from the paging mode.
    pub fn address_width(&self) -> u8 {
        self.page_mode.address_width()
    }
    pub fn last_lookup_fault(&self) -> Option<LookupFault> {
        *self.last_fault.lock()
    }

    // ---- attachments -----------------------------------------------------

    /// The value of type `T` attached to this instance, if any.
    ///
    /// Attachments let outer layers (the C API) keep per-instance state the
    /// core knows nothing about — a parsed document, a profile loaded
    /// without an OS layer — and have it dropped with the instance. One
    /// value per type.
    pub fn attachment<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let list = self.attachments.lock();
        let (_, v) = list.iter().find(|(id, _)| *id == TypeId::of::<T>())?;
        Arc::clone(v).downcast::<T>().ok()
    }

    /// Attaches `value`, replacing any earlier value of the same type.
    pub fn attach<T: Any + Send + Sync>(&self, value: T) -> Arc<T> {
        let value = Arc::new(value);
        let dynv: Arc<dyn Any + Send + Sync> = value.clone();
        let mut list = self.attachments.lock();
        list.retain(|(id, _)| *id != TypeId::of::<T>());
        list.push((TypeId::of::<T>(), dynv));
        value
    }

    /// The attached `T`, or the one `make` builds (attached unless another
    /// thread attached one first). `make` runs without the lock held, so
    /// it may use the instance freely.
    pub fn attachment_or_try_insert<T: Any + Send + Sync>(
        &self,
        make: impl FnOnce() -> Result<T>,
    ) -> Result<Arc<T>> {
        if let Some(v) = self.attachment::<T>() {
            return Ok(v);
        }
        let value = Arc::new(make()?);
        let mut list = self.attachments.lock();
        if let Some((_, v)) = list.iter().find(|(id, _)| *id == TypeId::of::<T>()) {
            if let Ok(existing) = Arc::clone(v).downcast::<T>() {
                return Ok(existing);
            }
        }
        let dynv: Arc<dyn Any + Send + Sync> = value.clone();
        list.push((TypeId::of::<T>(), dynv));
        Ok(value)
    }

    // ---- init steps ------------------------------------------------------

    pub fn set_config(&mut self, config: Config) {
        self.config = Some(config);
    }

    /// Sets the paging mode and the tables' parameters explicitly.
    pub fn set_paging(&mut self, mode: PageMode, ctx: PagingContext) {
        self.page_mode = mode;
        self.paging = ctx;
        self.caches.v2p.flush_all();
    }

    pub fn set_kernel_dtb(&mut self, dtb: u64) {
        self.kpgd = dtb;
        self.caches.v2p.flush_all();
    }

    pub fn set_os(&mut self, os: Box<dyn OsLayer>) {
        self.os = Some(os);
        self.caches.sym_memo.clear();
    }

    /// Detects the paging mode from vCPU 0's control registers, when the
    /// driver has registers. Returns the mode found.
    pub fn init_paging_from_registers(&mut self) -> Result<PageMode> {
        let regs = self.driver.as_registers().ok_or(Error::Unsupported(
            "backend has no vCPU registers to detect paging",
        ))?;
        let (mode, ctx, dtb) = detect_paging(regs)?;
        self.page_mode = mode;
        self.paging = ctx;
        if self.kpgd == 0 {
            self.kpgd = dtb;
        }
        self.caches.v2p.flush_all();
        Ok(mode)
    }

    // ---- translation -----------------------------------------------------

    /// Full page-table walk of `va` under `dtb` (no cache), in `mode`.
    pub fn pagetable_lookup_extended(
        &self,
        dtb: u64,
        va: u64,
        mode: PageMode,
    ) -> Result<Translation> {
        let mut t = Translation::EMPTY;
        self.pagetable_walk(dtb, va, mode, &mut t)?;
        Ok(t)
    }

    /// Like [`Vmi::pagetable_lookup_extended`], but leaves the entries read
    /// so far in `out` when the walk fails (for `page_info_t`).
    pub fn pagetable_walk(
        &self,
        dtb: u64,
        va: u64,
        mode: PageMode,
        out: &mut Translation,
    ) -> Result<()> {
        let ctx = self.context_for(dtb);
        let r = paging::walk(&*self.driver, mode, &ctx, va, out);
        self.note_lookup(r.is_ok(), dtb, va, mode, None);
        r
    }

    /// Records the outcome of a page-table walk: a failure becomes the last
    /// lookup fault, a success forgets it (as upstream does).
    fn note_lookup(
        &self,
        ok: bool,
        dtb: u64,
        va: u64,
        mode: PageMode,
        nested: Option<(u64, PageMode)>,
    ) {
        if ok {
            if self.fault_set.load(Ordering::Relaxed) {
                *self.last_fault.lock() = None;
                self.fault_set.store(false, Ordering::Relaxed);
            }
        } else {
            *self.last_fault.lock() = Some(LookupFault {
                dtb,
                va,
                mode,
                nested,
            });
            self.fault_set.store(true, Ordering::Relaxed);
        }
    }

    /// Walk parameters of a nested (EPT) table rooted at `npt`.
    fn nested_context(npt: u64) -> PagingContext {
        PagingContext::new(npt)
    }

    /// Two-stage walk without cache: `va` through the guest tables at `dtb`
    /// (whose entries live in guest-physical memory, itself translated
    /// through the nested tables at `npt`), then the resulting
    /// guest-physical address through the nested tables. `dtb == None`
    /// skips the first stage (`va` is guest-physical). Returns the guest
    /// walk (entry addresses are guest-physical; `EMPTY` without a first
    /// stage), the guest-physical address and the final address. On
    /// failure `out` keeps the guest entries read so far.
    pub fn nested_lookup_extended(
        &self,
        npt: u64,
        npm: PageMode,
        guest: Option<(u64, PageMode)>,
        va: u64,
        out: &mut Translation,
    ) -> Result<(u64, Translation)> {
        let nctx = Self::nested_context(npt);
        let r = (|| {
            let gpa = match guest {
                Some((dtb, mode)) => {
                    let mem = paging::NestedMemory::new(&*self.driver, npm, nctx);
                    paging::walk(&mem, mode, &self.context_for(dtb), va, out)?;
                    out.pa
                }
                None => {
                    *out = Translation::EMPTY;
                    va
                }
            };
            let host = paging::translate(&*self.driver, npm, &nctx, gpa)?;
            Ok((gpa, host))
        })();
        let (dtb, mode) = guest.unwrap_or((NESTED_PHYSICAL, PageMode::None));
        self.note_lookup(r.is_ok(), dtb, va, mode, Some((npt, npm)));
        r
    }

    /// Final address of `va` (see [`Vmi::nested_lookup_extended`]), through
    /// the nested translation cache.
    pub fn translate_nested(
        &self,
        npt: u64,
        npm: PageMode,
        guest: Option<(u64, PageMode)>,
        va: u64,
    ) -> Result<u64> {
        let dtb_key = guest.map_or(NESTED_PHYSICAL, |g| g.0);
        let key = (npt, dtb_key, va & !(PAGE_SIZE - 1));
        if let Some(frame) = self.caches.nested_v2p.get(&key) {
            return Ok(frame | (va & (PAGE_SIZE - 1)));
        }
        let mut t = Translation::EMPTY;
        let (_, host) = self.nested_lookup_extended(npt, npm, guest, va, &mut t)?;
        if self.caches.nested_v2p.len() >= NESTED_CACHE_MAX {
            self.caches.nested_v2p.flush();
        }
        self.caches
            .nested_v2p
            .insert(key, host.pa & !(PAGE_SIZE - 1));
        Ok(host.pa)
    }

    /// The walk parameters for page-table root `dtb`. On AArch64 a process
    /// table only covers the lower half; the kernel's (TTBR1) covers the
    /// upper half, as on the CPU.
    pub fn context_for(&self, dtb: u64) -> PagingContext {
        let mut ctx = self.paging;
        ctx.root = dtb;
        if matches!(self.page_mode, PageMode::Aarch64) && self.kpgd != 0 {
            ctx.arm_roots = if dtb == self.kpgd {
                ArmRoots::Upper
            } else {
                ArmRoots::Split { upper: self.kpgd }
            };
        }
        ctx
    }

    /// `va` under `dtb` to a physical address, through the v2p cache.
    #[inline]
    pub fn translate(&self, dtb: u64, va: u64) -> Result<u64> {
        self.translate_in(dtb, va, self.page_mode)
    }

    #[inline]
    fn translate_in(&self, dtb: u64, va: u64, mode: PageMode) -> Result<u64> {
        if let Some(pa) = self.caches.v2p.get(dtb, va) {
            return Ok(pa);
        }
        let t = self.pagetable_lookup_extended(dtb, va, mode)?;
        self.caches.v2p.insert(dtb, va, t.pa);
        Ok(t.pa)
    }

    pub fn translate_kv2p(&self, va: u64) -> Result<u64> {
        self.translate(self.require_kpgd()?, va)
    }

    pub fn translate_uv2p(&self, va: u64, pid: i32) -> Result<u64> {
        let dtb = self.pid_to_dtb(pid)?;
        self.translate(dtb, va)
    }

    fn require_kpgd(&self) -> Result<u64> {
        if self.kpgd == 0 {
            return Err(Error::NotFound(
                "kernel page table (initialise the OS or set kpgd)",
            ));
        }
        Ok(self.kpgd)
    }

    fn require_os(&self) -> Result<&dyn OsLayer> {
        self.os
            .as_deref()
            .ok_or(Error::Unsupported("no OS layer initialised"))
    }

    pub fn pid_to_dtb(&self, pid: i32) -> Result<u64> {
        if pid == 0 {
            return self.require_kpgd();
        }
        if let Some(dtb) = self.caches.pid.get(&pid) {
            return Ok(dtb);
        }
        let dtb = self.require_os()?.pid_to_dtb(self, pid)?;
        self.caches.pid.insert(pid, dtb);
        Ok(dtb)
    }

    pub fn dtb_to_pid(&self, dtb: u64) -> Result<i32> {
        self.require_os()?.dtb_to_pid(self, dtb)
    }

    /// Kernel symbol to virtual address, through the symbol cache.
    pub fn ksym2v(&self, symbol: &str) -> Result<u64> {
        self.ksym2v_bytes(symbol.as_bytes())
    }

    /// [`Vmi::ksym2v`] for a name given as bytes (a C string's), so the
    /// common case needs no UTF-8 check: callers' entries first, then the
    /// memo, then the OS layer's index.
    #[inline]
    pub fn ksym2v_bytes(&self, symbol: &[u8]) -> Result<u64> {
        let utf8 = || core::str::from_utf8(symbol).map_err(|_| Error::SymbolNotFound);
        if !self.caches.sym.is_empty() {
            if let Some(va) = self.caches.sym.get(&crate::cache::SymKey(utf8()?, 0, 0)) {
                return Ok(va);
            }
        }
        if let Some(va) = self.caches.sym_memo.get(symbol) {
            return Ok(va);
        }
        let va = self.require_os()?.ksym2v(self, utf8()?)?;
        self.caches.sym_memo.remember(symbol, va);
        Ok(va)
    }

    /// Reads `buf.len()` bytes at kernel symbol `symbol` (given as bytes,
    /// as [`Vmi::ksym2v_bytes`]).
    #[inline]
    pub fn read_ksym(&self, symbol: &[u8], buf: &mut [u8]) -> Transfer {
        match self.ksym2v_bytes(symbol) {
            Ok(va) => self.read_kernel(va, buf),
            Err(e) => Transfer::failed(e),
        }
    }

    /// Reads at a kernel virtual address: the lean path when the read stays
    /// in one page, else the general one (which reports partial reads).
    #[inline]
    fn read_kernel(&self, va: u64, buf: &mut [u8]) -> Transfer {
        if Self::one_page(va, buf.len()) {
            let len = buf.len();
            return Transfer::whole(len, self.read_small(0, va, buf));
        }
        self.read(&Access::pid(0, va), buf)
    }

    /// Virtual address to kernel symbol (exact match).
    pub fn v2ksym(&self, va: u64) -> Result<String> {
        let key = (0u64, 0u64, va);
        if let Some(s) = self.caches.rva.get(&key) {
            return Ok(s);
        }
        let (name, _) = self.require_os()?.v2ksym(self, va, false)?;
        self.caches.rva.insert(key, name.clone());
        Ok(name)
    }

    /// Resolves an access to (page-table root or None for physical, start
    /// address, paging mode).
    #[inline]
    fn resolve(&self, access: &Access<'_>) -> Result<(Option<u64>, u64, PageMode)> {
        let mode = access
            .mode
            .filter(|m| *m != PageMode::None)
            .unwrap_or(self.page_mode);
        Ok(match access.space {
            Space::Physical => (None, access.addr, PageMode::None),
            Space::Dtb(dtb) => (Some(dtb), access.addr, mode),
            // The kernel's address space, the most common by far.
            Space::Pid(0) if self.kpgd != 0 => (Some(self.kpgd), access.addr, mode),
            Space::Pid(pid) => (Some(self.pid_to_dtb(pid)?), access.addr, mode),
            Space::KernelSymbol(sym) => (Some(self.require_kpgd()?), self.ksym2v(sym)?, mode),
        })
    }

    /// Physical address of one byte of an access, applying nested paging.
    #[inline]
    fn locate(
        &self,
        root: Option<u64>,
        va: u64,
        mode: PageMode,
        nested: Option<(u64, PageMode)>,
    ) -> Result<u64> {
        if root.is_some() && matches!(mode, PageMode::None | PageMode::Unknown) {
            return Err(Error::InvalidArgument(
                "page table given but paging mode unknown",
            ));
        }
        match (root, nested) {
            (Some(dtb), None) => self.translate_in(dtb, va, mode),
            (None, None) => Ok(va),
            // The guest's tables live in guest-physical memory, so the
            // first stage itself reads through the nested tables.
            (root, Some((npt, npm))) => {
                self.translate_nested(npt, npm, root.map(|dtb| (dtb, mode)), va)
            }
        }
    }

    /// Physical address of each of `count` consecutive 4 KiB pages of an
    /// access, starting with the page holding its address (page-aligned;
    /// `None` where a page does not translate). Fails only when the access
    /// itself cannot be resolved (unknown pid or symbol, ...).
    pub fn physical_pages(&self, access: &Access<'_>, count: usize) -> Result<Vec<Option<u64>>> {
        let (root, start, mode) = self.resolve(access)?;
        let mut out = Vec::new();
        out.try_reserve_exact(count)
            .map_err(|_| Error::InvalidArgument("too many pages"))?;
        for i in 0..count as u64 {
            let va = start.wrapping_add(i.wrapping_mul(PAGE_SIZE));
            out.push(
                self.locate(root, va, mode, access.nested)
                    .ok()
                    .map(|pa| pa & !(PAGE_SIZE - 1)),
            );
        }
        Ok(out)
    }

    // ---- reads and writes ------------------------------------------------

    /// Reads guest-physical memory page by page; stops at the first page
    /// that cannot be read.
    #[inline]
    pub fn read_pa(&self, pa: u64, buf: &mut [u8]) -> Transfer {
        // Fast path: the whole read inside one mapped page.
        if let Some(src) = self.driver.page_slice(pa) {
            if src.len() >= buf.len() {
                buf.copy_from_slice(&src[..buf.len()]);
                return Transfer {
                    bytes: buf.len(),
                    error: None,
                };
            }
        }
        self.transfer_pages(pa, buf.len(), |pa, range| {
            self.read_phys_chunk(pa, &mut buf[range])
        })
    }

    fn read_phys_chunk(&self, pa: u64, out: &mut [u8]) -> Result<()> {
        match self.driver.page_slice(pa) {
            Some(src) if src.len() >= out.len() => {
                // Field-sized copies inline; a library call costs more.
                match out.len() {
                    8 => out.copy_from_slice(&src[..8]),
                    4 => out.copy_from_slice(&src[..4]),
                    n => out.copy_from_slice(&src[..n]),
                }
                Ok(())
            }
            _ => self.driver.read_phys(pa, out),
        }
    }

    /// Calls `f(pa, range_in_buffer)` for each page-bounded piece of
    /// `[addr, addr+len)`, stopping at the first error.
    fn transfer_pages(
        &self,
        addr: u64,
        len: usize,
        mut f: impl FnMut(u64, core::ops::Range<usize>) -> Result<()>,
    ) -> Transfer {
        let mut done = 0usize;
        while done < len {
            let cur = addr.wrapping_add(done as u64);
            let in_page = (PAGE_SIZE - (cur & (PAGE_SIZE - 1))) as usize;
            let n = in_page.min(len - done);
            if let Err(e) = f(cur, done..done + n) {
                return Transfer {
                    bytes: done,
                    error: Some(e),
                };
            }
            done += n;
        }
        Transfer {
            bytes: done,
            error: None,
        }
    }

    /// Reads through any address space (upstream's `vmi_read`).
    pub fn read(&self, access: &Access<'_>, buf: &mut [u8]) -> Transfer {
        let (root, start, mode) = match self.resolve(access) {
            Ok(r) => r,
            Err(e) => return Transfer::failed(e),
        };
        if root.is_none() && access.nested.is_none() {
            return self.read_pa(start, buf);
        }
        let nested = access.nested;
        // Fast path: small reads inside one page (struct fields, pointers).
        // An empty read touches no page and succeeds, as upstream.
        if Self::one_page(start, buf.len()) {
            let r = self
                .locate(root, start, mode, nested)
                .and_then(|pa| self.read_phys_chunk(pa, buf));
            return Transfer::whole(buf.len(), r);
        }
        self.transfer_pages(start, buf.len(), |va, range| {
            let pa = self.locate(root, va, mode, nested)?;
            self.read_phys_chunk(pa, &mut buf[range])
        })
    }

    /// A field-sized read at `va` in the address space of `pid` (0: the
    /// kernel): the common shape of introspection reads, so it skips the
    /// general access resolution. Falls back to [`Vmi::read`] for reads that
    /// cross a page.
    #[inline]
    pub fn read_small(&self, pid: i32, va: u64, buf: &mut [u8]) -> Result<()> {
        if !Self::one_page(va, buf.len())
            || matches!(self.page_mode, PageMode::None | PageMode::Unknown)
        {
            return self
                .read(&Access::pid(pid, va), buf)
                .into_result()
                .map(drop);
        }
        let dtb = if pid == 0 && self.kpgd != 0 {
            self.kpgd
        } else {
            self.pid_to_dtb(pid)?
        };
        let pa = self.translate_in(dtb, va, self.page_mode)?;
        self.read_phys_chunk(pa, buf)
    }

    /// Whether a read of `len` bytes at `va` is non-empty and stays in one
    /// page (the shape the lean paths take).
    #[inline]
    fn one_page(va: u64, len: usize) -> bool {
        len != 0 && (va & (PAGE_SIZE - 1)) + len as u64 <= PAGE_SIZE
    }

    /// Writes through any address space (upstream's `vmi_write`).
    pub fn write(&self, access: &Access<'_>, data: &[u8]) -> Transfer {
        let Some(writer) = self.driver.as_write() else {
            return Transfer::failed(Error::Unsupported(
                "memory source is read-only (open it writable)",
            ));
        };
        let (root, start, mode) = match self.resolve(access) {
            Ok(r) => r,
            Err(e) => return Transfer::failed(e),
        };
        let nested = access.nested;
        self.transfer_pages(start, data.len(), |addr, range| {
            let pa = self.locate(root, addr, mode, nested)?;
            writer.write_phys(pa, &data[range])
        })
    }

    /// Reads a guest pointer (4 or 8 bytes by paging mode).
    pub fn read_addr(&self, access: &Access<'_>) -> Result<u64> {
        match self.address_width() {
            4 => {
                let mut b = [0u8; 4];
                self.read(access, &mut b).into_result()?;
                Ok(u32::from_le_bytes(b) as u64)
            }
            _ => {
                let mut b = [0u8; 8];
                self.read(access, &mut b).into_result()?;
                Ok(u64::from_le_bytes(b))
            }
        }
    }

    pub fn read_u64(&self, access: &Access<'_>) -> Result<u64> {
        let mut b = [0u8; 8];
        self.read(access, &mut b).into_result()?;
        Ok(u64::from_le_bytes(b))
    }

    pub fn read_u32(&self, access: &Access<'_>) -> Result<u32> {
        let mut b = [0u8; 4];
        self.read(access, &mut b).into_result()?;
        Ok(u32::from_le_bytes(b))
    }

    /// Calls `f` with the NUL-terminated string at `access` (without the
    /// NUL). A string inside one mapped page is handed over in place;
    /// others go through [`Vmi::read_cstr`].
    pub fn with_cstr<R>(&self, access: &Access<'_>, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
        let (root, start, mode) = self.resolve(access)?;
        let pa = self.locate(root, start, mode, access.nested)?;
        if let Some(s) = self.driver.page_slice(pa) {
            if let Some(nul) = find_nul(s) {
                return Ok(f(&s[..nul]));
            }
        }
        let owned = self.read_cstr(access)?;
        Ok(f(&owned))
    }

    /// Reads a NUL-terminated byte string (without the NUL). Like upstream,
    /// a string cut short by an unreadable page returns what was read; a
    /// failure on the very first byte is an error.
    pub fn read_cstr(&self, access: &Access<'_>) -> Result<Vec<u8>> {
        let (root, start, mode) = self.resolve(access)?;
        let mut out = Vec::new();
        let mut addr = start;
        let mut page = [0u8; PAGE_SIZE as usize];
        loop {
            let n = (PAGE_SIZE - (addr & (PAGE_SIZE - 1))) as usize;
            let pa = match self.locate(root, addr, mode, access.nested) {
                Ok(pa) => pa,
                Err(e) => return if out.is_empty() { Err(e) } else { Ok(out) },
            };
            // Mapped sources are searched in place: no page copy.
            let chunk: &[u8] = match self.driver.page_slice(pa) {
                Some(s) if s.len() >= n => &s[..n],
                _ => {
                    if let Err(e) = self.driver.read_phys(pa, &mut page[..n]) {
                        return if out.is_empty() { Err(e) } else { Ok(out) };
                    }
                    &page[..n]
                }
            };
            // The bound holds for terminated strings too: a terminator in
            // the page after the limit is no excuse to return more.
            if let Some(nul) = memchr::memchr(0, chunk) {
                if out.len() + nul > MAX_STRING_LEN {
                    return Err(Error::Malformed("string longer than 1 MiB"));
                }
                out.extend_from_slice(&chunk[..nul]);
                return Ok(out);
            }
            out.extend_from_slice(chunk);
            if out.len() > MAX_STRING_LEN {
                return Err(Error::Malformed(
                    "string longer than 1 MiB without terminator",
                ));
            }
            addr = addr.wrapping_add(n as u64);
        }
    }

    /// vCPU register through the driver.
    pub fn get_reg(&self, reg: Reg, vcpu: u32) -> Result<u64> {
        self.driver
            .as_registers()
            .ok_or(Error::Unsupported("backend has no vCPU registers"))?
            .get_reg(reg, vcpu)
    }

    pub fn pause(&self) -> Result<()> {
        match self.driver.as_control() {
            Some(c) => c.pause(),
            // A snapshot never runs: pausing it trivially succeeds, as upstream.
            None => Ok(()),
        }
    }

    pub fn resume(&self) -> Result<()> {
        match self.driver.as_control() {
            Some(c) => c.resume(),
            None => Ok(()),
        }
    }
}

/// Position of the first NUL. Kernel strings are mostly short (comm is 16
/// bytes): a plain look at the first bytes beats setting up a vector
/// search, which takes over for the rest.
#[inline]
fn find_nul(s: &[u8]) -> Option<usize> {
    let head = s.len().min(32);
    match s[..head].iter().position(|&b| b == 0) {
        Some(i) => Some(i),
        None => memchr::memchr(0, &s[head..]).map(|i| i + head),
    }
}

/// Paging mode, walk parameters and page-table root from vCPU 0's
/// control registers.
fn detect_paging(regs: &dyn crate::driver::Registers) -> Result<(PageMode, PagingContext, u64)> {
    if let Ok(tcr) = regs.get_reg(Reg::Tcr, 0) {
        let ttbr1 = regs.get_reg(Reg::Ttbr1, 0)? & 0x0000_ffff_ffff_fffe;
        let mut ctx = PagingContext::new(ttbr1);
        ctx.tcr = paging::ArmTcr::from_tcr_el1(tcr);
        return Ok((PageMode::Aarch64, ctx, ttbr1));
    }
    let cr0 = regs.get_reg(Reg::Cr0, 0)?;
    let cr3 = regs.get_reg(Reg::Cr3, 0)?;
    let cr4 = regs.get_reg(Reg::Cr4, 0)?;
    let efer = regs.get_reg(Reg::Efer, 0).unwrap_or(0);
    if cr0 & (1 << 31) == 0 {
        return Err(Error::Unsupported(
            "vCPU 0 has paging disabled (CR0.PG = 0)",
        ));
    }
    let mode = if efer & (1 << 10) != 0 {
        if cr4 & (1 << 12) != 0 {
            PageMode::Ia32eLa57
        } else {
            PageMode::Ia32e
        }
    } else if cr4 & (1 << 5) != 0 {
        PageMode::Pae
    } else {
        PageMode::Legacy
    };
    let root = match mode {
        PageMode::Pae => cr3 & 0xffff_ffe0,
        PageMode::Legacy => cr3 & 0xffff_f000,
        // KPTI's user half sits at +4 KiB; PCID lives in the low 12 bits.
        _ => cr3 & 0x000f_ffff_ffff_e000,
    };
    let mut ctx = PagingContext::new(root);
    ctx.flags.pse = cr4 & (1 << 4) != 0;
    Ok((mode, ctx, root))
}

#[cfg(test)]
pub(crate) mod string_bound_tests {
    use super::*;
    use crate::driver::{PhysRange, PhysicalMemory};

    struct Bytes(Vec<u8>, [PhysRange; 1]);

    impl PhysicalMemory for Bytes {
        fn read_phys(&self, pa: u64, buf: &mut [u8]) -> Result<()> {
            let s = self
                .0
                .get(pa as usize..pa as usize + buf.len())
                .ok_or(Error::PhysicalOutOfRange { pa })?;
            buf.copy_from_slice(s);
            Ok(())
        }
        fn ranges(&self) -> &[PhysRange] {
            &self.1
        }
    }

    impl Driver for Bytes {
        fn name(&self) -> &'static str {
            "bytes"
        }
    }

    /// A guest of 'A's with a (byte and UTF-16) terminator at `nul`.
    pub(crate) fn vmi_with_nul_at(nul: usize) -> Vmi {
        let mut m = vec![b'A'; MAX_STRING_LEN + 3 * PAGE_SIZE as usize];
        m[nul] = 0;
        m[nul + 1] = 0;
        let end = m.len() as u64;
        Vmi::new(Box::new(Bytes(m, [PhysRange { start: 0, end }])), "t", 0)
    }

    /// Found by fuzzing: a terminator in the page after the 1 MiB limit
    /// returned up to 1 MiB + 4 KiB instead of refusing the string.
    #[test]
    fn cstr_bound_holds_for_terminated_strings() {
        let at = Access::physical(0);
        let v = vmi_with_nul_at(MAX_STRING_LEN);
        assert_eq!(v.read_cstr(&at).map(|s| s.len()), Ok(MAX_STRING_LEN));
        let v = vmi_with_nul_at(MAX_STRING_LEN + 100);
        assert!(matches!(v.read_cstr(&at), Err(Error::Malformed(_))));
        assert!(matches!(
            v.with_cstr(&at, |s| s.len()),
            Err(Error::Malformed(_))
        ));
    }
}
