//! Reader for BTF, the compact type format the Linux kernel embeds in itself
//! (`__start_BTF` .. `__stop_BTF`). With it a guest kernel that comes
//! without a profile still tells us its structure layouts.
//!
//! The blob is hostile input: every offset, id and count is checked while
//! parsing, so later lookups only read validated records. Parsing makes one
//! pass that records where each type's record starts; records are decoded
//! from the blob when asked for, and the name index is built on the first
//! lookup (types that give layouts and the rest separately: the many
//! functions are indexed only when one is looked up). Chains through
//! typedefs and qualifiers are bounded, so a cyclic blob yields an error
//! instead of a hang.

use crate::error::{Error, Result};
use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::sync::OnceLock;

const MAGIC: u16 = 0xeb9f;
const HEADER_LEN: usize = 24;
/// Longest typedef / qualifier / array chain we follow before calling the
/// blob cyclic. Real kernels need fewer than ten steps.
const MAX_CHAIN: usize = 64;
/// Deepest nesting of anonymous structs/unions searched for a member.
const MAX_NEST: usize = 32;
/// Members visited looking up one (path component of a) member name; the
/// largest kernel structs have a few hundred, nested ones included.
const MEMBER_BUDGET: u32 = 1 << 16;
/// Nodes visited when printing one type name (function pointers fan out).
const NAME_BUDGET: u32 = 512;

/// BTF type kinds; discriminants equal the on-disk `BTF_KIND_*` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Void = 0,
    Int = 1,
    Ptr = 2,
    Array = 3,
    Struct = 4,
    Union = 5,
    Enum = 6,
    Fwd = 7,
    Typedef = 8,
    Volatile = 9,
    Const = 10,
    Restrict = 11,
    Func = 12,
    FuncProto = 13,
    Var = 14,
    Datasec = 15,
    Float = 16,
    DeclTag = 17,
    TypeTag = 18,
    Enum64 = 19,
}

impl Kind {
    fn from_raw(v: u32) -> Option<Kind> {
        Some(match v {
            1 => Kind::Int,
            2 => Kind::Ptr,
            3 => Kind::Array,
            4 => Kind::Struct,
            5 => Kind::Union,
            6 => Kind::Enum,
            7 => Kind::Fwd,
            8 => Kind::Typedef,
            9 => Kind::Volatile,
            10 => Kind::Const,
            11 => Kind::Restrict,
            12 => Kind::Func,
            13 => Kind::FuncProto,
            14 => Kind::Var,
            15 => Kind::Datasec,
            16 => Kind::Float,
            17 => Kind::DeclTag,
            18 => Kind::TypeTag,
            19 => Kind::Enum64,
            _ => return None,
        })
    }

    /// Kinds that only decorate another type and are skipped when looking
    /// for the type's layout.
    fn is_qualifier(self) -> bool {
        matches!(
            self,
            Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag
        )
    }
}

/// One type record, decoded. `st` is the record's size-or-type word; `a`,
/// `b`, `c` hold the kind-specific trailer (see [`Btf::rec`]); for kinds
/// with a member list, `a` is the list's position in the type section.
#[derive(Clone, Copy, Debug)]
struct Rec {
    name: u32,
    kind: Kind,
    kflag: bool,
    vlen: u16,
    st: u32,
    a: u32,
    b: u32,
    c: u32,
}

const VOID: Rec = Rec {
    name: 0,
    kind: Kind::Void,
    kflag: false,
    vlen: 0,
    st: 0,
    a: 0,
    b: 0,
    c: 0,
};

/// One entry of a variable-length trailer: struct member (name, type,
/// offset), enum value (name, low, high), parameter (name, type, 0) or
/// datasec entry (size, type, offset).
#[derive(Clone, Copy, Debug)]
struct Item {
    name: u32,
    x: u32,
    y: u32,
}

/// Bytes per member-list entry of a kind (0: the kind has no list).
fn item_stride(kind: Kind) -> usize {
    match kind {
        Kind::Enum | Kind::FuncProto => 8,
        Kind::Struct | Kind::Union | Kind::Enum64 | Kind::Datasec => 12,
        _ => 0,
    }
}

/// Bytes of fixed trailer after the 12-byte header.
fn fixed_trailer(kind: Kind) -> usize {
    match kind {
        Kind::Int | Kind::Var | Kind::DeclTag => 4,
        Kind::Array => 12,
        _ => 0,
    }
}

/// Kinds that describe data layouts (indexed apart from functions,
/// variables and tags).
fn is_layout_kind(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Struct
            | Kind::Union
            | Kind::Enum
            | Kind::Enum64
            | Kind::Fwd
            | Kind::Typedef
            | Kind::Int
            | Kind::Float
    )
}

/// Ids of integer types remembered while parsing, to guess the pointer
/// size without building the name index.
const MAX_INTS: usize = 1024;

