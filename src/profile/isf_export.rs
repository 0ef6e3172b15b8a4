//! Writes a [`Profile`] as a Volatility 3 Intermediate Symbol Format (ISF)
//! document, format 6.2.0: `metadata`, `base_types`, `user_types`, `enums`
//! and `symbols`. Addresses are exported as the profile holds them, i.e.
//! link-time (unslid) addresses, as Volatility expects; reading the result
//! back with [`super::from_isf`] gives the same layouts and symbols.

use serde_json::{json, Map, Value};

use super::{AggregateKind, Profile, TypeDesc};

pub const ISF_FORMAT: &str = "6.2.0";

/// Extra facts for the export.
#[derive(Clone, Debug, Default)]
pub struct IsfOptions<'a> {
    /// The kernel's `linux_banner` bytes; Volatility matches an ISF to a
    /// memory image by this string (`symbols.linux_banner.constant_data`).
    pub banner: Option<&'a [u8]>,
    /// Free text for `metadata.producer.name` (default `libvmi-rs`).
    pub producer: Option<&'a str>,
}

fn type_json(t: &TypeDesc) -> Value {
    match t {
        TypeDesc::Base(n) => json!({"kind": "base", "name": &**n}),
        TypeDesc::Struct(n) => json!({"kind": "struct", "name": &**n}),
        TypeDesc::Union(n) => json!({"kind": "union", "name": &**n}),
        TypeDesc::Class(n) => json!({"kind": "class", "name": &**n}),
        TypeDesc::Enum(n) => json!({"kind": "enum", "name": &**n}),
        TypeDesc::Pointer(s) => json!({"kind": "pointer", "subtype": type_json(s)}),
        TypeDesc::Array { count, elem } => {
            json!({"kind": "array", "count": count, "subtype": type_json(elem)})
        }
        TypeDesc::Bitfield {
            bit_position,
            bit_length,
            storage,
        } => json!({
            "kind": "bitfield",
            "bit_position": bit_position,
            "bit_length": bit_length,
            "type": type_json(storage),
        }),
        TypeDesc::Function => json!({"kind": "function"}),
        TypeDesc::Unknown => json!({"kind": "base", "name": "void"}),
    }
}

