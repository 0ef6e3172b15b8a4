//! A small lock-free memo in front of the OS layer's symbol index.
//!
//! Tools read the same handful of kernel symbols over and over
//! (`jiffies`, `init_task`, ...). The index answers in about a hash-table
//! lookup; this direct-mapped memo answers in a few loads and compares and
//! needs no UTF-8 check of the caller's string.
//!
//! Only names of up to 16 bytes are remembered: their length and first and
//! last eight bytes (which overlap) are the whole name, so a slot stores the
//! name inline and nothing is allocated. Slots are seqlocked like the v2p
//! cache's; clearing bumps a generation.

use super::seqslot::{SeqSlot, WORDS};
use core::sync::atomic::{AtomicU64, Ordering};

const SLOTS: usize = 256;
/// Longest name remembered.
const MAX_NAME: usize = 16;

/// Slot words: the generation the entry was written in, shifted, or'ed
/// with the name's length (0: empty); the name's two words; the address.
const TAG: usize = 0;
const HEAD: usize = 1;
const TAIL: usize = 2;
const VA: usize = 3;

pub struct SymbolMemo {
    slots: Box<[SeqSlot]>,
    generation: AtomicU64,
}

impl Default for SymbolMemo {
    fn default() -> Self {
        SymbolMemo {
            slots: (0..SLOTS).map(|_| SeqSlot::default()).collect(),
            generation: AtomicU64::new(1),
        }
    }
}

/// A name of at most [`MAX_NAME`] bytes as its length and two words that
/// together hold every byte. Short names are read as overlapping words
/// rather than copied into a buffer (a copy followed by a wide load stalls
/// on store forwarding).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Key {
    len: u64,
    head: u64,
    tail: u64,
}

#[inline]
fn key_of(name: &[u8]) -> Option<Key> {
    let n = name.len();
    let word = |at: usize, w: usize| -> u64 {
        name[at..at + w]
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | b as u64)
    };
    if n == 0 || n > MAX_NAME {
        return None;
    }
    let (head, tail) = match n {
        8.. => (word(0, 8), word(n - 8, 8)),
        4..=7 => (word(0, 4), word(n - 4, 4)),
        _ => (word(0, 1), word(n - 1, 1) << 8 | word(n / 2, 1) << 16),
    };
    Some(Key {
        len: n as u64,
        head,
        tail,
    })
}

/// Slot of a key: its words mixed.
#[inline]
fn slot_of(k: &Key) -> usize {
    let mixed = (k.head ^ k.tail.rotate_left(29) ^ k.len).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 56) as usize % SLOTS
}

impl SymbolMemo {
    fn tag(&self, k: &Key) -> u64 {
        (self.generation.load(Ordering::Acquire) << 8) | k.len
    }

    /// The remembered address of `name`, if any.
    #[inline]
    pub fn get(&self, name: &[u8]) -> Option<u64> {
        let key = key_of(name)?;
        let w = self.slots[slot_of(&key)].read()?;
        (w[TAG] == self.tag(&key) && w[HEAD] == key.head && w[TAIL] == key.tail).then_some(w[VA])
    }

    /// Remembers that `name` is at `va`, replacing whatever shared its slot
    /// (unless another thread is writing it: a memo may forget). Longer
    /// names are left to the index.
    pub fn remember(&self, name: &[u8], va: u64) {
        let Some(key) = key_of(name) else {
            return;
        };
        let mut w = [0u64; WORDS];
        w[TAG] = self.tag(&key);
        w[HEAD] = key.head;
        w[TAIL] = key.tail;
        w[VA] = va;
        self.slots[slot_of(&key)].try_write(w);
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
        for len in 1..=MAX_NAME {
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
    fn long_and_empty_names_are_left_to_the_index() {
        let m = SymbolMemo::default();
        let long = [b'x'; MAX_NAME + 1];
        m.remember(&long, 1);
        assert_eq!(m.get(&long), None);
        m.remember(b"", 2);
        assert_eq!(m.get(b""), None);
        m.remember(&long[..MAX_NAME], 3);
        assert_eq!(m.get(&long[..MAX_NAME]), Some(3));
    }

    #[test]
    fn consistent_under_threads() {
        // Each name's value encodes the name, so a torn or mixed-up read
        // shows as a value that belongs to another name.
        let m = Arc::new(SymbolMemo::default());
        let workers: Vec<_> = (0..4u64)
            .map(|t| {
                let m = Arc::clone(&m);
                std::thread::spawn(move || {
                    for i in 0..20000u64 {
                        let id = (i * 7 + t) % 600;
                        let name = format!("s{id}");
                        m.remember(name.as_bytes(), id);
                        if let Some(v) = m.get(name.as_bytes()) {
                            assert_eq!(v, id);
                        }
                        if i % 5000 == 0 {
                            m.clear();
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
    }
}