/// A parsed BTF blob.
pub struct Btf {
    big_endian: bool,
    /// The blob; the sections are ranges of it.
    blob: Vec<u8>,
    types: std::ops::Range<usize>,
    strings: std::ops::Range<usize>,
    /// Position of each type's record in the type section, by id; entry 0
    /// (`void`) has no record.
    offsets: Vec<u32>,
    /// Ids of the named types of layout kinds, ascending.
    layout_ids: Vec<u32>,
    pointer_size: u64,
    hasher: hashbrown::DefaultHashBuilder,
    /// Named types by name, built on first lookup: layout kinds, the rest.
    index: [OnceLock<HashTable<u32>>; 2],
}

/// A struct or union with its direct members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructView<'a> {
    pub id: u32,
    /// Empty for anonymous aggregates.
    pub name: &'a str,
    pub is_union: bool,
    pub size: u64,
    pub members: Vec<MemberView<'a>>,
}

/// One member. Offsets are relative to the start of the struct that was
/// asked about (for nested lookups, the outermost one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberView<'a> {
    /// Empty for anonymous struct/union members.
    pub name: &'a str,
    pub type_id: u32,
    /// C spelling of the type with qualifiers dropped and typedef names
    /// kept: `struct list_head`, `pid_t`, `char [16]`, `struct mm_struct *`.
    pub type_name: String,
    /// Byte offset (`bit_offset / 8`).
    pub offset: u64,
    pub bit_offset: u64,
    /// Width in bits for bitfields, 0 otherwise.
    pub bitfield_size: u32,
}

/// An integer or floating-point base type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseType<'a> {
    pub name: &'a str,
    pub size: u64,
    pub signed: bool,
    pub kind: BaseKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaseKind {
    Int,
    Char,
    Bool,
    Float,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumView<'a> {
    pub id: u32,
    pub name: &'a str,
    pub size: u64,
    pub signed: bool,
    pub values: Vec<(&'a str, i128)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrayInfo {
    pub elem: u32,
    pub index: u32,
    pub count: u32,
}

/// A member type as a symbol-table format (ISF) describes it: typedefs and
/// qualifiers resolved, aggregates referenced by name (anonymous ones by id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeRef {
    Void,
    Base { name: String },
    Pointer(Box<TypeRef>),
    Array { count: u64, subtype: Box<TypeRef> },
    Struct { id: u32, name: Option<String> },
    Union { id: u32, name: Option<String> },
    Enum { id: u32, name: Option<String> },
    Function,
}

fn bad(what: &'static str) -> Error {
    Error::Malformed(what)
}

/// Bounds-checked reads in the blob's byte order.
struct Reader<'a> {
    bytes: &'a [u8],
    big: bool,
}

impl Reader<'_> {
    fn u32(&self, off: usize) -> Result<u32> {
        let b: [u8; 4] = off
            .checked_add(4)
            .and_then(|end| self.bytes.get(off..end))
            .and_then(|s| s.try_into().ok())
            .ok_or(bad("btf: truncated"))?;
        Ok(if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }
}

/// Locates `[off, off + len)` behind the header.
fn section(bytes: &[u8], hdr_len: usize, off: u32, len: u32) -> Result<std::ops::Range<usize>> {
    let start = hdr_len
        .checked_add(off as usize)
        .ok_or(bad("btf: section offset"))?;
    let end = start
        .checked_add(len as usize)
        .ok_or(bad("btf: section length"))?;
    if end > bytes.len() {
        return Err(bad("btf: section outside blob"));
    }
    Ok(start..end)
}

/// Decodes the record at `off` of the type section; returns it and the
/// position of the next record.
fn decode(r: &Reader<'_>, off: usize) -> Result<(Rec, usize)> {
    let name = r.u32(off)?;
    let info = r.u32(off + 4)?;
    let st = r.u32(off + 8)?;
    let kind = Kind::from_raw((info >> 24) & 0x1f).ok_or(bad("btf: unknown type kind"))?;
    let vlen = (info & 0xffff) as u16;
    let mut rec = Rec {
        name,
        kind,
        kflag: info >> 31 != 0,
        vlen,
        st,
        a: 0,
        b: 0,
        c: 0,
    };
    let body = off + 12;
    match kind {
        Kind::Int | Kind::Var | Kind::DeclTag => rec.a = r.u32(body)?,
        Kind::Array => {
            rec.a = r.u32(body)?;
            rec.b = r.u32(body + 4)?;
            rec.c = r.u32(body + 8)?;
        }
        _ => {}
    }
    let list = body + fixed_trailer(kind);
    let stride = item_stride(kind);
    if stride != 0 {
        rec.a = u32::try_from(list).map_err(|_| bad("btf: type section too large"))?;
    }
    let end = (vlen as usize)
        .checked_mul(stride)
        .and_then(|n| list.checked_add(n))
        .filter(|&e| e <= r.bytes.len())
        .ok_or(bad("btf: member list runs past type section"))?;
    Ok((rec, end))
}

/// Entries of a member list, decoded from the type section.
struct Items<'a> {
    r: Reader<'a>,
    kind: Kind,
    at: usize,
    stride: usize,
    left: usize,
}

