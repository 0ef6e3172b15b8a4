// Gives the shared library upstream's SONAME so programs linked against
// upstream LibVMI (DT_NEEDED libvmi.so.0) load ours unchanged.
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libvmi.so.0");
    println!("cargo:rerun-if-changed=build.rs");
}
