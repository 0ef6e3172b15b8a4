//! Types of the system libraries that appear in the API: GLib's lists and
//! hash tables (from `glib-sys`) and json-c's opaque `json_object`.

pub use glib_sys::{GHashTable, GSList};

/// json-c's object; only ever handled by pointer.
#[repr(C)]
pub struct json_object {
    _opaque: [u8; 0],
    _not_send_sync_unpin: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}