impl Iterator for Items<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let p = self.at;
        self.at += self.stride;
        let r = &self.r;
        // Parsing checked that every list lies inside the section.
        let item = match self.kind {
            Kind::Enum | Kind::FuncProto => Item {
                name: r.u32(p).ok()?,
                x: r.u32(p + 4).ok()?,
                y: 0,
            },
            // DATASEC: type, offset, size -> (size, type, offset)
            Kind::Datasec => Item {
                name: r.u32(p + 8).ok()?,
                x: r.u32(p).ok()?,
                y: r.u32(p + 4).ok()?,
            },
            _ => Item {
                name: r.u32(p).ok()?,
                x: r.u32(p + 4).ok()?,
                y: r.u32(p + 8).ok()?,
            },
        };
        Some(item)
    }
}

/// What one pass over the type section finds.
struct Scan {
    /// Where each record starts, by id.
    offsets: Vec<u32>,
    /// Named types of layout kinds.
    layout_ids: Vec<u32>,
    /// Integer types (`None` if there were too many to keep).
    ints: Option<Vec<u32>>,
}

/// One pass over the type section: record positions and ids by class,
/// with every name offset and type id checked (ids against the final
/// count).
fn scan_types(r: &Reader<'_>, strings: &[u8]) -> Result<Scan> {
    let len = r.bytes.len();
    // Names must start a string: inside the section, not mid-character
    // (the section is valid UTF-8, so a non-continuation byte starts one).
    let name_ok = |off: u32| strings.get(off as usize).is_some_and(|&b| b & 0xc0 != 0x80);
    // Each record takes at least 12 bytes.
    let mut offsets: Vec<u32> = Vec::with_capacity(len / 16 + 1);
    offsets.push(0);
    let mut ints = Some(Vec::new());
    let mut layout_ids = Vec::new();
    // Highest type id referred to; checked once the count is known.
    let mut max_ref = 0u32;
    let mut off = 0usize;
    while off < len {
        if offsets.len() >= u32::MAX as usize {
            return Err(bad("btf: too many types"));
        }
        let (t, next) = decode(r, off)?;
        if !name_ok(t.name) {
            return Err(bad("btf: name offset outside string section"));
        }
        let id = offsets.len() as u32;
        offsets.push(u32::try_from(off).map_err(|_| bad("btf: type section too large"))?);
        if t.name != 0 && is_layout_kind(t.kind) {
            layout_ids.push(id);
        }
        let items = Items {
            r: Reader {
                bytes: r.bytes,
                big: r.big,
            },
            kind: t.kind,
            at: t.a as usize,
            stride: item_stride(t.kind),
            left: if item_stride(t.kind) == 0 {
                0
            } else {
                t.vlen as usize
            },
        };
        match t.kind {
            Kind::Ptr
            | Kind::Typedef
            | Kind::Volatile
            | Kind::Const
            | Kind::Restrict
            | Kind::Func
            | Kind::Var
            | Kind::DeclTag
            | Kind::TypeTag => max_ref = max_ref.max(t.st),
            Kind::Array => max_ref = max_ref.max(t.a).max(t.b),
            Kind::Int => {
                if t.a & 0xff > 128 {
                    return Err(bad("btf: integer wider than 128 bits"));
                }
                if let Some(v) = &mut ints {
                    if v.len() < MAX_INTS {
                        v.push(id);
                    } else {
                        ints = None;
                    }
                }
            }
            Kind::Struct | Kind::Union | Kind::FuncProto => {
                if t.kind == Kind::FuncProto {
                    max_ref = max_ref.max(t.st);
                }
                for m in items {
                    if !name_ok(m.name) {
                        return Err(bad("btf: bad member"));
                    }
                    max_ref = max_ref.max(m.x);
                }
            }
            Kind::Enum | Kind::Enum64 => {
                if items.into_iter().any(|m| !name_ok(m.name)) {
                    return Err(bad("btf: bad enumerator name"));
                }
            }
            Kind::Datasec => {
                for m in items {
                    max_ref = max_ref.max(m.x);
                }
            }
            Kind::Void | Kind::Fwd | Kind::Float => {}
        }
        off = next;
    }
    if max_ref as usize >= offsets.len() {
        return Err(bad("btf: type id out of range"));
    }
    Ok(Scan {
        offsets,
        layout_ids,
        ints,
    })
}

impl Btf {
    /// Parses and validates a BTF blob (either byte order).
    pub fn parse(bytes: &[u8]) -> Result<Btf> {
        Self::parse_owned(bytes.to_vec())
    }

