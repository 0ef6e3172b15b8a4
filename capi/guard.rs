//! Helpers every exported function uses at the C boundary: no panic may
//! unwind into C, every failure becomes the function's documented failure
//! value plus one line on stderr, and raw pointers are checked before use.

// Toolkit for the function bodies; parts are unused while bodies are stubs.
#![allow(dead_code)]

use core::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::instance::{vmi_instance, vmi_instance_t};
use super::types::{status_t, VMI_FAILURE, VMI_SUCCESS};
use crate::{Error, Result};

/// Stub body of a function that is not implemented yet: logs one line and
/// returns `VMI_FAILURE`.
pub(crate) fn not_yet(name: &'static str) -> status_t {
    not_yet_or(name, VMI_FAILURE)
}

/// Stub body for functions whose failure value is not `VMI_FAILURE` (NULL,
/// 0, `VMI_OS_UNKNOWN`, `()` for void functions, ...).
pub(crate) fn not_yet_or<T>(name: &'static str, failure: T) -> T {
    crate::log_error!("{name}: not implemented yet");
    failure
}

/// Runs `f`, returning `failure` if it fails or panics. The error (or the
/// fact of the panic) is logged once, prefixed with the C function's name.
pub(crate) fn ffi_or<T>(name: &'static str, failure: T, f: impl FnOnce() -> Result<T>) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            crate::log_error!("{name}: {e}");
            failure
        }
        Err(_) => {
            crate::log_error!("{name}: internal error (panic caught at the C boundary)");
            failure
        }
    }
}

/// `ffi_or` for the common `status_t` functions: Ok -> `VMI_SUCCESS`,
/// error or panic -> `VMI_FAILURE`.
pub(crate) fn ffi_status(name: &'static str, f: impl FnOnce() -> Result<()>) -> status_t {
    ffi_or(name, VMI_FAILURE, || f().map(|()| VMI_SUCCESS))
}

/// `ffi_or` for `void` functions: failures are only logged.
pub(crate) fn ffi_void(name: &'static str, f: impl FnOnce() -> Result<()>) {
    ffi_or(name, (), f)
}

/// The instance behind a handle; NULL is an error.
///
/// # Safety
/// `vmi` must be NULL or a handle returned by `vmi_init*` and not yet
/// destroyed, with no other live reference to it.
pub(crate) unsafe fn instance<'a>(vmi: vmi_instance_t) -> Result<&'a mut vmi_instance> {
    // SAFETY: the caller guarantees a valid, unaliased handle or NULL.
    unsafe { vmi.as_mut() }.ok_or(Error::InvalidArgument("vmi instance is NULL"))
}

/// A caller-supplied input struct; NULL is an error.
///
/// # Safety
/// `p` must be NULL or point to a valid, initialised `T`.
/// Shared access for the functions that may run concurrently (reads,
/// translations, cache operations).
pub(crate) unsafe fn instance_ref<'a>(vmi: vmi_instance_t) -> Result<&'a vmi_instance> {
    unsafe { vmi.as_ref() }.ok_or(Error::InvalidArgument("vmi instance is NULL"))
}

pub(crate) unsafe fn in_ref<'a, T>(p: *const T, what: &'static str) -> Result<&'a T> {
    // SAFETY: guaranteed by the caller.
    unsafe { p.as_ref() }.ok_or(Error::InvalidArgument(what))
}

/// A required out-pointer; NULL is an error.
///
/// # Safety
/// `p` must be NULL or valid for writing a `T`.
pub(crate) unsafe fn out_ref<'a, T>(p: *mut T, what: &'static str) -> Result<&'a mut T> {
    // SAFETY: guaranteed by the caller.
    unsafe { p.as_mut() }.ok_or(Error::InvalidArgument(what))
}

/// Stores `value` through a required out-pointer; NULL is an error.
///
/// # Safety
/// `p` must be NULL or valid for writing a `T`.
pub(crate) unsafe fn write_out<T>(p: *mut T, value: T, what: &'static str) -> Result<()> {
    if p.is_null() {
        return Err(Error::InvalidArgument(what));
    }
    // SAFETY: non-NULL and valid for writes per the caller; `write` does not
    // drop the (possibly uninitialised) old value.
    unsafe { p.write(value) };
    Ok(())
}

/// Stores `value` through an optional out-pointer (NULL means "not wanted").
///
/// # Safety
/// `p` must be NULL or valid for writing a `T`.
pub(crate) unsafe fn write_opt<T>(p: *mut T, value: T) {
    if !p.is_null() {
        // SAFETY: as in `write_out`.
        unsafe { p.write(value) };
    }
}

