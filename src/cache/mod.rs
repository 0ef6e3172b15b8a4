//! Caches the instance keeps between the layers. All are safe to use from
//! several threads at once: the v2p cache is lock-free for readers (a
//! direct-mapped table of seqlocked slots), the keyed caches sit behind
//! `parking_lot` read-write locks.

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use hashbrown::HashMap;
use parking_lot::RwLock;

use crate::addr::PAGE_SIZE;

mod memo;
mod seqslot;
pub use memo::SymbolMemo;
use seqslot::{SeqSlot, WORDS};

const V2P_BITS: u32 = 16;
const V2P_SLOTS: usize = 1 << V2P_BITS;
const GEN_MASK: u64 = PAGE_SIZE - 1;

/// v2p slot words: the 4 KiB virtual page, the page table, the cache
/// generation the entry was written in (a global flush is one increment;
/// 64 bits never wrap), and the physical frame | 1 (0: empty).
const KEY: usize = 0;
const DTB: usize = 1;
const GENERATION: usize = 2;
const FRAME: usize = 3;

/// Virtual-to-physical cache keyed by (page table, virtual page).
pub struct V2pCache {
    slots: Box<[SeqSlot]>,
    generation: AtomicU64,
}

impl Default for V2pCache {
    fn default() -> Self {
        Self::new()
    }
}

impl V2pCache {
    pub fn new() -> Self {
        let slots = (0..V2P_SLOTS)
            .map(|_| SeqSlot::default())
            .collect::<Vec<_>>()
            .into_boxed_slice();
        V2pCache {
            slots,
            generation: AtomicU64::new(1),
        }
    }

    /// Slot of a (page table, page) pair: a multiply-rotate mix of the two
    /// page numbers. A full CityHash of the 128-bit key costs more than
    /// the whole cached translation should; this spreads neighbouring
    /// pages and tables over the table just as well.
    #[inline]
    fn index(dtb: u64, vpage: u64) -> usize {
        let k = (vpage >> 12) ^ (dtb >> 12).rotate_left(29);
        let h = k.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> (64 - V2P_BITS)) as usize
    }

    /// Physical address of `va` under `dtb`, if cached.
    #[inline]
    pub fn get(&self, dtb: u64, va: u64) -> Option<u64> {
        let vpage = va & !GEN_MASK;
        let w = self.slots[Self::index(dtb, vpage)].read()?;
        let hit = w[FRAME] & 1 != 0
            && w[KEY] == vpage
            && w[DTB] == dtb
            && w[GENERATION] == self.generation.load(Ordering::Relaxed);
        hit.then(|| (w[FRAME] & !GEN_MASK) | (va & GEN_MASK))
    }

    /// Remembers that `va` under `dtb` maps to `pa`. A slot another thread
    /// is writing is simply skipped: this is a cache.
    pub fn insert(&self, dtb: u64, va: u64, pa: u64) {
        let vpage = va & !GEN_MASK;
        let mut w = [0u64; WORDS];
        w[KEY] = vpage;
        w[DTB] = dtb;
        w[GENERATION] = self.generation.load(Ordering::Relaxed);
        w[FRAME] = (pa & !GEN_MASK) | 1;
        self.slots[Self::index(dtb, vpage)].try_write(w);
    }

    /// Forgets every entry.
    pub fn flush_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Forgets the entries of one page table (upstream silently ignores the
    /// page table argument; we honour it).
    pub fn flush_dtb(&self, dtb: u64) {
        self.clear_where(|d| d == dtb);
    }

    fn clear_where(&self, pred: impl Fn(u64) -> bool) {
        for slot in self.slots.iter() {
            if slot.peek(FRAME) == 0 || !pred(slot.peek(DTB)) {
                continue;
            }
            slot.update(|mut w| {
                if pred(w[DTB]) {
                    w[FRAME] = 0;
                }
                w
            });
        }
    }
}

/// Borrowed form of the symbol cache key `(symbol, base, dtb)`, so a
/// lookup needs no allocation. Hashes exactly like the owned tuple.
#[derive(Hash)]
pub struct SymKey<'a>(pub &'a str, pub u64, pub u64);

impl hashbrown::Equivalent<(String, u64, u64)> for SymKey<'_> {
    fn equivalent(&self, key: &(String, u64, u64)) -> bool {
        self.0 == key.0 && self.1 == key.1 && self.2 == key.2
    }
}

/// A thread-safe map cache. An atomic entry count lets lookups in an empty
/// cache (the common case: most are only filled by `vmi_*cache_add`)
/// return without touching the lock.
pub struct KeyedCache<K, V> {
    map: RwLock<HashMap<K, V>>,
    len: AtomicUsize,
}

impl<K: Eq + core::hash::Hash, V: Clone> Default for KeyedCache<K, V> {
    fn default() -> Self {
        KeyedCache {
            map: RwLock::new(HashMap::new()),
            len: AtomicUsize::new(0),
        }
    }
}

impl<K: Eq + core::hash::Hash, V: Clone> KeyedCache<K, V> {
    #[inline]
    pub fn get<Q>(&self, k: &Q) -> Option<V>
    where
        Q: hashbrown::Equivalent<K> + core::hash::Hash + ?Sized,
    {
        if self.len.load(Ordering::Acquire) == 0 {
            return None;
        }
        self.map.read().get(k).cloned()
    }

    pub fn insert(&self, k: K, v: V) {
        let mut m = self.map.write();
        m.insert(k, v);
        self.len.store(m.len(), Ordering::Release);
    }