    /// [`parse`](Self::parse) keeping `blob` itself (no copy).
    pub fn parse_owned(blob: Vec<u8>) -> Result<Btf> {
        let bytes = &blob[..];
        let magic = bytes.get(..2).ok_or(bad("btf: truncated header"))?;
        let big = match u16::from_le_bytes([magic[0], magic[1]]) {
            MAGIC => false,
            m if m.swap_bytes() == MAGIC => true,
            _ => return Err(bad("btf: bad magic")),
        };
        if bytes.len() < HEADER_LEN {
            return Err(bad("btf: truncated header"));
        }
        if bytes[2] != 1 {
            return Err(Error::Unsupported("btf version other than 1"));
        }
        let r = Reader { bytes, big };
        let hdr_len = r.u32(4)? as usize;
        if hdr_len < HEADER_LEN || hdr_len > bytes.len() {
            return Err(bad("btf: bad header length"));
        }
        let types = section(bytes, hdr_len, r.u32(8)?, r.u32(12)?)?;
        let strings = section(bytes, hdr_len, r.u32(16)?, r.u32(20)?)?;
        {
            let str_sec = &bytes[strings.clone()];
            if str_sec.first() != Some(&0) || str_sec.last() != Some(&0) {
                return Err(bad("btf: string section not NUL-delimited"));
            }
            std::str::from_utf8(str_sec).map_err(|_| bad("btf: strings not UTF-8"))?;
        }
        let Scan {
            offsets,
            layout_ids,
            ints,
        } = scan_types(
            &Reader {
                bytes: &bytes[types.clone()],
                big,
            },
            &bytes[strings.clone()],
        )?;
        let mut btf = Btf {
            big_endian: big,
            blob,
            types,
            strings,
            offsets,
            layout_ids,
            pointer_size: 8,
            hasher: Default::default(),
            index: [OnceLock::new(), OnceLock::new()],
        };
        btf.pointer_size = btf.guess_pointer_size(ints.as_deref());
        Ok(btf)
    }

