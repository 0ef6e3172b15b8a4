//! Types of the system libraries that appear in the API: GLib's lists and
//! hash tables (from `glib-sys`) and json-c's opaque `json_object`.

pub use glib_sys::{GHashTable, GSList};

/// json-c's object; only ever handled by pointer.
#[repr(C)]
pub struct json_object {
    _opaque: [u8; 0],
    _not_send_sync_unpin: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

/// The json-c functions the library calls (linked by build.rs). Declared
/// here, outside the function groups, so they stay out of the generated
/// headers. json-c's `json_bool` is `int`.
pub mod jsonc {
    use super::json_object;
    use core::ffi::{c_char, c_int, c_void};

    pub type json_object_delete_fn =
        unsafe extern "C" fn(jso: *mut json_object, userdata: *mut c_void);

    /// `json_type_object` of `enum json_type`.
    pub const json_type_object: c_int = 4;
    pub const JSON_C_TO_STRING_PLAIN: c_int = 0;

    extern "C" {
        pub fn json_tokener_parse(s: *const c_char) -> *mut json_object;
        pub fn json_object_put(obj: *mut json_object) -> c_int;
        pub fn json_object_object_get_ex(
            obj: *const json_object,
            key: *const c_char,
            value: *mut *mut json_object,
        ) -> c_int;
        pub fn json_object_is_type(obj: *const json_object, ty: c_int) -> c_int;
        pub fn json_object_to_json_string_ext(obj: *mut json_object, flags: c_int)
            -> *const c_char;
        pub fn json_object_get_userdata(obj: *mut json_object) -> *mut c_void;
        pub fn json_object_set_userdata(
            obj: *mut json_object,
            userdata: *mut c_void,
            user_delete: Option<json_object_delete_fn>,
        );
    }
}
