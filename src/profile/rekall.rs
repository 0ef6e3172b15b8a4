//! Rekall profiles: `$CONSTANTS` and `$FUNCTIONS` map names to addresses
//! (constants win when both have a name, as upstream checks them first),
//! `$STRUCTS` maps a name to `[size, {member: [offset, [type, {args}]]}]`,
//! `$ENUMS` maps a name to `{"value": "NAME"}`, `$METADATA.ProfileClass`
//! names the OS. Malformed entries are skipped one by one.

use serde_json::Value;

use super::json::Document;
use super::{
    AggregateKind, EnumDef, Field, OsKind, Profile, ProfileSource, StructDef, Symbol, TypeDesc,
};

/// Type descriptors nest through `target_args`; real ones are a few deep.
const MAX_TYPE_DEPTH: u32 = 16;

/// An address or offset: json-c reads these as int64, so negative values
/// wrap to their two's-complement `u64`, as upstream would use them.
fn as_addr(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_i64().map(|i| i as u64))
}

fn arg<'a>(args: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    args.and_then(|a| a.get(key))
}

fn arg_u32(args: Option<&Value>, key: &str) -> Option<u32> {
    arg(args, key)?.as_u64().and_then(|v| u32::try_from(v).ok())
}

struct Converter<'a> {
    structs: &'a serde_json::Map<String, Value>,
}

impl Converter<'_> {
    /// The type named `name` with Rekall's argument object `args`.
    fn type_desc(&self, name: &str, args: Option<&Value>, depth: u32) -> TypeDesc {
        if depth > MAX_TYPE_DEPTH {
            return TypeDesc::Unknown;
        }
        let target = |default: &str| {
            let t = arg(args, "target")
                .and_then(Value::as_str)
                .unwrap_or(default);
            Box::new(self.type_desc(t, arg(args, "target_args"), depth + 1))
        };
        match name {
            "Pointer" => TypeDesc::Pointer(target("void")),
            "Array" => TypeDesc::Array {
                count: arg(args, "count").and_then(Value::as_u64).unwrap_or(0),
                elem: target("unsigned char"),
            },
            "String" => TypeDesc::Array {
                count: arg(args, "length").and_then(Value::as_u64).unwrap_or(0),
                elem: Box::new(TypeDesc::Base("char".into())),
            },
            "BitField" => {
                let (Some(start), Some(end)) =
                    (arg_u32(args, "start_bit"), arg_u32(args, "end_bit"))
                else {
                    return TypeDesc::Unknown;
                };
                let Some(bit_length) = end.checked_sub(start) else {
                    return TypeDesc::Unknown;
                };
                TypeDesc::Bitfield {
                    bit_position: start,
                    bit_length,
                    storage: target("unsigned int"),
                }
            }
            "Enumeration" => match arg(args, "enum_name").and_then(Value::as_str) {
                Some(e) => TypeDesc::Enum(e.into()),
                None => *target("int"),
            },
            "Function" => TypeDesc::Function,
            "Void" | "void" => TypeDesc::Base("void".into()),
            n if self.structs.contains_key(n) => TypeDesc::Struct(n.into()),
            n => TypeDesc::Base(n.into()),
        }
    }

    /// A member's `[offset, [type, {args}]]`.
    fn field(&self, name: &str, v: &Value) -> Option<Field> {
        let offset = v.get(0)?.as_i64()?;
        let desc = v.get(1)?;
        let ty = match desc.get(0).and_then(Value::as_str) {
            Some(t) => self.type_desc(t, desc.get(1), 0),
            None => TypeDesc::Unknown,
        };
        Some(Field {
            name: name.into(),
            offset,
            ty,
            anonymous: false,
        })
    }

    fn struct_def(&self, name: &str, v: &Value) -> Option<(StructDef, usize)> {
        let size = as_addr(v.get(0)?)?;
        let mut def = StructDef::new(name, AggregateKind::Struct, size);
        let mut skipped = 0;
        if let Some(members) = v.get(1).and_then(Value::as_object) {
            for (mname, mv) in members {
                match self.field(mname, mv) {
                    Some(f) => {
                        def.add_field(f);
                    }
                    None => skipped += 1,
                }
            }
        }
        Some((def, skipped))
    }
}

fn add_symbols(p: &mut Profile, section: Option<&Value>, kind: u8, skipped: &mut usize) {
    for (name, v) in section.and_then(Value::as_object).into_iter().flatten() {
        match as_addr(v) {
            Some(address) => {
                p.add_symbol_entry(Symbol {
                    name: name.as_str().into(),
                    address,
                    kind,
                    ty: None,
                });
            }
            None => *skipped += 1,
        }
    }
}

pub(crate) fn convert(doc: Document) -> Profile {
    let mut p = Profile::new(ProfileSource::Rekall);
    let mut skipped = 0usize;

    let os = match doc
        .rekall_metadata
        .as_ref()
        .and_then(|m| m.get("ProfileClass"))
    {
        Some(Value::String(c)) if c == "Linux" => Some(OsKind::Linux),
        Some(Value::String(_)) => Some(OsKind::Windows),
        _ => None,
    };
    p.set_os(os);

    add_symbols(&mut p, doc.rekall_constants.as_ref(), b'D', &mut skipped);
    add_symbols(&mut p, doc.rekall_functions.as_ref(), b'T', &mut skipped);

    let empty = serde_json::Map::new();
    let structs = doc
        .rekall_structs
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let conv = Converter { structs };
    for (name, v) in structs {
        match conv.struct_def(name, v) {
            Some((def, s)) => {
                skipped += s;
                p.add_struct(def);
            }
            None => skipped += 1,
        }
    }

    for (name, v) in doc
        .rekall_enums
        .as_ref()
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let Some(values) = v.as_object() else {
            skipped += 1;
            continue;
        };
        let mut constants = Vec::with_capacity(values.len());
        for (value, cname) in values {
            match (value.trim().parse::<i128>(), cname.as_str()) {
                (Ok(value), Some(cname)) => constants.push((cname.into(), value)),
                _ => skipped += 1,
            }
        }
        // Rekall does not record an enum's storage; 0 and "" say "unknown".
        p.add_enum(EnumDef {
            name: name.as_str().into(),
            size: 0,
            base: "".into(),
            constants,
        });
    }

    if skipped > 0 {
        crate::log_debug!("Rekall profile: skipped {skipped} malformed entries");
    }
    p.set_metadata(doc.rekall_metadata);
    p
}
