//! The replaying half of frame and stack interning: the raw frame ids of the reading half
//! ([`super::callchain::FrameTable`]) become frame ids, one per distinct frame key, in order of
//! first sight; each sample's frame ids (leaf first) are interned as a stack, whose id the
//! sample row gets (0 = no frames), and the samples of each stack are counted.

use std::hash::BuildHasher;

use super::callchain::FrameKey;
use super::packed::PackedSeqs;
use crate::hash::FixedHasher;

/// Frame keys deduplicated into frame ids (1-based), and the frame id of every raw id.
#[derive(Debug, Default)]
pub struct FrameIds {
    /// Frames by id - 1.
    pub frames: Vec<FrameKey>,
    /// Frame ids, found by the hash of their key; the keys are looked up in `frames` (4 bytes
    /// a bucket instead of 24: millions of unique frames in a system-wide profile).
    frame_ids: hashbrown::HashTable<u32>,
    /// Frame id by raw id - 1.
    of_raw: Vec<u32>,
}

impl FrameIds {
    /// Takes the keys of the next raw ids (in raw id order).
    pub fn add_keys(&mut self, keys: &[FrameKey]) {
        for &key in keys {
            let id = self.frame(key);
            self.of_raw.push(id);
        }
    }

    fn frame(&mut self, key: FrameKey) -> u32 {
        let hash = |k: &FrameKey| FixedHasher::default().hash_one(k);
        let h = hash(&key);
        let frames = &self.frames;
        if let Some(&id) = self.frame_ids.find(h, |&id| frames[id as usize - 1] == key) {
            return id;
        }
        self.frames.push(key);
        let id = self.frames.len() as u32;
        let frames = &self.frames;
        self.frame_ids.insert_unique(h, id, |&id| hash(&frames[id as usize - 1]));
        id
    }

    /// Replaces `out` with the frame ids of raw ids `raw` (each one taken by [`FrameIds::add_keys`]).
    pub fn map(&self, raw: &[u32], out: &mut Vec<u32>) {
        out.clear();
        out.extend(raw.iter().map(|&r| self.of_raw[r as usize - 1]));
    }

    /// The frames (by id - 1); the lookup maps are freed.
    pub fn into_frames(self) -> Vec<FrameKey> {
        let mut frames = self.frames;
        frames.shrink_to_fit();
        frames
    }
}

/// Interned stacks of one perf.data, with their frames once every sample is in.
#[derive(Debug, Default)]
pub struct Stacks {
    /// Frames by id - 1 (from [`FrameIds`], when the samples are done).
    pub frames: Vec<FrameKey>,
    /// Stacks (frame ids, 1-based, leaf first); stack id = sequence id + 1.
    stacks: PackedSeqs,
    /// Samples per stack id (index 0 = the empty stack).
    pub stack_samples: Vec<u64>,
}

impl Stacks {
    /// Interns the stack of one sample (its frame ids, leaf first; empty = no frames) and
    /// counts the sample; returns the stack id.
    pub fn sample(&mut self, frames: &[u32]) -> i64 {
        let id = if frames.is_empty() { 0 } else { self.stack_id(frames) };
        let slot = id as usize;
        if self.stack_samples.len() <= slot {
            self.stack_samples.resize(slot + 1, 0);
        }
        self.stack_samples[slot] += 1;
        id
    }

    /// The id of the stack of `frames` (non-empty), interned when new.
    fn stack_id(&mut self, frames: &[u32]) -> i64 {
        i64::from(self.stacks.id(frames)) + 1
    }

    /// Frees the lookup map (no more samples will come): the stacks stay, their lists trimmed
    /// to their length (grown by doubling, they hold up to twice that, and the tables are
    /// written after this: the ingest's peak memory).
    pub fn drop_index(&mut self) {
        self.stacks.drop_index();
        self.stack_samples.shrink_to_fit();
    }

    /// The frames (by id - 1); the stacks are dropped.
    pub fn into_frames(self) -> Vec<FrameKey> {
        self.frames
    }

    /// Number of non-empty stacks.
    pub fn len(&self) -> usize {
        self.stacks.len()
    }

    /// Whether there is no non-empty stack.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces `out` with the frame ids (1-based) of stack `id` (1-based), leaf first.
    pub fn stack_into(&self, id: usize, out: &mut Vec<u32>) {
        out.clear();
        self.stacks.get_into(id as u32 - 1, out);
    }

