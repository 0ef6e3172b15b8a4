//! Generates the public C headers and fails if the committed ones in
//! `include/libvmi/` are stale.
//!
//! Each header is a hand-written template `capi/headers/NAME.h.in` (types,
//! macros, include guards) with marker lines `/* @FUNCTIONS:FILE@ */` that
//! are replaced by the prototypes cbindgen derives from `capi/FILE.rs`.
//! Regenerate with `VMI_BLESS_HEADERS=1 cargo test --test headers`.

use std::fs;
use std::path::{Path, PathBuf};

use cbindgen::{Builder, Config, DocumentationStyle, ItemType, Language, SortKey, Style};

const HEADERS: [&str; 6] = ["libvmi", "events", "libvmi_extra", "slat", "x86", "peparse"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// cbindgen settings shared by every group: prototypes only (the templates
/// define all types), C spelling of the typedef names used in Rust.
fn config(style: Style) -> Config {
    let mut c = Config {
        language: Language::C,
        style,
        no_includes: true,
        usize_is_size_t: true,
        documentation: true,
        documentation_style: DocumentationStyle::Doxy,
        sort_by: SortKey::None,
        line_length: 100,
        ..Config::default()
    };
    c.export.item_types = vec![ItemType::Functions];
    c.function.postfix = Some("NOEXCEPT".into());
    c.function.deprecated = Some("__attribute__((deprecated))".into());
    c
}

/// Prototypes of the functions in `capi/<group>.rs`.
fn prototypes(group: &str) -> String {
    let capi = root().join("capi");
    let mut builder = Builder::new().with_src(capi.join(format!("{group}.rs")));
    // peparse.h uses untypedef'd `struct pe_header *` etc.: let cbindgen see
    // those structs and spell references with their tag. Every other type is
    // unknown to it and printed by its (typedef) name.
    let style = if group == "peparse" {
        builder = builder.with_src(capi.join("types/pe.rs"));
        Style::Tag
    } else {
        Style::Type
    };
    let bindings = builder
        .with_config(config(style))
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen failed on capi/{group}.rs: {e}"));
    let mut out = Vec::new();
    bindings.write(&mut out);
    let text = String::from_utf8(out).expect("cbindgen writes UTF-8");
    let text = text.trim();
    assert!(!text.is_empty(), "capi/{group}.rs produced no prototypes");
    text.to_string()
}

/// The template with every marker replaced.
fn render(name: &str) -> String {
    let path = root().join(format!("capi/headers/{name}.h.in"));
    let template = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = String::with_capacity(template.len() * 2);
    for line in template.lines() {
        let marker = line
            .trim()
            .strip_prefix("/* @FUNCTIONS:")
            .and_then(|r| r.strip_suffix("@ */"));
        match marker {
            Some(group) => out.push_str(&prototypes(group)),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

fn header_path(name: &str) -> PathBuf {
    root().join(format!("include/libvmi/{name}.h"))
}

fn bless(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("header has a directory"))
        .expect("create include/libvmi");
    fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

#[test]
fn committed_headers_are_up_to_date() {
    let blessing = std::env::var_os("VMI_BLESS_HEADERS").is_some_and(|v| v != "0");
    let mut stale = Vec::new();
    for name in HEADERS {
        let want = render(name);
        let path = header_path(name);
        if blessing {
            bless(&path, &want);
        } else if fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated headers (run `VMI_BLESS_HEADERS=1 cargo test --test headers`): {stale:?}"
    );
}

#[test]
fn every_marker_group_has_a_source_file_and_is_used_once() {
    let mut groups = Vec::new();
    for name in HEADERS {
        let template =
            fs::read_to_string(root().join(format!("capi/headers/{name}.h.in"))).unwrap();
        for line in template.lines() {
            if let Some(g) = line
                .trim()
                .strip_prefix("/* @FUNCTIONS:")
                .and_then(|r| r.strip_suffix("@ */"))
            {
                assert!(
                    root().join(format!("capi/{g}.rs")).is_file(),
                    "no capi/{g}.rs for marker in {name}.h.in"
                );
                groups.push(g.to_string());
            }
        }
    }
    let n = groups.len();
    groups.sort();
    groups.dedup();
    assert_eq!(n, groups.len(), "a function group is placed in two headers");
    // Every family file with exported functions must land in some header.
    for entry in fs::read_dir(root().join("capi")).unwrap() {
        let path = entry.unwrap().path();
        let src = fs::read_to_string(&path).unwrap_or_default();
        if src.contains("#[no_mangle]") {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            assert!(
                groups.contains(&stem),
                "capi/{stem}.rs exports functions but no header has its marker"
            );
        }
    }
}
