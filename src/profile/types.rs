//! The profile's data model: symbols, aggregate layouts, enums and base
//! types. It mirrors what an ISF file can say, so a profile filled from any
//! source (System.map, ISF, Rekall, kallsyms + BTF) can be exported as ISF.

use super::index::NameIndex;

/// How a value of some type is laid out; the shape of an ISF type descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeDesc {
    /// A scalar named in the base types (`int`, `long unsigned int`, ...).
    Base(Box<str>),
    Struct(Box<str>),
    Union(Box<str>),
    Class(Box<str>),
    Enum(Box<str>),
    Pointer(Box<TypeDesc>),
    Array {
        count: u64,
        elem: Box<TypeDesc>,
    },
    /// `bit_length` bits starting `bit_position` bits into a `storage` unit.
    Bitfield {
        bit_position: u32,
        bit_length: u32,
        storage: Box<TypeDesc>,
    },
    Function,
    /// The source described a type this model has no shape for.
    Unknown,
}

impl TypeDesc {
    /// The type's own name; pointers, arrays, bitfields and functions have none.
    pub fn name(&self) -> Option<&str> {
        match self {
            TypeDesc::Base(n)
            | TypeDesc::Struct(n)
            | TypeDesc::Union(n)
            | TypeDesc::Class(n)
            | TypeDesc::Enum(n) => Some(n),
            _ => None,
        }
    }

    /// The name of the struct/union/class stored inline, if this is one.
    pub fn aggregate_name(&self) -> Option<&str> {
        match self {
            TypeDesc::Struct(n) | TypeDesc::Union(n) | TypeDesc::Class(n) => Some(n),
            _ => None,
        }
    }

    /// ISF's `kind` string for this descriptor.
    pub fn kind_str(&self) -> &'static str {
        match self {
            TypeDesc::Base(_) => "base",
            TypeDesc::Struct(_) => "struct",
            TypeDesc::Union(_) => "union",
            TypeDesc::Class(_) => "class",
            TypeDesc::Enum(_) => "enum",
            TypeDesc::Pointer(_) => "pointer",
            TypeDesc::Array { .. } => "array",
            TypeDesc::Bitfield { .. } => "bitfield",
            TypeDesc::Function => "function",
            TypeDesc::Unknown => "unknown",
        }
    }
}

/// One named symbol. `kind` is the System.map / nm type letter (`T`, `t`,
/// `D`, `B`, `R`, `A`, `W`, ...); JSON profiles carry no letter, so their
/// functions get `T` and everything else `D`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: Box<str>,
    pub address: u64,
    pub kind: u8,
    /// The symbol's type where the source says it (ISF does).
    pub ty: Option<TypeDesc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregateKind {
    Struct,
    Union,
    Class,
}

impl AggregateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AggregateKind::Struct => "struct",
            AggregateKind::Union => "union",
            AggregateKind::Class => "class",
        }
    }
}

/// One member of an aggregate; `offset` is in bytes from the aggregate's
/// start. It is signed because real profiles describe some structures from
/// an interior point (Windows console `_ROW` has members at -88).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: Box<str>,
    pub offset: i64,
    pub ty: TypeDesc,
    /// An unnamed struct/union member whose fields read as the parent's own.
    pub anonymous: bool,
}

impl Field {
    /// True for an inline unnamed aggregate, detected by the flag ISF sets or
    /// by the names generators give such members and types.
    pub fn is_anonymous_aggregate(&self) -> bool {
        let Some(tn) = self.ty.aggregate_name() else {
            return false;
        };
        self.anonymous
            || self.name.starts_with("unnamed")
            || tn.starts_with("unnamed")
            || tn.starts_with("__unnamed")
            || tn.starts_with("<unnamed")
            || tn.starts_with("<anonymous")
    }
}

/// A struct, union or class layout with its members in source order.
#[derive(Clone)]
pub struct StructDef {
    name: Box<str>,
    kind: AggregateKind,
    size: u64,
    fields: Vec<Field>,
    index: NameIndex,
}

impl StructDef {
    pub fn new(name: &str, kind: AggregateKind, size: u64) -> StructDef {
        StructDef {
            name: name.into(),
            kind,
            size,
            fields: Vec::new(),
            index: NameIndex::default(),
        }
    }

    /// Appends a member; false (and nothing changes) if the name is taken.
    pub fn add_field(&mut self, field: Field) -> bool {
        let Ok(pos) = u32::try_from(self.fields.len()) else {
            return false;
        };
        let fields = &self.fields;
        if self
            .index
            .insert(&field.name, pos, |i| &fields[i as usize].name)
            .is_err()
        {
            return false;
        }
        self.fields.push(field);
        true
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> AggregateKind {
        self.kind
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// A direct member by name (anonymous members are not looked into).
    pub fn field(&self, name: &str) -> Option<&Field> {
        let i = self.index.find(name, |i| &self.fields[i as usize].name)?;
        self.fields.get(i as usize)
    }
}

impl core::fmt::Debug for StructDef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StructDef")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("size", &self.size)
            .field("fields", &self.fields)
            .finish()
    }
}

/// An enumeration: its storage size, underlying base type and constants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumDef {
    pub name: Box<str>,
    pub size: u64,
    pub base: Box<str>,
    pub constants: Vec<(Box<str>, i128)>,
}

/// A scalar type as ISF's `base_types` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseType {
    pub name: Box<str>,
    pub size: u64,
    pub signed: bool,
    /// ISF's kind: `int`, `char`, `bool`, `float`, `void`.
    pub kind: Box<str>,
    pub little_endian: bool,
}

/// Which kind of file a profile came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileSource {
    SystemMap,
    Isf,
    Rekall,
    /// Filled by code (e.g. from kallsyms and BTF).
    Built,
}

/// The guest OS a JSON profile says it describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OsKind {
    Linux,
    Windows,
    MacOs,
}