    fn type_reader(&self) -> Reader<'_> {
        Reader {
            bytes: self.blob.get(self.types.clone()).unwrap_or(&[]),
            big: self.big_endian,
        }
    }

    fn items_of(&self, t: Rec) -> Items<'_> {
        let stride = item_stride(t.kind);
        Items {
            r: self.type_reader(),
            kind: t.kind,
            at: t.a as usize,
            stride,
            left: if stride == 0 { 0 } else { t.vlen as usize },
        }
    }

    /// Pointer width: BTF does not record it, so take it from `long`.
    /// `ints` lists the integer types in id order, when parsing kept them.
    fn guess_pointer_size(&self, ints: Option<&[u32]>) -> u64 {
        for name in ["long unsigned int", "long int", "unsigned long", "long"] {
            let id = match ints {
                Some(ids) => ids.iter().copied().find(|&id| self.name(id) == Ok(name)),
                None => self.find(name, &[Kind::Int]),
            };
            if let Some(t) = id.and_then(|id| self.rec(id).ok()) {
                if t.st == 4 || t.st == 8 {
                    return t.st as u64;
                }
            }
        }
        8
    }

    /// Decodes the record of type `id`.
    fn rec(&self, id: u32) -> Result<Rec> {
        if id == 0 {
            return Ok(VOID);
        }
        let off = *self
            .offsets
            .get(id as usize)
            .ok_or(bad("btf: type id out of range"))? as usize;
        decode(&self.type_reader(), off).map(|(rec, _)| rec)
    }

    fn str_at(&self, off: u32) -> &str {
        let Some(s) = self
            .blob
            .get(self.strings.clone())
            .and_then(|s| s.get(off as usize..))
        else {
            return "";
        };
        let end = memchr::memchr(0, s).unwrap_or(s.len());
        std::str::from_utf8(&s[..end]).unwrap_or("")
    }

    pub fn is_big_endian(&self) -> bool {
        self.big_endian
    }

    /// Number of type ids, counting `void` (id 0); valid ids are `0..count`.
    pub fn type_count(&self) -> u32 {
        self.offsets.len() as u32
    }

    /// Size of a pointer in the guest (from the blob's `long`; 8 if absent).
    pub fn pointer_size(&self) -> u64 {
        self.pointer_size
    }

    pub fn set_pointer_size(&mut self, size: u64) {
        self.pointer_size = size;
    }

    pub fn kind(&self, id: u32) -> Result<Kind> {
        Ok(self.rec(id)?.kind)
    }

    /// The type's own name; empty for anonymous types and pointers.
    pub fn name(&self, id: u32) -> Result<&str> {
        Ok(self.str_at(self.rec(id)?.name))
    }

    /// Name and kind of type `id` (the record's first two words).
    fn name_kind(&self, id: u32) -> Option<(u32, Kind)> {
        let r = self.type_reader();
        let off = *self.offsets.get(id as usize)? as usize;
        let info = r.u32(off + 4).ok()?;
        Some((r.u32(off).ok()?, Kind::from_raw((info >> 24) & 0x1f)?))
    }

    /// The name index of layout kinds (`layout`) or of the others.
    fn index(&self, layout: bool) -> &HashTable<u32> {
        self.index[usize::from(!layout)].get_or_init(|| {
            let all = 1..self.offsets.len() as u32;
            let ids: &mut dyn Iterator<Item = u32> = if layout {
                &mut self.layout_ids.iter().copied()
            } else {
                &mut all.into_iter()
            };
            let mut table =
                HashTable::with_capacity(if layout { self.layout_ids.len() } else { 0 });
            for id in ids {
                let Some((name, kind)) = self.name_kind(id) else {
                    continue;
                };
                if name != 0 && is_layout_kind(kind) == layout {
                    let h = self.hasher.hash_one(self.str_at(name));
                    table.insert_unique(h, id, |&i| {
                        self.hasher
                            .hash_one(self.name_kind(i).map_or("", |(n, _)| self.str_at(n)))
                    });
                }
            }
            table
        })
    }

    /// First (lowest) type id called `name` whose kind is one of `kinds`.
    pub fn find(&self, name: &str, kinds: &[Kind]) -> Option<u32> {
        if name.is_empty() {
            return None;
        }
        let h = self.hasher.hash_one(name);
        [true, false]
            .into_iter()
            .filter(|&layout| kinds.iter().any(|&k| is_layout_kind(k) == layout))
            .filter_map(|layout| {
                self.index(layout)
                    .iter_hash(h)
                    .copied()
                    .filter(|&id| {
                        self.name_kind(id)
                            .is_some_and(|(n, k)| kinds.contains(&k) && self.str_at(n) == name)
                    })
                    .min()
            })
            .min()
    }

    /// A complete struct or union by name (forward declarations skipped).
    /// Structs win over unions of the same name.
    pub fn struct_by_name(&self, name: &str) -> Option<StructView<'_>> {
        let id = self
            .find(name, &[Kind::Struct])
            .or_else(|| self.find(name, &[Kind::Union]))?;
        self.struct_by_id(id).ok()
    }

    pub fn struct_by_id(&self, id: u32) -> Result<StructView<'_>> {
        let t = self.rec(id)?;
        if !matches!(t.kind, Kind::Struct | Kind::Union) {
            return Err(Error::InvalidArgument("btf: type is not a struct or union"));
        }
        let mut members = Vec::with_capacity(t.vlen as usize);
        for m in self.items_of(t) {
            let (bit_offset, bitfield_size) = self.member_bits(t, m);
            members.push(MemberView {
                name: self.str_at(m.name),
                type_id: m.x,
                type_name: self.type_name(m.x).unwrap_or_else(|_| String::from("?")),
                offset: bit_offset / 8,
                bit_offset,
                bitfield_size,
            });
        }
        Ok(StructView {
            id,
            name: self.str_at(t.name),
            is_union: t.kind == Kind::Union,
            size: t.st as u64,
            members,
        })
    }

    /// Bit offset and bitfield width of a member. With the kind flag the
    /// width is in the offset word; without it, old encoders put bitfields
    /// into a dedicated INT type carrying its own bit offset and width.
    fn member_bits(&self, parent: Rec, m: Item) -> (u64, u32) {
        if parent.kflag {
            return ((m.y & 0x00ff_ffff) as u64, m.y >> 24);
        }
        if let Ok(t) = self.strip_qualifiers(m.x).and_then(|id| self.rec(id)) {
            if t.kind == Kind::Int {
                let bits = t.a & 0xff;
                let shift = (t.a >> 16) & 0xff;
                if shift != 0 || (bits != 0 && (bits as u64) != (t.st as u64).saturating_mul(8)) {
                    return (m.y as u64 + shift as u64, bits);
                }
            }
        }
        (m.y as u64, 0)
    }

    /// A member's position as DWARF and symbol-table formats give it: byte
    /// offset of the storage unit holding it (for bitfields, the unit of the
    /// member's declared type) and the bit position inside that unit.
    pub fn bitfield_storage(&self, m: &MemberView<'_>) -> Result<(u64, u32)> {
        if m.bitfield_size == 0 {
            return Ok((m.offset, 0));
        }
        let unit = self.type_size(m.type_id)?.clamp(1, 16);
        let unit_offset = m.bit_offset / (unit * 8) * unit;
        Ok((unit_offset, (m.bit_offset - unit_offset * 8) as u32))
    }

    /// Byte offset of `member` in struct/union `structure`. Members of
    /// anonymous structs/unions are found as C finds them, and a dotted
    /// path (`nest.deep_list`) walks into named sub-structures.
    pub fn member_offset(&self, structure: &str, member: &str) -> Option<u64> {
        self.member(structure, member).map(|m| m.offset)
    }

    /// Like `member_offset`, with the member's type and bitfield details.
    pub fn member(&self, structure: &str, member: &str) -> Option<MemberView<'_>> {
        let id = self
            .find(structure, &[Kind::Struct])
            .or_else(|| self.find(structure, &[Kind::Union]))?;
        self.member_in(id, member).ok().flatten()
    }

    /// `member` (possibly dotted) inside aggregate type `id`.
    pub fn member_in(&self, id: u32, member: &str) -> Result<Option<MemberView<'_>>> {
        let mut current = id;
        let mut base = 0u64;
        let mut found = None;
        for (i, part) in member.split('.').enumerate() {
            if i > 0 {
                let prev: &MemberView = match &found {
                    Some(m) => m,
                    None => return Ok(None),
                };
                current = self.resolve(prev.type_id)?;
                base = prev.bit_offset;
            }
            let t = self.rec(current)?;
            if !matches!(t.kind, Kind::Struct | Kind::Union) || part.is_empty() {
                return Ok(None);
            }
            let mut budget = MEMBER_BUDGET;
            match self.search_member(t, part, 0, &mut budget)? {
                Some((bits, width, m)) => {
                    let bit_offset = base + bits;
                    found = Some(MemberView {
                        name: self.str_at(m.name),
                        type_id: m.x,
                        type_name: self.type_name(m.x).unwrap_or_else(|_| String::from("?")),
                        offset: bit_offset / 8,
                        bit_offset,
                        bitfield_size: width,
                    });
                }
                None => return Ok(None),
            }
        }
        Ok(found)
    }

    /// Finds `name` among the direct members of `t` or, recursively, of its
    /// anonymous struct/union members; returns (bit offset, width, member).
    fn search_member(
        &self,
        t: Rec,
        name: &str,
        depth: usize,
        budget: &mut u32,
    ) -> Result<Option<(u64, u32, Item)>> {
        if depth > MAX_NEST {
            return Err(bad("btf: anonymous members nested too deeply"));
        }
        for m in self.items_of(t) {
            // Anonymous members may fan out (or repeat one type); bound the
            // total work, not just the depth.
            *budget = budget
                .checked_sub(1)
                .ok_or(bad("btf: member search too large"))?;
            let (bits, width) = self.member_bits(t, m);
            if m.name != 0 {
                if self.str_at(m.name) == name {
                    return Ok(Some((bits, width, m)));
                }
                continue;
            }
            let inner = self.rec(self.resolve(m.x)?)?;
            if matches!(inner.kind, Kind::Struct | Kind::Union) {
                if let Some((b, w, found)) = self.search_member(inner, name, depth + 1, budget)? {
                    return Ok(Some((bits + b, w, found)));
                }
            }
        }
        Ok(None)
    }

    /// Follows const/volatile/restrict/type-tag decorations.
    pub fn strip_qualifiers(&self, mut id: u32) -> Result<u32> {
        for _ in 0..MAX_CHAIN {
            let t = self.rec(id)?;
            if !t.kind.is_qualifier() {
                return Ok(id);
            }
            id = t.st;
        }
        Err(bad("btf: qualifier chain too long or cyclic"))
    }

    /// Follows typedefs and qualifiers to the type that defines the layout.
    pub fn resolve(&self, mut id: u32) -> Result<u32> {
        for _ in 0..MAX_CHAIN {
            let t = self.rec(id)?;
            if t.kind != Kind::Typedef && !t.kind.is_qualifier() {
                return Ok(id);
            }
            id = t.st;
        }
        Err(bad("btf: typedef chain too long or cyclic"))
    }

    /// The type a pointer, typedef, qualifier, variable, function or tag
    /// refers to (for arrays, the element type).
    pub fn target(&self, id: u32) -> Result<u32> {
        let t = self.rec(id)?;
        match t.kind {
            Kind::Array => Ok(t.a),
            Kind::Ptr
            | Kind::Typedef
            | Kind::Volatile
            | Kind::Const
            | Kind::Restrict
            | Kind::Func
            | Kind::Var
            | Kind::DeclTag
            | Kind::TypeTag
            | Kind::FuncProto => Ok(t.st),
            _ => Err(Error::InvalidArgument("btf: type refers to nothing")),
        }
    }

    pub fn array(&self, id: u32) -> Result<ArrayInfo> {
        let t = self.rec(id)?;
        if t.kind != Kind::Array {
            return Err(Error::InvalidArgument("btf: type is not an array"));
        }
        Ok(ArrayInfo {
            elem: t.a,
            index: t.b,
            count: t.c,
        })
    }

    /// Size in bytes of an object of type `id`.
    pub fn type_size(&self, mut id: u32) -> Result<u64> {
        let mut factor = 1u64;
        for _ in 0..MAX_CHAIN {
            let t = self.rec(id)?;
            let size = match t.kind {
                Kind::Int
                | Kind::Float
                | Kind::Struct
                | Kind::Union
                | Kind::Enum
                | Kind::Enum64
                | Kind::Datasec => t.st as u64,
                Kind::Ptr => self.pointer_size,
                Kind::Typedef
                | Kind::Volatile
                | Kind::Const
                | Kind::Restrict
                | Kind::TypeTag
                | Kind::Var => {
                    id = t.st;
                    continue;
                }
                Kind::Array => {
                    factor = factor
                        .checked_mul(t.c as u64)
                        .ok_or(bad("btf: array size overflows"))?;
                    id = t.a;
                    continue;
                }
                Kind::Void | Kind::Fwd | Kind::Func | Kind::FuncProto | Kind::DeclTag => {
                    return Err(Error::InvalidArgument("btf: type has no size"))
                }
            };
            return size
                .checked_mul(factor)
                .ok_or(bad("btf: array size overflows"));
        }
        Err(bad("btf: type chain too long or cyclic"))
    }

    /// Describes an INT or FLOAT type.
    pub fn base_type(&self, id: u32) -> Result<BaseType<'_>> {
        let t = self.rec(id)?;
        let (signed, kind) = match t.kind {
            Kind::Int => {
                let enc = (t.a >> 24) & 0xf;
                // pahole never sets the CHAR bit, so also go by the name.
                let charlike = t.st == 1 && self.str_at(t.name).ends_with("char");
                let kind = if enc & 4 != 0 {
                    BaseKind::Bool
                } else if enc & 2 != 0 || charlike {
                    BaseKind::Char
                } else {
                    BaseKind::Int
                };
                (enc & 1 != 0, kind)
            }
            Kind::Float => (true, BaseKind::Float),
            _ => return Err(Error::InvalidArgument("btf: type is not a base type")),
        };
        Ok(BaseType {
            name: self.str_at(t.name),
            size: t.st as u64,
            signed,
            kind,
        })
    }

    pub fn enum_by_id(&self, id: u32) -> Result<EnumView<'_>> {
        let t = self.rec(id)?;
        let wide = match t.kind {
            Kind::Enum => false,
            Kind::Enum64 => true,
            _ => return Err(Error::InvalidArgument("btf: type is not an enum")),
        };
        let signed = t.kflag;
        let values = self
            .items_of(t)
            .map(|v| {
                let value = match (wide, signed) {
                    (false, true) => v.x as i32 as i128,
                    (false, false) => v.x as i128,
                    (true, true) => ((v.y as u64) << 32 | v.x as u64) as i64 as i128,
                    (true, false) => ((v.y as u64) << 32 | v.x as u64) as i128,
                };
                (self.str_at(v.name), value)
            })
            .collect();
        Ok(EnumView {
            id,
            name: self.str_at(t.name),
            size: t.st as u64,
            signed,
            values,
        })
    }

    /// Parameter (name, type id) list and return type of a FUNC_PROTO.
    pub fn func_proto(&self, id: u32) -> Result<(u32, Vec<(&str, u32)>)> {
        let t = self.rec(id)?;
        if t.kind != Kind::FuncProto {
            return Err(Error::InvalidArgument(
                "btf: type is not a function prototype",
            ));
        }
        Ok((
            t.st,
            self.items_of(t)
                .map(|p| (self.str_at(p.name), p.x))
                .collect(),
        ))
    }

    /// All ids of one kind, in id order.
    pub fn ids_of_kind(&self, kind: Kind) -> impl Iterator<Item = u32> + '_ {
        (1..self.offsets.len() as u32)
            .filter(move |&id| self.name_kind(id).is_some_and(|(_, k)| k == kind))
    }

    /// Every named struct, union, enum, typedef, integer and float, as
    /// (id, kind, name) in id order; what a symbol-table export needs.
    pub fn named_types(&self) -> impl Iterator<Item = (u32, Kind, &str)> + '_ {
        (1..self.offsets.len() as u32).filter_map(|id| {
            let (name, kind) = self.name_kind(id)?;
            let wanted = matches!(
                kind,
                Kind::Struct
                    | Kind::Union
                    | Kind::Enum
                    | Kind::Enum64
                    | Kind::Typedef
                    | Kind::Int
                    | Kind::Float
            );
            (wanted && name != 0).then(|| (id, kind, self.str_at(name)))
        })
    }

    /// C spelling of a type: qualifiers dropped, typedef names kept,
    /// `struct x`, `char [16]`, `int [2][3]`, `struct mm_struct *`,
    /// `void (*)(struct task_struct *, int)`.
    pub fn type_name(&self, id: u32) -> Result<String> {
        let mut budget = NAME_BUDGET;
        self.spell(id, &mut budget)
    }

    fn spell(&self, id: u32, budget: &mut u32) -> Result<String> {
        let mut id = id;
        let mut ptrs = 0usize;
        let mut dims = String::new();
        loop {
            *budget = budget
                .checked_sub(1)
                .ok_or(bad("btf: type too complex to name"))?;
            let t = self.rec(id)?;
            match t.kind {
                Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag => id = t.st,
                Kind::Ptr => {
                    ptrs += 1;
                    id = t.st;
                }
                Kind::Array => {
                    if ptrs > 0 {
                        // Pointer to array: `int (*)[3]`.
                        dims = format!("({}{dims})", "*".repeat(ptrs));
                        ptrs = 0;
                    }
                    dims.push_str(&format!("[{}]", t.c));
                    id = t.a;
                }
                Kind::FuncProto => {
                    let ret = self.spell(t.st, budget)?;
                    let mut params = Vec::new();
                    for p in self.items_of(t) {
                        if p.x == 0 {
                            params.push(String::from("..."));
                        } else {
                            params.push(self.spell(p.x, budget)?);
                        }
                    }
                    let stars = "*".repeat(ptrs);
                    let inner = if stars.is_empty() && dims.is_empty() {
                        String::new()
                    } else {
                        format!("({stars}{dims})")
                    };
                    let args = if params.is_empty() {
                        String::from("void")
                    } else {
                        params.join(", ")
                    };
                    return Ok(format!("{ret} {inner}({args})"));
                }
                _ => {
                    let mut out = self.base_spelling(t);
                    if ptrs > 0 {
                        out.push(' ');
                        out.push_str(&"*".repeat(ptrs));
                    }
                    if !dims.is_empty() {
                        out.push(' ');
                        out.push_str(&dims);
                    }
                    return Ok(out);
                }
            }
        }
    }

    fn base_spelling(&self, t: Rec) -> String {
        let name = self.str_at(t.name);
        let tagged = |tag: &str| {
            if name.is_empty() {
                format!("{tag} <anonymous>")
            } else {
                format!("{tag} {name}")
            }
        };
        match t.kind {
            Kind::Void => String::from("void"),
            Kind::Struct => tagged("struct"),
            Kind::Union => tagged("union"),
            Kind::Enum | Kind::Enum64 => tagged("enum"),
            Kind::Fwd => tagged(if t.kflag { "union" } else { "struct" }),
            _ => name.to_owned(),
        }
    }

    /// The type as a symbol-table export describes a member's type.
    pub fn type_ref(&self, id: u32) -> Result<TypeRef> {
        let mut id = id;
        // Wrappers (pointer / array) collected outside-in, applied inside-out.
        let mut wrappers: Vec<Option<u64>> = Vec::new();
        for _ in 0..MAX_CHAIN {
            let t = self.rec(id)?;
            let leaf = match t.kind {
                Kind::Typedef | Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag => {
                    id = t.st;
                    continue;
                }
                Kind::Ptr => {
                    wrappers.push(None);
                    id = t.st;
                    continue;
                }
                Kind::Array => {
                    wrappers.push(Some(t.c as u64));
                    id = t.a;
                    continue;
                }
                Kind::Void => TypeRef::Void,
                Kind::Int | Kind::Float => TypeRef::Base {
                    name: self.str_at(t.name).to_owned(),
                },
                Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64 | Kind::Fwd => {
                    let name = Some(self.str_at(t.name))
                        .filter(|n| !n.is_empty())
                        .map(str::to_owned);
                    match t.kind {
                        Kind::Union => TypeRef::Union { id, name },
                        Kind::Fwd if t.kflag => TypeRef::Union { id, name },
                        Kind::Enum | Kind::Enum64 => TypeRef::Enum { id, name },
                        _ => TypeRef::Struct { id, name },
                    }
                }
                Kind::FuncProto | Kind::Func => TypeRef::Function,
                Kind::Var | Kind::Datasec | Kind::DeclTag => {
                    return Err(Error::InvalidArgument("btf: not a data type"))
                }
            };
            let mut out = leaf;
            for w in wrappers.into_iter().rev() {
                out = match w {
                    None => TypeRef::Pointer(Box::new(out)),
                    Some(count) => TypeRef::Array {
                        count,
                        subtype: Box::new(out),
                    },
                };
            }
            return Ok(out);
        }
        Err(bad("btf: type chain too long or cyclic"))
    }
}