/// A caller-supplied C string as `&CStr`; NULL is an error.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn c_str<'a>(p: *const c_char, what: &'static str) -> Result<&'a CStr> {
    if p.is_null() {
        return Err(Error::InvalidArgument(what));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller.
    Ok(unsafe { CStr::from_ptr(p) })
}

/// A caller-supplied C string as UTF-8 `&str`; NULL or invalid UTF-8 is an
/// error.
///
/// # Safety
/// As for `c_str`.
pub(crate) unsafe fn c_str_utf8<'a>(p: *const c_char, what: &'static str) -> Result<&'a str> {
    // SAFETY: forwarded to the caller.
    let bytes = unsafe { c_str(p, what) }?.to_bytes();
    // Names are almost always ASCII, which is checked a word at a time;
    // the general UTF-8 validation costs more than the lookup they feed.
    if bytes.is_ascii() {
        // SAFETY: ASCII is valid UTF-8.
        return Ok(unsafe { core::str::from_utf8_unchecked(bytes) });
    }
    core::str::from_utf8(bytes).map_err(|_| Error::InvalidArgument(what))
}

/// Copies `bytes` into a new NUL-terminated buffer from C's `malloc`, so C
/// callers can release it with `free()`. NULL if `bytes` contains a NUL or
/// allocation fails.
pub(crate) fn malloc_c_string(bytes: &[u8]) -> *mut c_char {
    // Short strings (the common case) are checked without a vector setup.
    let has_nul = if bytes.len() <= 32 {
        bytes.contains(&0)
    } else {
        memchr::memchr(0, bytes).is_some()
    };
    if has_nul {
        return core::ptr::null_mut();
    }
    let Some(len) = bytes.len().checked_add(1) else {
        return core::ptr::null_mut();
    };
    // SAFETY: plain allocation; the result is checked before use.
    let p = unsafe { libc::malloc(len) }.cast::<u8>();
    if p.is_null() {
        return core::ptr::null_mut();
    }
    // SAFETY: `p` has room for `len` = bytes.len() + 1 bytes and does not
    // overlap `bytes`.
    unsafe {
        core::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        p.add(bytes.len()).write(0);
    }
    p.cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffi_status_maps_ok_err_and_panic() {
        assert_eq!(ffi_status("t", || Ok(())), VMI_SUCCESS);
        assert_eq!(ffi_status("t", || Err(Error::SymbolNotFound)), VMI_FAILURE);
        assert_eq!(ffi_status("t", || panic!("boom")), VMI_FAILURE);
    }

    #[test]
    fn ffi_or_returns_value_or_failure() {
        assert_eq!(ffi_or("t", 7u32, || Ok(3)), 3);
        assert_eq!(ffi_or("t", 7u32, || Err(Error::NotFound("x"))), 7);
        assert_eq!(ffi_or::<u32>("t", 7, || panic!("boom")), 7);
    }

    #[test]
    fn stubs_return_their_failure_value() {
        assert_eq!(not_yet("vmi_x"), VMI_FAILURE);
        assert!(not_yet_or("vmi_y", core::ptr::null_mut::<u8>()).is_null());
    }

    #[test]
    fn pointer_checks_reject_null() {
        unsafe {
            assert!(instance(core::ptr::null_mut()).is_err());
            assert!(in_ref::<u32>(core::ptr::null(), "p").is_err());
            assert!(out_ref::<u32>(core::ptr::null_mut(), "p").is_err());
            assert!(write_out::<u32>(core::ptr::null_mut(), 1, "p").is_err());
            write_opt::<u32>(core::ptr::null_mut(), 1);
            let mut v = 0u64;
            write_out(&mut v, 5, "p").unwrap();
            assert_eq!(v, 5);
            write_opt(&mut v, 6);
            assert_eq!(v, 6);
            assert!(c_str(core::ptr::null(), "s").is_err());
            assert_eq!(c_str_utf8(c"abc".as_ptr(), "s").unwrap(), "abc");
            assert!(c_str_utf8(c"\xff".as_ptr(), "s").is_err());
        }
    }

    #[test]
    fn malloc_c_string_is_nul_terminated_and_freeable() {
        let p = malloc_c_string(b"hello");
        assert!(!p.is_null());
        unsafe {
            assert_eq!(CStr::from_ptr(p).to_bytes(), b"hello");
            libc::free(p.cast());
        }
        assert!(malloc_c_string(b"a\0b").is_null());
    }
}