    /// Whether some frame id of stack `id` (1-based) satisfies `pred` (read in order, up to the
    /// first that does).
    pub fn any_frame(&self, id: usize, pred: impl FnMut(u32) -> bool) -> bool {
        self.stacks.any(id as u32 - 1, pred)
    }

    /// Appends the frame ids of stacks `ids` to `items`, and each one's length to `lens`.
    pub fn stacks_into(&self, ids: std::ops::RangeInclusive<usize>, items: &mut Vec<u32>, lens: &mut Vec<usize>) {
        for id in ids {
            let before = items.len();
            self.stacks.get_into(id as u32 - 1, items);
            lens.push(items.len() - before);
        }
    }
}

#[cfg(test)]
mod tests {
    use linux_perf_data::linux_perf_event_reader::CpuMode;

    use super::super::callchain::{FrameTable, CONTEXT_KERNEL};
    use super::super::maps::Maps;
    use super::*;

    /// The reading half and the replaying half, as the ingest runs them.
    #[derive(Default)]
    struct Both {
        table: FrameTable,
        ids: FrameIds,
        stacks: Stacks,
        keys: Vec<FrameKey>,
    }

    impl Both {
        fn sample(&mut self, maps: &mut Maps, pid: i32, chain: Option<&[u64]>, ip: Option<u64>, mode: CpuMode) -> i64 {
            let mut raw = Vec::new();
            self.table.chain(maps, pid, chain, ip, mode, &[], &mut raw);
            self.keys.clear();
            self.table.take_keys(&mut self.keys);
            self.ids.add_keys(&self.keys);
            let mut frames = Vec::new();
            self.ids.map(&raw, &mut frames);
            self.stacks.sample(&frames)
        }
    }

    /// A cached address lookup holds only while the mappings are unchanged: once `addr` is
    /// mapped to another file, the next sample there gets that file's frame.
    #[test]
    fn the_frame_cache_follows_new_mappings() {
        let mut maps = Maps::default();
        let mut both = Both::default();
        let u = CpuMode::User;
        maps.add(7, 0x1000, 0x1000, 0, b"/bin/a", u, None);
        let first = both.sample(&mut maps, 7, None, Some(0x1010), u);
        assert_eq!(both.sample(&mut maps, 7, None, Some(0x1010), u), first, "same stack again");
        maps.add(7, 0x1000, 0x1000, 0, b"/bin/b", u, None);
        let second = both.sample(&mut maps, 7, None, Some(0x1010), u);
        assert_ne!(second, first, "a new mapping gives a new frame");
        // Another process at the same address: not the cached frame of pid 7.
        maps.add(8, 0x1000, 0x1000, 0x2000, b"/bin/a", u, None);
        let third = both.sample(&mut maps, 8, None, Some(0x1010), u);
        assert!(third != first && third != second);
        let dso_of = |id: i64| {
            let mut frames = Vec::new();
            both.stacks.stack_into(id as usize, &mut frames);
            match both.ids.frames[frames[0] as usize - 1] {
                FrameKey::User { dso, .. } => maps.dsos.list[dso as usize].name.clone(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!((dso_of(first), dso_of(second)), ("/bin/a".to_string(), "/bin/b".to_string()));
        assert_eq!(both.stacks.stack_samples.iter().sum::<u64>(), 4);
    }

    /// A key seen again under a new raw id (the cached lookups went stale when a mapping was
    /// added) is the same frame; a sample with no frames counts for the empty stack (id 0).
    #[test]
    fn raw_ids_of_one_key_are_one_frame_and_empty_stacks_are_id_0() {
        let mut maps = Maps::default();
        let mut both = Both::default();
        let (k, u) = (CpuMode::Kernel, CpuMode::User);
        assert_eq!(both.sample(&mut maps, 1, None, None, k), 0, "no callchain and no ip: no frame");
        let chain = [CONTEXT_KERNEL, 0xffff_1000, 0xffff_2000];
        let s = both.sample(&mut maps, 1, Some(&chain), None, k);
        assert_eq!(s, 1);
        // A mapping anywhere changes the version: the kernel addresses get new raw ids.
        maps.add(9, 0x1000, 0x1000, 0, b"/bin/a", u, None);
        assert_eq!(both.sample(&mut maps, 1, Some(&chain), None, k), s);
        assert_eq!(both.ids.of_raw, [1, 2, 1, 2], "four raw ids, two frames");
        assert_eq!(both.ids.frames.len(), 2);
        assert_eq!(both.stacks.stack_samples, [1, 2]);
    }
}
