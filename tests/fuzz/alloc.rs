//! A global allocator that makes "allocate without bound" a test failure.
//!
//! Every request above [`MAX_SINGLE_ALLOC`] is refused (null), recorded for
//! the running case, and announced on stderr together with the case's
//! reproducer, because an infallible allocation (`Vec::with_capacity`)
//! aborts the process right after. Live bytes and their peak are counted
//! per thread: the library is single-threaded, so a case's peak is the peak
//! of the thread that runs it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Largest single allocation a case may ask for.
pub const MAX_SINGLE_ALLOC: usize = 1 << 30;

pub struct Bounded;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
    /// Largest refused request since the last [`begin_case`].
    static REFUSED: Cell<usize> = const { Cell::new(0) };
    /// (target, seed, iteration) of the case this thread runs, for the
    /// message printed before a possible abort.
    static CASE: Cell<Option<(&'static str, u64, u64)>> = const { Cell::new(None) };
}

/// Writes straight to fd 2: the allocator must not allocate to report.
fn raw_stderr(parts: &[&[u8]]) {
    for p in parts {
        // SAFETY: writing a valid buffer to fd 2.
        unsafe { libc::write(2, p.as_ptr().cast(), p.len()) };
    }
}

/// Formats `v` in hex into `buf`, returning the used tail.
fn hex(v: u64, buf: &mut [u8; 18]) -> &[u8] {
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b"0123456789abcdef"[(v & 15) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    i -= 1;
    buf[i] = b'x';
    i -= 1;
    buf[i] = b'0';
    &buf[i..]
}

fn refuse(size: usize) {
    let _ = REFUSED.try_with(|r| r.set(r.get().max(size)));
    let case = CASE.try_with(|c| c.get()).ok().flatten();
    let (mut a, mut b, mut c) = ([0u8; 18], [0u8; 18], [0u8; 18]);
    let sz = hex(size as u64, &mut a);
    match case {
        Some((target, seed, iter)) => raw_stderr(&[
            b"\nfuzz: REFUSED allocation of ",
            sz,
            b" bytes in target ",
            target.as_bytes(),
            b"; reproduce with VMI_FUZZ_SEED=",
            hex(seed, &mut b),
            b" VMI_FUZZ_REPLAY=",
            hex(iter, &mut c),
            b"\n",
        ]),
        None => raw_stderr(&[b"\nfuzz: REFUSED allocation of ", sz, b" bytes\n"]),
    }
}

fn add(delta: isize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + delta;
        l.set(v);
        let _ = PEAK.try_with(|p| {
            if v > p.get() {
                p.set(v)
            }
        });
    });
}

unsafe impl GlobalAlloc for Bounded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_SINGLE_ALLOC {
            refuse(layout.size());
            return std::ptr::null_mut();
        }
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_SINGLE_ALLOC {
            refuse(layout.size());
            return std::ptr::null_mut();
        }
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            add(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        add(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > MAX_SINGLE_ALLOC {
            refuse(new_size);
            return std::ptr::null_mut();
        }
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            add(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// Starts accounting for a case: resets the peak and the refusal record.
pub fn begin_case(target: &'static str, seed: u64, iter: u64) {
    CASE.with(|c| c.set(Some((target, seed, iter))));
    REFUSED.with(|r| r.set(0));
    let live = LIVE.with(|l| l.get());
    PEAK.with(|p| p.set(live));
}

/// What the case did: (bytes above the live count at its start at the
/// peak, largest refused request or 0).
pub fn end_case(start_live: isize) -> (usize, usize) {
    CASE.with(|c| c.set(None));
    let peak = PEAK.with(|p| p.get());
    (
        (peak - start_live).max(0) as usize,
        REFUSED.with(|r| r.get()),
    )
}

pub fn live() -> isize {
    LIVE.with(|l| l.get())
}
