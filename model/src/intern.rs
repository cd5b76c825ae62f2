//! Interning: the strings of a column ([`Interner`]) and sequences of items such as a stack's
//! frames ([`SeqInterner`]) mapped to dense ids, each value stored once. Readers of large tables
//! (report, analyze) and the perf.data parser key their maps by these ids.

/// Strings of a column interned to dense ids (0, 1, ...), so readers key their maps by the id of
/// a source, event or name instead of hashing its text per row. Columns repeat a value over
/// many rows, so the id looked up last is tried first. Each value is stored once, shared.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    ids: foldhash::HashMap<std::sync::Arc<str>, u32>,
    values: Vec<std::sync::Arc<str>>,
    last: Option<u32>,
}

impl Interner {
    /// The id of `s`, interned when new.
    pub fn id(&mut self, s: &str) -> u32 {
        if let Some(last) = self.last.filter(|&l| &*self.values[l as usize] == s) {
            return last;
        }
        let id = match self.ids.get(s) {
            Some(&id) => id,
            None => {
                let value: std::sync::Arc<str> = s.into();
                let id = self.values.len() as u32;
                self.values.push(value.clone());
                self.ids.insert(value, id);
                id
            }
        };
        self.last = Some(id);
        id
    }

    /// The id of `s`, if interned.
    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    /// The string of id `id` (an id this interner gave).
    pub fn value(&self, id: u32) -> &std::sync::Arc<str> {
        &self.values[id as usize]
    }

    /// Number of strings interned.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no string is interned.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// Sequences of items (a stack's frame ids, or the bytes of a packed stack) interned to dense
/// ids (0, 1, ...): each distinct sequence is stored once, in one flat list, and found again by
/// its hash (the table holds ids only, 4 bytes a bucket: a large profile has hundreds of
/// thousands of stacks).
#[derive(Debug, Clone, Default)]
pub struct SeqInterner<T = u32> {
    items: Vec<T>,
    /// Start of sequence `id` in `items` at `starts[id]`, its end at `starts[id + 1]`.
    starts: Vec<usize>,
    index: hashbrown::HashTable<u32>,
}

fn hash_seq<T: std::hash::Hash>(seq: &[T]) -> u64 {
    use std::hash::BuildHasher;
    // A fixed seed: runs do the same work.
    foldhash::fast::FixedState::default().hash_one(seq)
}

impl<T: Copy + Eq + std::hash::Hash> SeqInterner<T> {
    /// The id of `seq`, interned when new.
    pub fn id(&mut self, seq: &[T]) -> u32 {
        let h = hash_seq(seq);
        if let Some(&id) = self.index.find(h, |&id| self.get(id) == seq) {
            return id;
        }
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        self.items.extend_from_slice(seq);
        self.starts.push(self.items.len());
        let id = self.len() as u32 - 1;
        let (starts, items) = (&self.starts, &self.items);
        self.index.insert_unique(h, id, |&id| hash_seq(&items[starts[id as usize]..starts[id as usize + 1]]));
        id
    }

    /// The sequence of id `id` (an id this interner gave).
    pub fn get(&self, id: u32) -> &[T] {
        &self.items[self.starts[id as usize]..self.starts[id as usize + 1]]
    }

    /// Number of sequences interned.
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// Whether no sequence is interned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total items in all sequences.
    pub fn items(&self) -> usize {
        self.items.len()
    }

    /// Frees the lookup table (no more sequences will come) and trims the lists to their length
    /// (grown by doubling, they hold up to twice that).
    pub fn drop_index(&mut self) {
        self.index = hashbrown::HashTable::new();
        self.items.shrink_to_fit();
        self.starts.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::SeqInterner;

    /// Equal sequences get one id, ids are dense from 0 in first-seen order, each sequence reads
    /// back as given (the empty one too), also once the lookup table is dropped.
    #[test]
    fn sequences_are_interned_once() {
        let mut s = SeqInterner::default();
        let seqs: [&[u32]; 6] = [&[4, 5, 6], &[4, 5], &[4, 5, 6], &[], &[6, 5, 4], &[4, 5]];
        let ids: Vec<u32> = seqs.iter().map(|q| s.id(q)).collect();
        assert_eq!(ids, [0, 1, 0, 2, 3, 1]);
        assert_eq!((s.len(), s.items()), (4, 3 + 2 + 3));
        s.drop_index();
        for (q, id) in seqs.iter().zip(ids) {
            assert_eq!(s.get(id), *q);
        }
    }
}
