//! A small lock-free memo in front of the OS layer's symbol index.
//!
//! Tools read the same handful of kernel symbols over and over
//! (`jiffies`, `init_task`, ...). The index answers in about a hash-table
//! lookup, but a direct-mapped memo keyed by the name's bytes answers in a
//! load and a short compare, and needs no UTF-8 check of the caller's string.
//!
//! Entries are published through atomic pointers and never freed while the
//! memo lives, so a reader never sees a freed entry; the number of entries
//! ever made is capped, which bounds the memory. Clearing bumps a
//! generation, which makes every older entry invisible at once.

use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use parking_lot::Mutex;

const SLOTS: usize = 256;
/// Entries made over the memo's life; past this, lookups still work but
/// nothing new is remembered (the index answers instead).
const MAX_ENTRIES: usize = 4096;
/// Longer names are not remembered (no kernel symbol is this long).
const MAX_NAME: usize = 256;

struct Entry {
    generation: u64,
    va: u64,
    key: Key,
    name: Box<[u8]>,
}

/// A name's length and the words [`key_of`] reads from it; for names of up
/// to 16 bytes these words cover every byte, so comparing keys compares
/// the names.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    len: usize,
    head: u64,
    tail: u64,
}

pub struct SymbolMemo {
    slots: Box<[AtomicPtr<Entry>]>,
    generation: AtomicU64,
    /// Owns every entry ever published; freed with the memo. Boxed so an
    /// entry's address stays put while the vector grows.
    #[allow(clippy::vec_box)]
    entries: Mutex<Vec<Box<Entry>>>,
}

impl Default for SymbolMemo {
    fn default() -> Self {
        SymbolMemo {
            slots: (0..SLOTS)
                .map(|_| AtomicPtr::new(core::ptr::null_mut()))
                .collect(),
            generation: AtomicU64::new(0),
            entries: Mutex::new(Vec::new()),
        }
    }
}

/// The key of a name: its length and its first and last (up to) eight
/// bytes. Short names are read as overlapping words rather than copied
/// into a buffer (a copy followed by a wide load stalls on store
/// forwarding).
#[inline]
fn key_of(name: &[u8]) -> Key {
    let n = name.len();
    let word = |at: usize, w: usize| -> u64 {
        name[at..at + w]
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | b as u64)
    };
    let (head, tail) = match n {
        8.. => (word(0, 8), word(n - 8, 8)),
        4..=7 => (word(0, 4), word(n - 4, 4)),
        1..=3 => (word(0, 1), word(n - 1, 1) << 8 | word(n / 2, 1) << 16),
        0 => (0, 0),
    };
    Key { len: n, head, tail }
}

/// Slot of a key: its words mixed. Cheap, and distinct for the names tools
/// use together.
#[inline]
fn slot_of(k: &Key) -> usize {
    let mixed =
        (k.head ^ k.tail.rotate_left(29) ^ k.len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 56) as usize % SLOTS
}

impl SymbolMemo {
    /// The remembered address of `name`, if any.
    #[inline]
    pub fn get(&self, name: &[u8]) -> Option<u64> {
        let key = key_of(name);
        let p = self.slots[slot_of(&key)].load(Ordering::Acquire);
        if p.is_null() {
            return None;
        }
        // SAFETY: non-null slot pointers come from `remember`, which keeps
        // the boxed entry in `entries` until the memo is dropped, and the
        // Acquire load pairs with its Release store.
        let e = unsafe { &*p };
        let same = e.key == key && (key.len <= 16 || *e.name == *name);
        (same && e.generation == self.generation.load(Ordering::Acquire)).then_some(e.va)
    }

    /// Remembers that `name` is at `va`, replacing whatever shared its slot.
    pub fn remember(&self, name: &[u8], va: u64) {
        if name.len() > MAX_NAME {
            return;
        }
        let mut entries = self.entries.lock();
        if entries.len() >= MAX_ENTRIES {
            return;
        }
        let key = key_of(name);
        let entry = Box::new(Entry {
            generation: self.generation.load(Ordering::Acquire),
            va,
            key,
            name: name.into(),
        });
        let p = (&*entry as *const Entry).cast_mut();
        entries.push(entry);
        self.slots[slot_of(&key)].store(p, Ordering::Release);
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn remembers_replaces_and_clears() {
        let m = SymbolMemo::default();
        assert_eq!(m.get(b"jiffies"), None);
        m.remember(b"jiffies", 0x1000);
        m.remember(b"init_task", 0x2000);
        assert_eq!(m.get(b"jiffies"), Some(0x1000));
        assert_eq!(m.get(b"init_task"), Some(0x2000));
        assert_eq!(m.get(b"jiffie"), None);
        assert_eq!(m.get(b"jiffiesx"), None);
        m.clear();
        assert_eq!(m.get(b"jiffies"), None);
        m.remember(b"jiffies", 0x3000);
        assert_eq!(m.get(b"jiffies"), Some(0x3000));
    }

    #[test]
    fn keys_cover_every_byte_of_short_names() {
        // Names that differ in one byte only, at every position and length.
        for len in 1..=20usize {
            for pos in 0..len {
                let a = vec![b'a'; len];
                let mut b = a.clone();
                b[pos] = b'b';
                let m = SymbolMemo::default();
                m.remember(&a, 1);
                assert_eq!(m.get(&b), None, "len {len} pos {pos}");
                assert_eq!(m.get(&a), Some(1));
            }
        }
    }

    #[test]
    fn colliding_names_never_answer_for_each_other() {
        let m = SymbolMemo::default();
        let names: Vec<String> = (0..2000).map(|i| format!("symbol_{i}")).collect();
        for (i, n) in names.iter().enumerate() {
            m.remember(n.as_bytes(), i as u64);
        }
        for (i, n) in names.iter().enumerate() {
            if let Some(v) = m.get(n.as_bytes()) {
                assert_eq!(v, i as u64, "{n}");
            }
        }
    }

    #[test]
    fn bounded_and_safe_under_threads() {
        let m = Arc::new(SymbolMemo::default());
        let workers: Vec<_> = (0..4)
            .map(|t| {
                let m = Arc::clone(&m);
                std::thread::spawn(move || {
                    for i in 0..5000u64 {
                        let name = format!("s{}", (i * 7 + t) % 300);
                        m.remember(name.as_bytes(), i);
                        if let Some(v) = m.get(name.as_bytes()) {
                            assert!(v < 5000);
                        }
                        if i % 1000 == 0 {
                            m.clear();
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        assert!(m.entries.lock().len() <= MAX_ENTRIES);
        assert_eq!(m.get(&[b'x'; 300]), None);
        m.remember(&[b'x'; 300], 1);
        assert_eq!(m.get(&[b'x'; 300]), None);
    }
}
