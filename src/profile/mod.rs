//! Symbol and structure profiles.
//!
//! A [`Profile`] answers "where is symbol X", "which symbol is at or before
//! address A", "how big is struct S" and "where in S is member M". It is
//! filled from a Linux System.map ([`from_system_map`]), a Volatility 3 ISF
//! JSON file ([`from_isf`]), a Rekall JSON profile ([`from_rekall`]), or by
//! code through the `add_*` methods. JSON files may be xz or gzip compressed;
//! [`load_json_profile`] finds out which by content.

mod decompress;
pub(crate) mod index;
mod isf;
mod json;
mod rekall;
mod sysmap;
mod types;

#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use index::NameIndex;

pub mod btf;
pub mod isf_export;

pub use decompress::{decompress, MAX_DECOMPRESSED};
pub use json::{from_isf, from_json, from_rekall, load_json_profile, JsonKind};
pub use sysmap::{from_system_map, from_system_map_path};
pub use types::{
    AggregateKind, BaseType, EnumDef, Field, OsKind, ProfileSource, StructDef, Symbol, TypeDesc,
};

/// How deep member lookups descend into nested anonymous (or, when lenient,
/// named) aggregates, and how many aggregates one lookup may visit at most.
/// Real kernels nest a handful deep; hostile profiles must not make a lookup
/// exponential or endless.
const MAX_NEST_DEPTH: u32 = 8;
const MAX_NEST_VISITS: u32 = 4096;

/// Symbols and type layouts of one kernel (or other binary).
#[derive(Clone)]
pub struct Profile {
    source: ProfileSource,
    os: Option<OsKind>,
    symbols: Vec<Symbol>,
    symbol_index: NameIndex,
    /// (address, position in `symbols`) sorted by address, then position;
    /// built on the first address query after a change.
    by_address: OnceLock<Box<[(u64, u32)]>>,
    structs: Vec<StructDef>,
    struct_index: NameIndex,
    enums: Vec<EnumDef>,
    enum_index: NameIndex,
    base_types: Vec<BaseType>,
    base_index: NameIndex,
    metadata: Option<serde_json::Value>,
}

impl core::fmt::Debug for Profile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Profile")
            .field("source", &self.source)
            .field("os", &self.os)
            .field("symbols", &self.symbols.len())
            .field("structs", &self.structs.len())
            .field("enums", &self.enums.len())
            .field("base_types", &self.base_types.len())
            .finish()
    }
}

/// A member found by [`Profile::member`]: its offset from the start of the
/// outer struct (nested anonymous offsets added in) and its description.
#[derive(Clone, Copy, Debug)]
pub struct MemberRef<'a> {
    pub offset: i64,
    pub field: &'a Field,
}

impl Profile {
    pub fn new(source: ProfileSource) -> Profile {
        Profile {
            source,
            os: None,
            symbols: Vec::new(),
            symbol_index: NameIndex::default(),
            by_address: OnceLock::new(),
            structs: Vec::new(),
            struct_index: NameIndex::default(),
            enums: Vec::new(),
            enum_index: NameIndex::default(),
            base_types: Vec::new(),
            base_index: NameIndex::default(),
            metadata: None,
        }
    }

    pub fn source(&self) -> ProfileSource {
        self.source
    }

    /// The OS the profile says it describes (System.map implies Linux).
    pub fn os(&self) -> Option<OsKind> {
        self.os
    }

    pub fn set_os(&mut self, os: Option<OsKind>) {
        self.os = os;
    }

    /// The source's raw metadata object (ISF `metadata`, Rekall `$METADATA`).
    pub fn metadata(&self) -> Option<&serde_json::Value> {
        self.metadata.as_ref()
    }

    pub fn set_metadata(&mut self, metadata: Option<serde_json::Value>) {
        self.metadata = metadata;
    }

    // ---- symbols ----

    /// Adds a symbol unless one of that name exists already (the first one
    /// wins, as a top-down scan of a System.map finds it). Returns whether it
    /// was added.
    pub fn add_symbol(&mut self, name: &str, address: u64, kind: u8) -> bool {
        self.add_symbol_entry(Symbol {
            name: name.into(),
            address,
            kind,
            ty: None,
        })
    }

    /// [`add_symbol`](Self::add_symbol) with a full entry (type included).
    pub fn add_symbol_entry(&mut self, symbol: Symbol) -> bool {
        let Ok(pos) = u32::try_from(self.symbols.len()) else {
            return false;
        };
        let symbols = &self.symbols;
        if self
            .symbol_index
            .insert(&symbol.name, pos, |i| &symbols[i as usize].name)
            .is_err()
        {
            return false;
        }
        self.symbols.push(symbol);
        self.by_address = OnceLock::new();
        true
    }

