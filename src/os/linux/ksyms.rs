//! The kernel's own symbol table (kallsyms) as the Linux layer's symbol
//! source when no profile is given: lookups go straight to the recovered
//! table, with addresses turned into link-time ones (running minus the
//! KASLR slide) as a System.map holds them. A [`Profile`] with the same
//! symbols is built only when someone asks for one (export, types).
//!
//! Lookups answer exactly as that profile would: of several symbols with
//! one name the first (lowest address) wins, later ones are not symbols of
//! the profile at all, and of several symbols at one address the first in
//! table order is reported.

use std::sync::OnceLock;

use super::kallsyms::{Kallsyms, Symbol};
use crate::profile::index::by_address;
use crate::profile::{OsKind, Profile, ProfileSource};

pub struct KernelSymbols {
    table: Kallsyms,
    slide: u64,
    /// Symbols found without kallsyms (names not in the table), link-time.
    extra: Vec<(String, u64, u8)>,
    /// (link address, position) sorted, positions past the table's length
    /// naming `extra`; first occurrences of each name only. Built on the
    /// first address query.
    by_link: OnceLock<Box<[(u64, u32)]>>,
}

impl KernelSymbols {
    pub fn new(table: Kallsyms, slide: u64) -> KernelSymbols {
        KernelSymbols {
            table,
            slide,
            extra: Vec::new(),
            by_link: OnceLock::new(),
        }
    }

    pub fn kallsyms(&self) -> &Kallsyms {
        &self.table
    }

    /// Link-time address of a table entry; absolute symbols (per-cpu
    /// offsets) are not relocated.
    fn link(&self, s: &Symbol<'_>) -> u64 {
        if matches!(s.kind, 'A' | 'a') {
            s.address
        } else {
            s.address.wrapping_sub(self.slide)
        }
    }

    /// Link-time address of `name`.
    pub fn symbol(&self, name: &str) -> Option<u64> {
        match self.table.lookup(name) {
            Some(s) => Some(self.link(&s)),
            None => self.extra.iter().find(|e| e.0 == name).map(|e| e.1),
        }
    }

    /// Adds a symbol the table lacks; returns whether it was added.
    pub fn add(&mut self, name: &str, link: u64, kind: u8) -> bool {
        if self.symbol(name).is_some() {
            return false;
        }
        self.extra.push((name.to_owned(), link, kind));
        self.by_link = OnceLock::new();
        true
    }

    pub fn len(&self) -> usize {
        self.table.len() + self.extra.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn name_at(&self, pos: u32) -> &str {
        let pos = pos as usize;
        match pos.checked_sub(self.table.len()) {
            None => self.table.get(pos).map_or("", |s| s.name),
            Some(i) => self.extra.get(i).map_or("", |e| e.0.as_str()),
        }
    }

    fn by_link(&self) -> &[(u64, u32)] {
        self.by_link.get_or_init(|| {
            let mut v: Vec<(u64, u32)> = Vec::with_capacity(self.len());
            for (i, s) in self.table.iter().enumerate() {
                if self.table.is_first_of_name(i) {
                    v.push((self.link(&s), i as u32));
                }
            }
            let base = self.table.len();
            v.extend(
                self.extra
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (e.1, (base + i) as u32)),
            );
            // Nearly sorted already (the table is in address order).
            v.sort_unstable();
            v.into_boxed_slice()
        })
    }

    /// The symbol at exactly link address `link`.
    pub fn symbol_at(&self, link: u64) -> Option<&str> {
        let pos = by_address::exact(self.by_link(), link)?;
        Some(self.name_at(pos))
    }

    /// The symbol with the highest link address not above `link`, and that
    /// address.
    pub fn nearest_symbol(&self, link: u64) -> Option<(&str, u64)> {
        let (a, pos) = by_address::nearest(self.by_link(), link)?;
        Some((self.name_at(pos), a))
    }

    /// The same symbols as a profile.
    pub fn to_profile(&self) -> Profile {
        let mut p = Profile::new(ProfileSource::Built);
        p.set_os(Some(OsKind::Linux));
        p.reserve_symbols(self.len());
        for s in self.table.iter() {
            p.add_symbol(s.name, self.link(&s), s.kind as u8);
        }
        for (name, link, kind) in &self.extra {
            p.add_symbol(name, *link, *kind);
        }
        p
    }
}
