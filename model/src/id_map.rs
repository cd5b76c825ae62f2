//! Values by (source, id) for ids a source numbers 1..n, as tracefold numbers frames and
//! stacks (readers of `perf_frames` and `perf_stacks` key their lookups this way): a vector per
//! source, indexed by id; ids far beyond the values seen, or negative (other writers' tables),
//! go to a map, and a key that went there stays there.

use foldhash::{HashMap, HashMapExt};

/// Values by (interned source, id); `empty` marks a slot with no value.
#[derive(Debug, Clone)]
pub struct IdMap<V> {
    dense: Vec<Vec<V>>,
    sparse: HashMap<(u32, i64), V>,
    count: usize,
    empty: V,
}

impl<V: Copy + PartialEq> IdMap<V> {
    /// An empty map; `empty` is a value never stored (it marks free slots).
    pub fn new(empty: V) -> Self {
        Self { dense: Vec::new(), sparse: HashMap::new(), count: 0, empty }
    }

    fn slot(&mut self, (source, id): (u32, i64)) -> &mut V {
        let empty = self.empty;
        if self.sparse.contains_key(&(source, id)) {
            return self.sparse.entry((source, id)).or_insert(empty);
        }
        // Dense up to twice the values stored (plus a start): ids are dense from 1.
        let bound = 2 * self.count + 65_536;
        match usize::try_from(id).ok().filter(|&i| i < bound) {
            Some(i) => {
                if self.dense.len() <= source as usize {
                    self.dense.resize(source as usize + 1, Vec::new());
                }
                let v = &mut self.dense[source as usize];
                if v.len() <= i {
                    v.resize(i + 1, empty);
                }
                &mut v[i]
            }
            None => self.sparse.entry((source, id)).or_insert(empty),
        }
    }

    /// Stores `value` under `key`, replacing what was there.
    pub fn insert(&mut self, key: (u32, i64), value: V) {
        self.count += 1;
        *self.slot(key) = value;
    }

    /// The value under `key`.
    pub fn get(&self, (source, id): (u32, i64)) -> Option<V> {
        let dense = usize::try_from(id).ok().and_then(|i| self.dense.get(source as usize)?.get(i).copied());
        let found = match dense {
            Some(v) if v != self.empty => Some(v),
            _ => self.sparse.get(&(source, id)).copied(),
        };
        found.filter(|v| *v != self.empty)
    }

    /// Number of keys held in the map rather than the vectors.
    pub fn sparse_len(&self) -> usize {
        self.sparse.len()
    }
}

#[cfg(test)]
mod tests {
    use super::IdMap;

    /// Ids in order land in the per-source vectors, far or negative ids in the map, where they
    /// stay even once the dense bound has grown past them; absent ids and sources are `None`.
    #[test]
    fn dense_and_sparse_ids() {
        let mut f = IdMap::new(u32::MAX);
        f.insert((0, 200_000), 1);
        for id in 1..=70_000 {
            f.insert((0, id), id as u32 * 2);
        }
        f.insert((1, 5), 7);
        f.insert((1, 1 << 40), 8);
        f.insert((0, -3), 9);
        assert_eq!(f.get((0, 70_000)), Some(140_000));
        assert_eq!((f.get((1, 5)), f.get((1, 1 << 40)), f.get((0, -3))), (Some(7), Some(8), Some(9)));
        assert_eq!((f.get((0, 0)), f.get((0, 70_001)), f.get((1, 4)), f.get((2, 1))), (None, None, None, None));
        // The bound (2 x 70,001 + 65,536) now covers 200,000, which is still in the map.
        assert_eq!(f.get((0, 200_000)), Some(1));
        f.insert((0, 200_000), 3);
        assert_eq!((f.get((0, 200_000)), f.sparse_len()), (Some(3), 3));
    }
}
