//! A seqlocked slot: a few words that writers replace together and readers
//! copy out as one consistent snapshot, without locks. The building block of
//! the direct-mapped caches (v2p, symbol memo).

use core::sync::atomic::{fence, AtomicU64, Ordering};

/// Words per slot.
pub const WORDS: usize = 4;

/// `seq` is odd while a writer holds the slot.
#[derive(Default)]
pub struct SeqSlot {
    seq: AtomicU64,
    words: [AtomicU64; WORDS],
}

impl SeqSlot {
    /// A consistent copy of the words, or `None` while a writer holds the
    /// slot (or one came and went during the read).
    #[inline]
    pub fn read(&self) -> Option<[u64; WORDS]> {
        let s1 = self.seq.load(Ordering::Acquire);
        if s1 & 1 != 0 {
            return None;
        }
        let w = core::array::from_fn(|i| self.words[i].load(Ordering::Relaxed));
        fence(Ordering::Acquire);
        (self.seq.load(Ordering::Relaxed) == s1).then_some(w)
    }

    /// One word, unsynchronised: a hint for scans that then lock the slot.
    #[inline]
    pub fn peek(&self, i: usize) -> u64 {
        self.words[i].load(Ordering::Relaxed)
    }

    /// Replaces the words unless another writer holds the slot (then the
    /// write is dropped: fine for a cache).
    #[inline]
    pub fn try_write(&self, words: [u64; WORDS]) {
        let s = self.seq.load(Ordering::Relaxed);
        if s & 1 != 0
            || self
                .seq
                .compare_exchange(s, s + 1, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        self.store_and_release(s, words);
    }

    /// Rewrites the words with `f`, waiting out a concurrent writer (they
    /// hold a slot for a handful of stores only).
    pub fn update(&self, f: impl FnOnce([u64; WORDS]) -> [u64; WORDS]) {
        loop {
            let s = self.seq.load(Ordering::Relaxed);
            if s & 1 == 0
                && self
                    .seq
                    .compare_exchange(s, s + 1, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                let old = core::array::from_fn(|i| self.words[i].load(Ordering::Relaxed));
                self.store_and_release(s, f(old));
                return;
            }
            core::hint::spin_loop();
        }
    }

    /// With the slot held (sequence `s + 1`): stores and releases it.
    #[inline]
    fn store_and_release(&self, s: u64, words: [u64; WORDS]) {
        fence(Ordering::Release);
        for (slot, w) in self.words.iter().zip(words) {
            slot.store(w, Ordering::Relaxed);
        }
        self.seq.store(s + 2, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn readers_never_see_a_torn_slot() {
        let slot = Arc::new(SeqSlot::default());
        let writers: Vec<_> = (0..2u64)
            .map(|t| {
                let slot = Arc::clone(&slot);
                std::thread::spawn(move || {
                    for i in 0..50_000u64 {
                        let v = i * 2 + t;
                        if i % 7 == 0 {
                            slot.update(|_| [v; WORDS]);
                        } else {
                            slot.try_write([v; WORDS]);
                        }
                    }
                })
            })
            .collect();
        let mut seen = 0;
        while writers.iter().any(|w| !w.is_finished()) {
            if let Some(w) = slot.read() {
                assert!(w.iter().all(|&x| x == w[0]), "torn read {w:?}");
                seen += 1;
            }
        }
        for w in writers {
            w.join().unwrap();
        }
        assert!(seen > 0);
        assert_eq!(slot.read().map(|w| w[0] == w[3]), Some(true));
    }
}
