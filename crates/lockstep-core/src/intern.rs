//! String interning into dense `u32` ids.
//!
//! All names live in one contiguous byte arena with an offsets table, and the hash table stores
//! only the `u32` ids, so each distinct name costs its bytes plus about 12 bytes of bookkeeping —
//! not a separate heap allocation per name, and not a second copy as a map key.

use hashbrown::HashTable;
use std::hash::BuildHasher;

/// Id used in optional columns for "no value".
pub const NONE_ID: u32 = u32::MAX;

/// A set of distinct strings, each with a dense id in insertion order.
#[derive(Default, Clone)]
pub struct Interner {
    arena: String,
    /// `offsets[i]..offsets[i+1]` is name `i` in `arena`; always starts with 0.
    offsets: Vec<u64>,
    table: HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.len())
            .finish()
    }
}

impl Interner {
    pub fn new() -> Self {
        Interner {
            arena: String::new(),
            offsets: vec![0],
            table: HashTable::new(),
            hasher: hashbrown::DefaultHashBuilder::default(),
        }
    }

    /// Number of distinct names.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name of id `id`. Panics if `id` is out of range (ids come from this interner).
    #[inline]
    pub fn name(&self, id: u32) -> &str {
        let i = id as usize;
        &self.arena[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// The id of `name`, if it was interned.
    pub fn get(&self, name: &str) -> Option<u32> {
        let h = self.hasher.hash_one(name);
        self.table.find(h, |&id| self.name(id) == name).copied()
    }

    /// The id of `name`, interning it if new.
    pub fn intern(&mut self, name: &str) -> u32 {
        let h = self.hasher.hash_one(name);
        let Interner {
            arena,
            offsets,
            table,
            hasher,
        } = self;
        let eq = |&id: &u32| {
            let i = id as usize;
            &arena[offsets[i] as usize..offsets[i + 1] as usize] == name
        };
        if let Some(&id) = table.find(h, eq) {
            return id;
        }
        let id = u32::try_from(offsets.len() - 1).expect("more than 4 billion distinct names");
        assert!(id != NONE_ID, "more than 4 billion distinct names");
        arena.push_str(name);
        offsets.push(arena.len() as u64);
        let (arena_ref, offsets_ref) = (&*arena, &*offsets);
        table.insert_unique(h, id, |&other| {
            let i = other as usize;
            hasher.hash_one(&arena_ref[offsets_ref[i] as usize..offsets_ref[i + 1] as usize])
        });
        id
    }

    /// Iterate `(id, name)` in id order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &str)> + '_ {
        (0..self.len() as u32).map(move |i| (i, self.name(i)))
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity() + self.offsets.capacity() * 8 + self.table.capacity() * 5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_densely_and_round_trips() {
        let mut i = Interner::new();
        assert_eq!(i.intern("a"), 0);
        assert_eq!(i.intern("bb"), 1);
        assert_eq!(i.intern("a"), 0);
        assert_eq!(i.intern(""), 2);
        assert_eq!(i.len(), 3);
        assert_eq!(i.name(1), "bb");
        assert_eq!(i.name(2), "");
        assert_eq!(i.get("bb"), Some(1));
        assert_eq!(i.get("zz"), None);
        for k in 0..10_000 {
            let id = i.intern(&format!("n{k}"));
            assert_eq!(i.name(id), format!("n{k}"));
        }
        assert_eq!(i.get("n9999"), Some(3 + 9999));
    }
}
