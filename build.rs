// Gives the shared library upstream's SONAME so programs linked against
// upstream LibVMI (DT_NEEDED libvmi.so.0) load ours unchanged, and links the
// system GLib and json-c the C API is expressed in.
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libvmi.so.0");
    println!("cargo:rerun-if-changed=build.rs");

    // Upstream's library depends on both; keep the DT_NEEDED entries even
    // while no symbol of theirs is referenced yet (rustc links --as-needed),
    // so programs built against upstream find GLib and json-c loaded.
    let mut libs = Vec::new();
    for name in ["glib-2.0", "json-c"] {
        match pkg_config::Config::new().cargo_metadata(true).probe(name) {
            Ok(lib) => libs.extend(lib.libs),
            Err(e) => panic!("pkg-config could not find {name}: {e}"),
        }
    }
    let mut arg = String::from("-Wl,--push-state,--no-as-needed");
    for lib in libs {
        arg.push_str(",-l");
        arg.push_str(&lib);
    }
    arg.push_str(",--pop-state");
    println!("cargo:rustc-cdylib-link-arg={arg}");

    // The layout test compiles C probes with the `cc` crate, which needs the
    // target triple a build script would see.
    if let Ok(target) = std::env::var("TARGET") {
        println!("cargo:rustc-env=VMI_BUILD_TARGET={target}");
    }
}
