//! The object behind `vmi_instance_t`. C only ever sees a pointer to it:
//! the safe core instance plus what the C API needs to hand out stable
//! pointers (strings it keeps ownership of, the last lookup fault).

#![allow(non_camel_case_types)]

use std::ffi::CString;

use hashbrown::HashSet;
use parking_lot::Mutex;

use super::types::{access_context_t, vmi_mode_t};
use crate::instance::Vmi;

pub struct vmi_instance {
    pub core: Vmi,
    pub mode: vmi_mode_t,
    pub init_flags: u64,
    /// Strings returned as `const char *` that the library owns (symbol
    /// names from `vmi_translate_v2ksym`, profile paths): kept until
    /// `vmi_destroy`, deduplicated so repeated lookups do not grow it.
    pub strings: Mutex<HashSet<CString>>,
    /// Backing store for `vmi_get_last_pagetable_lookup_fault`.
    pub last_fault: Mutex<Box<access_context_t>>,
}

impl vmi_instance {
    pub fn new(core: Vmi, mode: vmi_mode_t, init_flags: u64) -> vmi_instance {
        vmi_instance {
            core,
            mode,
            init_flags,
            strings: Mutex::new(HashSet::new()),
            // SAFETY: access_context_t is plain old data; all-zero is valid.
            last_fault: Mutex::new(Box::new(unsafe { core::mem::zeroed() })),
        }
    }

    /// A pointer to a NUL-terminated copy of `s` that stays valid for the
    /// instance's lifetime.
    pub fn keep_string(&self, s: &str) -> *const core::ffi::c_char {
        let Ok(c) = CString::new(s) else {
            return core::ptr::null();
        };
        let mut set = self.strings.lock();
        if let Some(existing) = set.get(&c) {
            return existing.as_ptr();
        }
        let p = c.as_ptr();
        set.insert(c);
        p
    }
}

/// `typedef struct vmi_instance *vmi_instance_t;`
pub type vmi_instance_t = *mut vmi_instance;
