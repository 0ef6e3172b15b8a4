//! Volatility 3 ISF: `symbols` ({address, type}), `user_types` ({kind, size,
//! fields: {name: {offset, type, anonymous?}}}), `base_types`, `enums` and
//! `metadata`. Entries missing what they need are skipped one by one, as a
//! lookup of them would fail upstream too; the rest of the file still loads.

use serde::{Deserialize, Deserializer};

use super::json::{Document, Entries};
use super::{
    AggregateKind, BaseType, EnumDef, Field, OsKind, Profile, ProfileSource, StructDef, Symbol,
    TypeDesc,
};

/// Any JSON integer. Which range is usable depends on where it stands; an
/// unusable one drops only the entry holding it, as upstream would fail
/// only lookups of that entry.
#[derive(Clone, Copy)]
pub(crate) struct Int(i128);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        i128::deserialize(d).map(Int)
    }
}

impl Int {
    fn get<T: TryFrom<i128>>(v: Option<Int>) -> Option<T> {
        T::try_from(v?.0).ok()
    }

    /// An address: json-c reads int64, so negative values wrap.
    fn address(v: Option<Int>) -> Option<u64> {
        let v = v?.0;
        u64::try_from(v)
            .ok()
            .or_else(|| i64::try_from(v).ok().map(|i| i as u64))
    }
}

/// An ISF type descriptor. Nesting depth is bounded by serde_json's
/// recursion limit, so hostile nesting fails the parse instead of the stack.
#[derive(Deserialize)]
pub(crate) struct TypeJson {
    kind: Option<String>,
    name: Option<String>,
    subtype: Option<Box<TypeJson>>,
    count: Option<Int>,
    bit_position: Option<Int>,
    bit_length: Option<Int>,
    #[serde(rename = "type")]
    storage: Option<Box<TypeJson>>,
}

#[derive(Deserialize)]
pub(crate) struct FieldJson {
    #[serde(rename = "type")]
    ty: Option<TypeJson>,
    offset: Option<Int>,
    anonymous: Option<bool>,
}

#[derive(Deserialize)]
pub(crate) struct UserTypeJson {
    kind: Option<String>,
    size: Option<Int>,
    fields: Option<Entries<FieldJson>>,
}

#[derive(Deserialize)]
pub(crate) struct EnumJson {
    size: Option<Int>,
    base: Option<String>,
    constants: Option<Entries<i128>>,
}

#[derive(Deserialize)]
pub(crate) struct BaseTypeJson {
    size: Option<Int>,
    signed: Option<bool>,
    kind: Option<String>,
    endian: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct SymbolJson {
    address: Option<Int>,
    #[serde(rename = "type")]
    ty: Option<TypeJson>,
}

fn named(name: Option<&String>, make: fn(Box<str>) -> TypeDesc) -> TypeDesc {
    name.map_or(TypeDesc::Unknown, |n| make(n.as_str().into()))
}

fn convert_type(t: &TypeJson) -> TypeDesc {
    let sub =
        |s: &Option<Box<TypeJson>>| Box::new(s.as_deref().map_or(TypeDesc::Unknown, convert_type));
    match t.kind.as_deref() {
        Some("base") => named(t.name.as_ref(), TypeDesc::Base),
        Some("struct") => named(t.name.as_ref(), TypeDesc::Struct),
        Some("union") => named(t.name.as_ref(), TypeDesc::Union),
        Some("class") => named(t.name.as_ref(), TypeDesc::Class),
        Some("enum") => named(t.name.as_ref(), TypeDesc::Enum),
        Some("pointer") => TypeDesc::Pointer(sub(&t.subtype)),
        Some("array") => TypeDesc::Array {
            count: Int::get(t.count).unwrap_or(0),
            elem: sub(&t.subtype),
        },
        Some("bitfield") => match (Int::get(t.bit_position), Int::get(t.bit_length)) {
            (Some(bit_position), Some(bit_length)) => TypeDesc::Bitfield {
                bit_position,
                bit_length,
                storage: sub(&t.storage),
            },
            _ => TypeDesc::Unknown,
        },
        Some("function") => TypeDesc::Function,
        _ => TypeDesc::Unknown,
    }
}

fn os_of(metadata: &serde_json::Value) -> OsKind {
    if metadata.get("windows").is_some() {
        OsKind::Windows
    } else if metadata.get("mac").is_some() {
        OsKind::MacOs
    } else {
        OsKind::Linux
    }
}

pub(crate) fn convert(doc: Document) -> Profile {
    let mut p = Profile::new(ProfileSource::Isf);
    let mut skipped = 0usize;
    if let Some(meta) = &doc.metadata {
        p.set_os(Some(os_of(meta)));
    }
    p.set_metadata(doc.metadata);

    for (name, b) in doc.base_types.map(|e| e.0).unwrap_or_default() {
        let Some(size) = Int::get(b.size) else {
            skipped += 1;
            continue;
        };
        p.add_base_type(BaseType {
            name: name.into(),
            size,
            signed: b.signed.unwrap_or(false),
            kind: b.kind.unwrap_or_default().into(),
            little_endian: b.endian.as_deref() != Some("big"),
        });
    }

    for (name, u) in doc.user_types.map(|e| e.0).unwrap_or_default() {
        let kind = match u.kind.as_deref() {
            Some("union") => AggregateKind::Union,
            Some("class") => AggregateKind::Class,
            _ => AggregateKind::Struct,
        };
        let Some(size) = Int::get(u.size) else {
            skipped += 1;
            continue;
        };
        let mut def = StructDef::new(&name, kind, size);
        for (fname, f) in u.fields.map(|e| e.0).unwrap_or_default() {
            let (Some(offset), Some(ty)) = (Int::get(f.offset), f.ty.as_ref()) else {
                skipped += 1;
                continue;
            };
            let field = Field {
                name: fname.into(),
                offset,
                ty: convert_type(ty),
                anonymous: f.anonymous.unwrap_or(false),
            };
            def.add_field(field);
        }
        p.add_struct(def);
    }

    for (name, e) in doc.enums.map(|e| e.0).unwrap_or_default() {
        let constants = e.constants.map(|c| c.0).unwrap_or_default();
        p.add_enum(EnumDef {
            name: name.into(),
            size: Int::get(e.size).unwrap_or(0),
            base: e.base.unwrap_or_default().into(),
            constants: constants.into_iter().map(|(n, v)| (n.into(), v)).collect(),
        });
    }

    for (name, s) in doc.symbols.map(|e| e.0).unwrap_or_default() {
        let Some(address) = Int::address(s.address) else {
            skipped += 1;
            continue;
        };
        let ty = s.ty.as_ref().map(convert_type);
        let kind = if matches!(ty, Some(TypeDesc::Function)) {
            b'T'
        } else {
            b'D'
        };
        p.add_symbol_entry(Symbol {
            name: name.into(),
            address,
            kind,
            ty,
        });
    }

    if skipped > 0 {
        crate::log_debug!("ISF profile: skipped {skipped} incomplete entries");
    }
    p
}