fn int_value(v: i128) -> Option<Value> {
    if let Ok(i) = i64::try_from(v) {
        Some(Value::from(i))
    } else {
        u64::try_from(v).ok().map(Value::from)
    }
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The ISF document for `profile`.
pub fn to_isf(profile: &Profile) -> Value {
    to_isf_with(profile, &IsfOptions::default())
}

pub fn to_isf_with(profile: &Profile, opts: &IsfOptions<'_>) -> Value {
    let mut base = Map::new();
    for b in profile.base_types() {
        base.insert(
            b.name.to_string(),
            json!({
                "size": b.size,
                "signed": b.signed,
                "kind": &*b.kind,
                "endian": if b.little_endian { "little" } else { "big" },
            }),
        );
    }
    // Volatility needs these two whatever the source said.
    let ptr = profile
        .base_types()
        .find(|b| &*b.name == "pointer")
        .map(|b| b.size)
        .or_else(|| {
            profile
                .base_types()
                .find(|b| &*b.name == "long unsigned int")
                .map(|b| b.size)
        })
        .unwrap_or(8);
    base.entry("pointer").or_insert_with(
        || json!({"size": ptr, "signed": false, "kind": "int", "endian": "little"}),
    );
    base.entry("void")
        .or_insert_with(|| json!({"size": 0, "signed": false, "kind": "void", "endian": "little"}));

    let mut user = Map::new();
    for s in profile.structs() {
        let mut fields = Map::new();
        for f in s.fields() {
            let mut fj = json!({"offset": f.offset, "type": type_json(&f.ty)});
            if f.anonymous {
                fj["anonymous"] = Value::Bool(true);
            }
            fields.insert(f.name.to_string(), fj);
        }
        let kind = match s.kind() {
            AggregateKind::Struct => "struct",
            AggregateKind::Union => "union",
            AggregateKind::Class => "class",
        };
        user.insert(
            s.name().to_owned(),
            json!({"kind": kind, "size": s.size(), "fields": fields}),
        );
    }

    let mut enums = Map::new();
    for e in profile.enums() {
        let constants: Map<String, Value> = e
            .constants
            .iter()
            .filter_map(|(n, v)| Some((n.to_string(), int_value(*v)?)))
            .collect();
        enums.insert(
            e.name.to_string(),
            json!({"size": e.size, "base": &*e.base, "constants": constants}),
        );
    }

    let mut symbols = Map::new();
    for s in profile.symbols() {
        let mut sj = json!({"address": s.address});
        if let Some(t) = &s.ty {
            sj["type"] = type_json(t);
        }
        if &*s.name == "linux_banner" {
            if let Some(b) = opts.banner {
                sj["constant_data"] = Value::String(base64(b));
            }
        }
        symbols.insert(s.name.to_string(), sj);
    }

    let mut meta = json!({
        "format": ISF_FORMAT,
        "producer": {
            "name": opts.producer.unwrap_or("libvmi-rs"),
            "version": env!("CARGO_PKG_VERSION"),
        },
    });
    if profile.os() == Some(super::OsKind::Linux) || profile.os().is_none() {
        meta["linux"] = json!({"symbols": [{"kind": "symtab", "name": "kernel"}]});
    }
    json!({
        "metadata": meta,
        "base_types": base,
        "user_types": user,
        "enums": enums,
        "symbols": symbols,
    })
}

/// Writes the ISF document to `w` (compact JSON).
pub fn write_isf<W: std::io::Write>(
    profile: &Profile,
    opts: &IsfOptions<'_>,
    w: W,
) -> crate::Result<()> {
    serde_json::to_writer(w, &to_isf_with(profile, opts)).map_err(|_| crate::Error::Os {
        errno: 5,
        what: "writing the ISF document",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{BaseType, EnumDef, Field, ProfileSource, StructDef, Symbol};

    fn sample() -> Profile {
        let mut p = Profile::new(ProfileSource::Built);
        p.set_os(Some(crate::profile::OsKind::Linux));
        p.add_base_type(BaseType {
            name: "int".into(),
            size: 4,
            signed: true,
            kind: "int".into(),
            little_endian: true,
        });
        let mut list = StructDef::new("list_head", AggregateKind::Struct, 16);
        list.add_field(Field {
            name: "next".into(),
            offset: 0,
            ty: TypeDesc::Pointer(Box::new(TypeDesc::Struct("list_head".into()))),
            anonymous: false,
        });
        p.add_struct(list);
        let mut inner = StructDef::new("unnamed_union_7", AggregateKind::Union, 8);
        inner.add_field(Field {
            name: "deep".into(),
            offset: 4,
            ty: TypeDesc::Base("int".into()),
            anonymous: false,
        });
        p.add_struct(inner);
        let mut t = StructDef::new("task", AggregateKind::Struct, 64);
        for (name, offset, ty, anonymous) in [
            ("tasks", 8, TypeDesc::Struct("list_head".into()), false),
            (
                "comm",
                24,
                TypeDesc::Array {
                    count: 16,
                    elem: Box::new(TypeDesc::Base("char".into())),
                },
                false,
            ),
            (
                "flag",
                40,
                TypeDesc::Bitfield {
                    bit_position: 3,
                    bit_length: 2,
                    storage: Box::new(TypeDesc::Base("unsigned int".into())),
                },
                false,
            ),
            (
                "unnamed_field_3",
                48,
                TypeDesc::Union("unnamed_union_7".into()),
                true,
            ),
            ("state", -8, TypeDesc::Enum("state_e".into()), false),
        ] {
            t.add_field(Field {
                name: name.into(),
                offset,
                ty,
                anonymous,
            });
        }
        p.add_struct(t);
        p.add_enum(EnumDef {
            name: "state_e".into(),
            size: 4,
            base: "int".into(),
            constants: vec![
                ("RUNNING".into(), 0),
                ("DEAD".into(), -1),
                ("BIG".into(), 1 << 40),
            ],
        });
        p.add_symbol_entry(Symbol {
            name: "init_task".into(),
            address: 0xffff_ffff_8200_0000,
            kind: b'D',
            ty: Some(TypeDesc::Struct("task".into())),
        });
        p.add_symbol_entry(Symbol {
            name: "schedule".into(),
            address: 0xffff_ffff_8100_1000,
            kind: b'T',
            ty: Some(TypeDesc::Function),
        });
        p.add_symbol("linux_banner", 0xffff_ffff_8210_0000, b'D');
        p
    }

    #[test]
    fn round_trip_keeps_layouts_and_symbols() {
        let p = sample();
        let doc = to_isf_with(
            &p,
            &IsfOptions {
                banner: Some(b"Linux version 6.1.0\n"),
                producer: None,
            },
        );
        assert_eq!(doc["metadata"]["format"], "6.2.0");
        assert_eq!(doc["base_types"]["pointer"]["size"], 8);
        assert_eq!(
            doc["symbols"]["linux_banner"]["constant_data"],
            "TGludXggdmVyc2lvbiA2LjEuMAo="
        );
        let text = serde_json::to_vec(&doc).unwrap();
        let q = crate::profile::from_isf(&text).unwrap();
        for (s, m) in [
            ("task", "tasks"),
            ("task", "comm"),
            ("task", "deep"),
            ("task", "state"),
            ("list_head", "next"),
        ] {
            assert_eq!(q.member_offset(s, m), p.member_offset(s, m), "{s}.{m}");
            assert!(q.member_offset(s, m).is_some());
        }
        assert_eq!(q.member_offset("task", "deep"), Some(52));
        assert_eq!(q.bitfield("task", "flag"), Some((40, 3, 2)));
        assert_eq!(q.struct_size("task"), Some(64));
        assert_eq!(q.enum_value("state_e", "DEAD"), Some(-1));
        assert_eq!(q.enum_value("state_e", "BIG"), Some(1 << 40));
        for s in p.symbols() {
            let got = q.symbol_entry(&s.name).unwrap();
            assert_eq!(got.address, s.address);
        }
        assert_eq!(
            q.symbol_entry("schedule").unwrap().ty,
            Some(TypeDesc::Function)
        );
        assert_eq!(
            q.symbol_entry("init_task").unwrap().ty,
            Some(TypeDesc::Struct("task".into()))
        );
        // JSON objects do not keep member order; compare by name.
        let sorted = |p: &Profile| {
            let mut v = p.get_struct("task").unwrap().fields().to_vec();
            v.sort_by(|a, b| a.name.cmp(&b.name));
            v
        };
        assert_eq!(sorted(&q), sorted(&p));
    }

    #[test]
    fn base64_matches_rfc4648() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }
}
