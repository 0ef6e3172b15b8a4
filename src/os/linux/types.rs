//! Where structure layouts come from: the profile's types when it has
//! them, else the kernel's own BTF read from memory. BTF is queried in
//! place; converting all of it into the profile costs more than a whole
//! init and is done only when someone asks for the full profile.

use crate::profile::btf::Btf;
use crate::profile::{Profile, TypeDesc};

#[derive(Clone, Copy)]
pub struct Types<'a> {
    pub profile: &'a Profile,
    pub btf: Option<&'a Btf>,
}

impl<'a> Types<'a> {
    pub fn new(profile: &'a Profile, btf: Option<&'a Btf>) -> Types<'a> {
        Types { profile, btf }
    }

    /// Byte offset of `member` in `structure` (anonymous members looked into).
    pub fn member_offset(&self, structure: &str, member: &str) -> Option<u64> {
        if self.profile.get_struct(structure).is_some() {
            return self.profile.member_offset(structure, member);
        }
        self.btf?.member_offset(structure, member)
    }

    pub fn struct_size(&self, structure: &str) -> Option<u64> {
        if let Some(s) = self.profile.struct_size(structure) {
            return Some(s);
        }
        self.btf?.struct_by_name(structure).map(|v| v.size)
    }

    /// Element count of an array member.
    pub fn array_len(&self, structure: &str, member: &str) -> Option<u64> {
        if self.profile.get_struct(structure).is_some() {
            return match self.profile.member(structure, member).map(|m| &m.field.ty) {
                Some(TypeDesc::Array { count, .. }) => Some(*count),
                _ => None,
            };
        }
        let btf = self.btf?;
        let m = btf.member(structure, member)?;
        let id = btf.resolve(m.type_id).ok()?;
        btf.array(id).ok().map(|a| a.count as u64)
    }
}
