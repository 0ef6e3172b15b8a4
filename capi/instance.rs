//! The object behind `vmi_instance_t`. C only ever sees a pointer to it.

#![allow(non_camel_case_types)]

/// Placeholder until the core instance is wired in; C code must treat it
/// as opaque.
pub struct vmi_instance {
    _private: (),
}

/// `typedef struct vmi_instance *vmi_instance_t;`
pub type vmi_instance_t = *mut vmi_instance;
