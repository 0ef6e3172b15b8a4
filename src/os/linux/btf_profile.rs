//! Converts the kernel's BTF into the profile's type model, so layouts read
//! from guest memory answer the same questions (and export to ISF) as
//! layouts loaded from a Volatility profile.
//!
//! Anonymous structs, unions and enums get the name `unnamed_<kind>_<id>`
//! and anonymous members `unnamed_field_<n>` with the `anonymous` flag, the
//! convention the profile's member lookup and ISF generators use.

use crate::profile::btf::{BaseKind, Btf, Kind, TypeRef};
use crate::profile::{
    AggregateKind, BaseType, EnumDef, Field, Profile, StructDef, Symbol, TypeDesc,
};

fn unnamed(kind: &str, id: u32) -> Box<str> {
    format!("unnamed_{kind}_{id}").into()
}

fn desc(r: TypeRef) -> TypeDesc {
    match r {
        TypeRef::Void => TypeDesc::Base("void".into()),
        TypeRef::Base { name } => TypeDesc::Base(name.into()),
        TypeRef::Pointer(inner) => TypeDesc::Pointer(Box::new(desc(*inner))),
        TypeRef::Array { count, subtype } => TypeDesc::Array {
            count,
            elem: Box::new(desc(*subtype)),
        },
        TypeRef::Struct { id, name } => {
            TypeDesc::Struct(name.map_or_else(|| unnamed("struct", id), Into::into))
        }
        TypeRef::Union { id, name } => {
            TypeDesc::Union(name.map_or_else(|| unnamed("union", id), Into::into))
        }
        TypeRef::Enum { id, name } => {
            TypeDesc::Enum(name.map_or_else(|| unnamed("enum", id), Into::into))
        }
        TypeRef::Function => TypeDesc::Function,
    }
}

/// The ISF base type an enum of this size and signedness is stored in.
fn enum_base(size: u64, signed: bool) -> &'static str {
    match (size, signed) {
        (1, true) => "signed char",
        (1, false) => "unsigned char",
        (2, true) => "short int",
        (2, false) => "short unsigned int",
        (8, true) => "long long int",
        (8, false) => "long long unsigned int",
        (_, true) => "int",
        (_, false) => "unsigned int",
    }
}

fn add_base_types(btf: &Btf, p: &mut Profile) {
    for (id, kind, _) in btf.named_types() {
        if !matches!(kind, Kind::Int | Kind::Float) {
            continue;
        }
        let Ok(b) = btf.base_type(id) else { continue };
        p.add_base_type(BaseType {
            name: b.name.into(),
            size: b.size,
            signed: b.signed,
            kind: match b.kind {
                BaseKind::Int => "int",
                BaseKind::Char => "char",
                BaseKind::Bool => "bool",
                BaseKind::Float => "float",
            }
            .into(),
            little_endian: !btf.is_big_endian(),
        });
    }
    let ptr = btf.pointer_size();
    for (name, size, kind, signed) in [("void", 0, "void", false), ("pointer", ptr, "int", false)] {
        p.add_base_type(BaseType {
            name: name.into(),
            size,
            signed,
            kind: kind.into(),
            little_endian: !btf.is_big_endian(),
        });
    }
    // Enum storage types, in case the kernel names them differently.
    for (size, signed) in [
        (1, true),
        (1, false),
        (2, true),
        (2, false),
        (4, true),
        (4, false),
        (8, true),
        (8, false),
    ] {
        p.add_base_type(BaseType {
            name: enum_base(size, signed).into(),
            size,
            signed,
            kind: "int".into(),
            little_endian: !btf.is_big_endian(),
        });
    }
}

fn add_aggregate(btf: &Btf, p: &mut Profile, id: u32) {
    let Ok(view) = btf.struct_by_id(id) else {
        return;
    };
    let (kind, kname) = if view.is_union {
        (AggregateKind::Union, "union")
    } else {
        (AggregateKind::Struct, "struct")
    };
    let name: Box<str> = if view.name.is_empty() {
        unnamed(kname, id)
    } else {
        view.name.into()
    };
    let mut def = StructDef::new(&name, kind, view.size);
    for (i, m) in view.members.iter().enumerate() {
        let Ok(r) = btf.type_ref(m.type_id) else {
            continue;
        };
        let ty = desc(r);
        let (offset, ty) = if m.bitfield_size > 0 {
            let Ok((unit, bit)) = btf.bitfield_storage(m) else {
                continue;
            };
            (
                unit,
                TypeDesc::Bitfield {
                    bit_position: bit,
                    bit_length: m.bitfield_size,
                    storage: Box::new(ty),
                },
            )
        } else {
            (m.offset, ty)
        };
        let anonymous = m.name.is_empty();
        let fname: Box<str> = if anonymous {
            format!("unnamed_field_{i}").into()
        } else {
            m.name.into()
        };
        def.add_field(Field {
            name: fname,
            offset: offset as i64,
            ty,
            anonymous,
        });
    }
    p.add_struct(def);
}

fn add_enum(btf: &Btf, p: &mut Profile, id: u32) {
    let Ok(e) = btf.enum_by_id(id) else { return };
    let name: Box<str> = if e.name.is_empty() {
        unnamed("enum", id)
    } else {
        e.name.into()
    };
    p.add_enum(EnumDef {
        name,
        size: e.size,
        base: enum_base(e.size, e.signed).into(),
        constants: e.values.iter().map(|&(n, v)| (n.into(), v)).collect(),
    });
}

/// Adds every struct, union, enum and base type of `btf` to `p` (layouts
/// already present win), and types to the symbols BTF describes (functions
/// and variables).
pub fn add_btf_types(btf: &Btf, p: &mut Profile) {
    add_base_types(btf, p);
    for kind in [Kind::Struct, Kind::Union] {
        for id in btf.ids_of_kind(kind) {
            add_aggregate(btf, p, id);
        }
    }
    for kind in [Kind::Enum, Kind::Enum64] {
        for id in btf.ids_of_kind(kind) {
            add_enum(btf, p, id);
        }
    }
}

/// Gives the profile's symbols the types BTF knows: FUNC records name
/// functions, VAR records (per-cpu variables in vmlinux BTF) variables.
pub fn add_symbol_types(btf: &Btf, p: &mut Profile) {
    let typed: Vec<Symbol> = p
        .symbols()
        .map(|s| {
            let mut s = s.clone();
            if s.ty.is_none() {
                s.ty = btf
                    .find(&s.name, &[Kind::Func])
                    .map(|_| TypeDesc::Function)
                    .or_else(|| {
                        let v = btf.find(&s.name, &[Kind::Var])?;
                        btf.target(v)
                            .ok()
                            .and_then(|t| btf.type_ref(t).ok())
                            .map(desc)
                    });
            }
            s
        })
        .collect();
    let mut out = Profile::new(p.source());
    out.set_os(p.os());
    out.set_metadata(p.metadata().cloned());
    for s in typed {
        out.add_symbol_entry(s);
    }
    for d in p.structs() {
        out.add_struct(d.clone());
    }
    for e in p.enums() {
        out.add_enum(e.clone());
    }
    for b in p.base_types() {
        out.add_base_type(b.clone());
    }
    *p = out;
}