impl std::fmt::Debug for Btf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Btf")
            .field("types", &self.offsets.len())
            .field("big_endian", &self.big_endian)
            .field("pointer_size", &self.pointer_size)
            .finish()
    }
}

/// Finds a BTF blob in raw memory: a header with sane section lengths at a
/// 4-byte aligned position. Returns (offset, length) of the first blob that
/// parses. Used for guests without a profile, where the kernel's own
/// `__start_BTF` is not known yet.
pub fn scan_for_btf(mem: &[u8]) -> Option<(usize, usize)> {
    // Magic 0xeb9f, version 1, flags 0 as one little-endian word.
    const MAGIC_WORD: u32 = 0x0001_eb9f;
    let word = |c: &[u8]| u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    // Test 64 bytes at a time without branching so the loop vectorises;
    // only blocks holding the magic are looked at word by word.
    for (b, block) in mem.chunks(64).enumerate() {
        if !block
            .chunks_exact(4)
            .fold(false, |acc, c| acc | (word(c) == MAGIC_WORD))
        {
            continue;
        }
        for (i, c) in block.chunks_exact(4).enumerate() {
            if word(c) != MAGIC_WORD {
                continue;
            }
            let off = b * 64 + i * 4;
            let Some(len) = mem.get(off..).and_then(blob_len) else {
                continue;
            };
            if len < HEADER_LEN + 64 {
                continue;
            }
            if let Some(blob) = mem.get(off..off.saturating_add(len)) {
                if Btf::parse(blob).is_ok() {
                    return Some((off, len));
                }
            }
        }
    }
    None
}

/// Total length a little-endian BTF header claims (header + both sections).
pub fn blob_len(bytes: &[u8]) -> Option<usize> {
    let r = Reader { bytes, big: false };
    if r.u32(0).ok()? & 0xffff != MAGIC as u32 {
        return None;
    }
    let hdr = r.u32(4).ok()? as usize;
    if !(HEADER_LEN..=256).contains(&hdr) {
        return None;
    }
    let t_end = (r.u32(8).ok()? as usize).checked_add(r.u32(12).ok()? as usize)?;
    let s_end = (r.u32(16).ok()? as usize).checked_add(r.u32(20).ok()? as usize)?;
    hdr.checked_add(t_end.max(s_end))
}

#[cfg(test)]
#[path = "btf/tests.rs"]
mod tests;