    /// Makes room for `additional` more symbols (bulk loaders call this
    /// first to avoid repeated rehashing).
    pub fn reserve_symbols(&mut self, additional: usize) {
        self.symbols.reserve(additional);
        let symbols = &self.symbols;
        self.symbol_index
            .reserve(additional, |i| &symbols[i as usize].name);
    }

    /// The address of `name`: one hash lookup.
    pub fn symbol(&self, name: &str) -> Option<u64> {
        self.symbol_entry(name).map(|s| s.address)
    }

    pub fn symbol_entry(&self, name: &str) -> Option<&Symbol> {
        let i = self
            .symbol_index
            .find(name, |i| &self.symbols[i as usize].name)?;
        self.symbols.get(i as usize)
    }

    /// All symbols in the order they were added.
    pub fn symbols(&self) -> impl ExactSizeIterator<Item = &Symbol> + '_ {
        self.symbols.iter()
    }

    pub fn symbol_count(&self) -> usize {
        self.symbols.len()
    }

    fn by_address(&self) -> &[(u64, u32)] {
        self.by_address.get_or_init(|| {
            let mut v: Vec<(u64, u32)> = self
                .symbols
                .iter()
                .enumerate()
                .map(|(i, s)| (s.address, i as u32))
                .collect();
            v.sort_unstable();
            v.into_boxed_slice()
        })
    }

    /// The symbol at exactly `address`; of several, the one added first.
    pub fn symbol_at(&self, address: u64) -> Option<&str> {
        let pos = index::by_address::exact(self.by_address(), address)?;
        Some(&self.symbols[pos as usize].name)
    }

    /// The symbol with the highest address not above `address`, and that
    /// symbol's address; of several at that address, the one added first.
    /// Callers decide how far past a symbol they still call it a match.
    pub fn nearest_symbol(&self, address: u64) -> Option<(&str, u64)> {
        let (a, pos) = index::by_address::nearest(self.by_address(), address)?;
        Some((&self.symbols[pos as usize].name, a))
    }

    // ---- aggregates ----

    /// Adds a layout unless one of that name exists; returns whether it was added.
    pub fn add_struct(&mut self, def: StructDef) -> bool {
        let Ok(pos) = u32::try_from(self.structs.len()) else {
            return false;
        };
        let structs = &self.structs;
        if self
            .struct_index
            .insert(def.name(), pos, |i| structs[i as usize].name())
            .is_err()
        {
            return false;
        }
        self.structs.push(def);
        true
    }

    pub fn get_struct(&self, name: &str) -> Option<&StructDef> {
        let i = self
            .struct_index
            .find(name, |i| self.structs[i as usize].name())?;
        self.structs.get(i as usize)
    }

    pub fn structs(&self) -> impl ExactSizeIterator<Item = &StructDef> + '_ {
        self.structs.iter()
    }

    /// Size in bytes of struct/union/class `name`.
    pub fn struct_size(&self, name: &str) -> Option<u64> {
        self.get_struct(name).map(StructDef::size)
    }

    /// Finds `member` in `struct_name`, also inside anonymous struct/union
    /// members (as C lets one name them), adding their offsets in.
    pub fn member(&self, struct_name: &str, member: &str) -> Option<MemberRef<'_>> {
        let mut budget = MAX_NEST_VISITS;
        self.find_member(struct_name, member, false, 0, &mut budget)
    }

    /// Byte offset of `member` in `struct_name` (see [`member`](Self::member)),
    /// as upstream's `addr_t`: a negative offset comes back two's-complement,
    /// so `base.wrapping_add(offset)` is the member's address either way.
    pub fn member_offset(&self, struct_name: &str, member: &str) -> Option<u64> {
        self.member(struct_name, member).map(|m| m.offset as u64)
    }

    /// Like [`member_offset`](Self::member_offset) but, failing that, also
    /// searches named embedded aggregates, as upstream LibVMI's JSON lookups
    /// do. It can find a same-named member of some inner struct, so use it
    /// only where upstream's answer is wanted.
    pub fn member_offset_lenient(&self, struct_name: &str, member: &str) -> Option<u64> {
        let mut budget = MAX_NEST_VISITS;
        self.find_member(struct_name, member, true, 0, &mut budget)
            .map(|m| m.offset as u64)
    }

    /// The name of `member`'s type (`list_head`, `int`, ...); none for
    /// pointers, arrays, bitfields and functions, which have no name.
    pub fn member_type_name(&self, struct_name: &str, member: &str) -> Option<&str> {
        self.member(struct_name, member)?.field.ty.name()
    }

    /// For a bitfield member: (byte offset of its storage unit, as
    /// [`member_offset`](Self::member_offset) gives it, first bit, number of bits).
    pub fn bitfield(&self, struct_name: &str, member: &str) -> Option<(u64, u32, u32)> {
        let m = self.member(struct_name, member)?;
        match m.field.ty {
            TypeDesc::Bitfield {
                bit_position,
                bit_length,
                ..
            } => Some((m.offset as u64, bit_position, bit_length)),
            _ => None,
        }
    }

    fn find_member(
        &self,
        struct_name: &str,
        member: &str,
        lenient: bool,
        depth: u32,
        budget: &mut u32,
    ) -> Option<MemberRef<'_>> {
        if depth > MAX_NEST_DEPTH || *budget == 0 {
            return None;
        }
        *budget -= 1;
        let def = self.get_struct(struct_name)?;
        if let Some(field) = def.field(member) {
            return Some(MemberRef {
                offset: field.offset,
                field,
            });
        }
        // Anonymous members first: their fields are the struct's own in C.
        // Named ones only when asked, and only after every anonymous path.
        let passes: &[bool] = if lenient { &[true, false] } else { &[true] };
        for &anonymous_pass in passes {
            for f in def.fields() {
                let Some(inner) = f.ty.aggregate_name() else {
                    continue;
                };
                if f.is_anonymous_aggregate() != anonymous_pass {
                    continue;
                }
                if let Some(found) = self.find_member(inner, member, lenient, depth + 1, budget) {
                    if let Some(offset) = f.offset.checked_add(found.offset) {
                        return Some(MemberRef {
                            offset,
                            field: found.field,
                        });
                    }
                }
            }
        }
        None
    }

    // ---- enums and base types ----

    pub fn add_enum(&mut self, def: EnumDef) -> bool {
        let Ok(pos) = u32::try_from(self.enums.len()) else {
            return false;
        };
        let enums = &self.enums;
        if self
            .enum_index
            .insert(&def.name, pos, |i| &enums[i as usize].name)
            .is_err()
        {
            return false;
        }
        self.enums.push(def);
        true
    }

    pub fn get_enum(&self, name: &str) -> Option<&EnumDef> {
        let i = self
            .enum_index
            .find(name, |i| &self.enums[i as usize].name)?;
        self.enums.get(i as usize)
    }

    pub fn enums(&self) -> impl ExactSizeIterator<Item = &EnumDef> + '_ {
        self.enums.iter()
    }

    /// The value of constant `constant` of enum `enum_name`.
    pub fn enum_value(&self, enum_name: &str, constant: &str) -> Option<i128> {
        let e = self.get_enum(enum_name)?;
        e.constants
            .iter()
            .find(|(n, _)| &**n == constant)
            .map(|&(_, v)| v)
    }

    pub fn add_base_type(&mut self, def: BaseType) -> bool {
        let Ok(pos) = u32::try_from(self.base_types.len()) else {
            return false;
        };
        let bases = &self.base_types;
        if self
            .base_index
            .insert(&def.name, pos, |i| &bases[i as usize].name)
            .is_err()
        {
            return false;
        }
        self.base_types.push(def);
        true
    }

    pub fn get_base_type(&self, name: &str) -> Option<&BaseType> {
        let i = self
            .base_index
            .find(name, |i| &self.base_types[i as usize].name)?;
        self.base_types.get(i as usize)
    }

    pub fn base_types(&self) -> impl ExactSizeIterator<Item = &BaseType> + '_ {
        self.base_types.iter()
    }
}

impl Default for Profile {
    fn default() -> Profile {
        Profile::new(ProfileSource::Built)
    }
}

/// Reads at most `cap` bytes of `path`; a longer file is an error rather
/// than a silent truncation.
pub(crate) fn read_file_bounded(path: &std::path::Path, cap: u64) -> crate::Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| crate::Error::from_io(&e, "open profile"))?;
    let too_large = crate::Error::Malformed("profile file too large");
    // A regular file says its size; devices and pipes (`/dev/zero`) are
    // read until the cap, without the allocation ever passing it.
    let hint = match file.metadata() {
        Ok(m) if m.is_file() && m.len() > cap => return Err(too_large),
        Ok(m) if m.is_file() => m.len(),
        _ => 0,
    };
    decompress::read_to_end_capped(file, cap, hint)
        .map_err(|e| crate::Error::from_io(&e, "read profile"))?
        .ok_or(too_large)
}