    pub fn flush(&self) {
        if self.len.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut m = self.map.write();
        m.clear();
        self.len.store(0, Ordering::Release);
    }

    pub fn retain(&self, f: impl FnMut(&K, &mut V) -> bool) {
        let mut m = self.map.write();
        m.retain(f);
        self.len.store(m.len(), Ordering::Release);
    }

    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Every cache of one instance.
#[derive(Default)]
pub struct Caches {
    pub v2p: V2pCache,
    /// pid -> page table.
    pub pid: KeyedCache<i32, u64>,
    /// (symbol, module base, page table) -> virtual address.
    pub sym: KeyedCache<(String, u64, u64), u64>,
    /// Kernel symbol -> address as the OS layer answered it; in front of
    /// the OS layer's index, behind `sym` (whose entries callers set).
    pub sym_memo: SymbolMemo,
    /// (module base, page table, rva) -> symbol.
    pub rva: KeyedCache<(u64, u64, u64), String>,
    /// Two-stage translations: (nested table, guest page table, 4 KiB
    /// virtual page) -> final 4 KiB frame. Guest page table
    /// [`NESTED_PHYSICAL`] stands for guest-physical accesses (no first
    /// stage).
    pub nested_v2p: KeyedCache<(u64, u64, u64), u64>,
}

/// Guest page-table key of `Caches::nested_v2p` for accesses that only go
/// through the nested stage.
pub const NESTED_PHYSICAL: u64 = u64::MAX;

impl Caches {
    /// What `vmi_symcache_flush` empties: the symbol cache and the memo.
    pub fn flush_symbols(&self) {
        self.sym.flush();
        self.sym_memo.clear();
    }

    pub fn flush_all(&self) {
        self.v2p.flush_all();
        self.pid.flush();
        self.flush_symbols();
        self.rva.flush();
        self.nested_v2p.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn v2p_hit_miss_and_offsets() {
        let c = V2pCache::new();
        assert_eq!(c.get(0x1000, 0xffff_8000_0000_1234), None);
        c.insert(0x1000, 0xffff_8000_0000_1234, 0x5000);
        assert_eq!(c.get(0x1000, 0xffff_8000_0000_1abc), Some(0x5abc));
        assert_eq!(
            c.get(0x2000, 0xffff_8000_0000_1abc),
            None,
            "other page table"
        );
        assert_eq!(c.get(0x1000, 0xffff_8000_0000_2abc), None, "other page");
    }

    #[test]
    fn v2p_flush_all_and_per_dtb() {
        let c = V2pCache::new();
        c.insert(0x1000, 0x4000, 0x9000);
        c.insert(0x2000, 0x4000, 0xa000);
        c.flush_dtb(0x1000);
        assert_eq!(c.get(0x1000, 0x4000), None);
        assert_eq!(c.get(0x2000, 0x4000), Some(0xa000));
        c.flush_all();
        assert_eq!(c.get(0x2000, 0x4000), None);
        c.insert(0x2000, 0x4000, 0xb000);
        assert_eq!(c.get(0x2000, 0x4000), Some(0xb000));
    }

    #[test]
    fn v2p_many_flushes_never_revive_old_entries() {
        let c = V2pCache::new();
        c.insert(7, 0x4000, 0x9000);
        for _ in 0..10_000 {
            c.flush_all();
            assert_eq!(c.get(7, 0x4000), None);
        }
        c.insert(7, 0x4000, 0xa000);
        assert_eq!(c.get(7, 0x4000), Some(0xa000));
    }

    #[test]
    fn v2p_concurrent_readers_never_see_torn_entries() {
        // Writers map va -> va ^ dtb so any hit can be checked.
        let c = Arc::new(V2pCache::new());
        let mut handles = Vec::new();
        for t in 0..4u64 {
            let c = Arc::clone(&c);
            handles.push(std::thread::spawn(move || {
                for i in 0..200_000u64 {
                    let dtb = (i % 7) << 12;
                    let va = ((i * 31 + t) % 4096) << 12;
                    if t % 2 == 0 {
                        c.insert(dtb, va, (va ^ dtb) & !0xfff);
                    } else if let Some(pa) = c.get(dtb, va) {
                        assert_eq!(pa, (va ^ dtb) & !0xfff);
                    }
                    if t == 3 && i % 50_000 == 0 {
                        c.flush_all();
                    }
                }
            }));
        }
        for h in handles {
            h.join().unwrap();
        }
    }

    #[test]
    fn keyed_cache_basic() {
        let c: KeyedCache<i32, u64> = KeyedCache::default();
        c.insert(1, 0x1000);
        assert_eq!(c.get(&1), Some(0x1000));
        c.flush();
        assert!(c.is_empty());
    }
}

#[cfg(test)]
mod sym_key_tests {
    use super::*;

    #[test]
    fn borrowed_symbol_key_finds_owned_entries() {
        let c: KeyedCache<(String, u64, u64), u64> = KeyedCache::default();
        c.insert(("init_task".to_owned(), 0, 0), 0x1234);
        c.insert(("init_task".to_owned(), 5, 0), 0x5678);
        assert_eq!(c.get(&SymKey("init_task", 0, 0)), Some(0x1234));
        assert_eq!(c.get(&SymKey("init_task", 5, 0)), Some(0x5678));
        assert_eq!(c.get(&SymKey("init_tas", 0, 0)), None);
    }
}
