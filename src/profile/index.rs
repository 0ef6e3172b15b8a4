//! A name → position index over a vector the caller owns.
//!
//! Profiles hold hundreds of thousands of names; keeping them once in the
//! vector (which also gives insertion order and cheap iteration) and only
//! `u32` positions in the hash table avoids a second copy of every string.

use core::hash::BuildHasher;
use hashbrown::{DefaultHashBuilder, HashTable};

#[derive(Clone, Default)]
pub(crate) struct NameIndex {
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl NameIndex {
    fn hash(&self, name: &str) -> u64 {
        self.hasher.hash_one(name)
    }

    /// Position of `name`, where `name_of` maps a position back to its name.
    pub(crate) fn find<'a>(&self, name: &str, name_of: impl Fn(u32) -> &'a str) -> Option<u32> {
        self.table
            .find(self.hash(name), |&i| name_of(i) == name)
            .copied()
    }

    /// Records `pos` under `name` unless the name is already present; returns
    /// the position already holding it in that case.
    pub(crate) fn insert<'a>(
        &mut self,
        name: &str,
        pos: u32,
        name_of: impl Fn(u32) -> &'a str,
    ) -> Result<(), u32> {
        if let Some(existing) = self.find(name, &name_of) {
            return Err(existing);
        }
        let hasher = self.hasher;
        let hash = self.hash(name);
        self.table
            .insert_unique(hash, pos, |&i| hasher.hash_one(name_of(i)));
        Ok(())
    }

    /// Makes room for `additional` more names, given how to hash the ones
    /// already present.
    pub(crate) fn reserve<'a>(&mut self, additional: usize, name_of: impl Fn(u32) -> &'a str) {
        let hasher = self.hasher;
        self.table
            .reserve(additional, |&i| hasher.hash_one(name_of(i)));
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }
}

/// Lookups in an address index: `(address, position)` pairs sorted by
/// address, positions in insertion order among equal addresses.
pub(crate) mod by_address {
    /// Position of the first entry at exactly `address`.
    pub(crate) fn exact(sorted: &[(u64, u32)], address: u64) -> Option<u32> {
        let i = sorted.partition_point(|&(a, _)| a < address);
        match sorted.get(i) {
            Some(&(a, pos)) if a == address => Some(pos),
            _ => None,
        }
    }

    /// The highest address not above `address` and the first entry's
    /// position there.
    pub(crate) fn nearest(sorted: &[(u64, u32)], address: u64) -> Option<(u64, u32)> {
        let after = sorted.partition_point(|&(a, _)| a <= address);
        let &(found, _) = sorted.get(after.checked_sub(1)?)?;
        let first = sorted.partition_point(|&(a, _)| a < found);
        sorted.get(first).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inserted_names_and_rejects_duplicates() {
        let names: Vec<String> = (0..5000).map(|i| format!("sym_{i}")).collect();
        let mut idx = NameIndex::default();
        for (i, n) in names.iter().enumerate() {
            assert!(idx
                .insert(n, i as u32, |p| names[p as usize].as_str())
                .is_ok());
        }
        assert_eq!(idx.len(), names.len());
        assert_eq!(
            idx.insert("sym_17", 99, |p| names[p as usize].as_str()),
            Err(17)
        );
        for (i, n) in names.iter().enumerate() {
            assert_eq!(idx.find(n, |p| names[p as usize].as_str()), Some(i as u32));
        }
        assert_eq!(idx.find("sym_5000", |p| names[p as usize].as_str()), None);
    }
}
