//! Folded stacks (`comm;root;...;leaf count`, per event) straight from the Parquet batches of
//! `perf_frames`, `perf_stacks` and `perf_samples`, without a row struct per row: a system-wide
//! profile has millions of stack positions and samples, and holding them as rows (a `String`
//! per cell) took gigabytes. Frame names are interned, stacks kept as name ids (root first), and
//! samples counted per (event, comm, stack) before any line is built.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use arrow::array::Array;
use foldhash::{HashMap, HashMapExt};
use model::id_map::IdMap;
use model::intern::{Interner, SeqInterner};
use model::read::{for_each_batch_dict, i64_lists, interned};
use model::tables::perf_frames::{self, PerfFrameRow};
use model::tables::perf_samples::{self, PerfSampleRow};
use model::tables::perf_stacks::{self, PerfStackRow};
use model::Table;
use rayon::prelude::*;

use crate::ReportError;

mod prune;

/// The folded stacks of one event.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldedText {
    /// `comm;root;...;leaf count` lines, one per distinct line, sorted (byte order), each
    /// newline-terminated.
    pub text: String,
    /// Samples (the sum of the counts).
    pub samples: u64,
    /// Lines.
    pub lines: usize,
    /// Fewer lines inferno draws the same flamegraph from (frames too narrow to be drawn
    /// merged: [`prune`]), when there are such.
    pub flame: Option<String>,
}

impl FoldedText {
    /// The lines inferno draws the event's flamegraph from, and their order: the merged lines
    /// when there are such, else the whole text.
    pub(crate) fn flame_lines(&self) -> (&str, crate::flame::LineOrder) {
        match &self.flame {
            Some(lines) => (lines, crate::flame::LineOrder::Drawn),
            None => (&self.text, crate::flame::LineOrder::Any),
        }
    }
}

/// Event → its folded stacks.
pub type Folded = BTreeMap<String, FoldedText>;

/// Selects samples by (source, line).
pub type Keep<'a> = &'a dyn Fn(&str, i64) -> bool;

/// Column accessors of a record batch (errors name the table and column).
pub(crate) use model::read::{i64_column as ints, str_at as at, str_column as strings};

/// A frame's name in a folded line (unknown functions named after their dso's file name);
/// borrowed unless it had to change (a large profile has over a million frames).
fn frame_name<'a>(function: &'a str, dso: Option<&str>) -> Cow<'a, str> {
    let name = match (function, dso) {
        ("" | "[unknown]", Some(dso)) if !dso.is_empty() && dso != "[unknown]" => {
            Cow::Owned(format!("[{}]", &dso[dso.rfind('/').map_or(0, |i| i + 1)..]))
        }
        ("", _) => Cow::Borrowed("[unknown]"),
        (func, _) => Cow::Borrowed(func),
    };
    if name.contains([';', '\n', '\r']) {
        Cow::Owned(name.replace(';', ":").replace(['\n', '\r'], " "))
    } else {
        name
    }
}

/// Frame name ids by (source, frame id).
type FrameNames = IdMap<u32>;

/// Marks a frame id with no name.
const NO_NAME: u32 = u32::MAX;

/// Stacks by (source, stack id), as frame name ids (root first): each distinct sequence is
/// stored once ([`SeqInterner`]), many stacks having the same names (addresses in the same
/// functions), and its sequence id identifies it.
struct StackStore {
    seqs: SeqInterner,
    /// Sequence id by (source, stack id).
    ids: IdMap<u32>,
    scratch: Vec<u32>,
}

/// The sequence of an empty or absent stack (no sequence id is this large).
const NO_FRAMES: u32 = u32::MAX;

impl Default for StackStore {
    fn default() -> Self {
        StackStore { seqs: SeqInterner::default(), ids: IdMap::new(NO_FRAMES), scratch: Vec::new() }
    }
}

impl StackStore {
    /// Stores a stack (replacing one stored under `key`), sharing the frames of an equal
    /// sequence stored before.
    fn insert(&mut self, key: (u32, i64), frames: impl IntoIterator<Item = u32>) {
        self.scratch.clear();
        self.scratch.extend(frames);
        let seq = self.seqs.id(&self.scratch);
        self.ids.insert(key, seq);
    }

    #[cfg(test)]
    fn get(&self, key: (u32, i64)) -> Option<&[u32]> {
        self.ids.get(key).map(|seq| self.seqs.get(seq))
    }

    /// The sequence id of the stack under `key` ([`NO_FRAMES`] for none): equal sequences have
    /// the same id.
    fn sequence(&self, key: (u32, i64)) -> u32 {
        self.ids.get(key).unwrap_or(NO_FRAMES)
    }

    /// The frames of a sequence from [`StackStore::sequence`].
    fn frames_of(&self, seq: u32) -> &[u32] {
        if seq == NO_FRAMES {
            &[]
        } else {
            self.seqs.get(seq)
        }
    }

    /// Frees the lookup table and spare capacity once every stack is in.
    fn shrink(&mut self) {
        self.seqs.drop_index();
        self.scratch = Vec::new();
    }
}

/// The frames and stacks of one run, ready to fold samples onto.
pub struct Folder {
    sources: Interner,
    names: Interner,
    /// (source, stack id) → frame name ids, root first.
    stacks: StackStore,
}

impl Folder {
    /// Reads the run's `perf_frames` and `perf_stacks`.
    pub fn load(dataset: &Path, run: &str) -> Result<Self, ReportError> {
        let err = |table| move |source| ReportError::Read { table, run: run.to_string(), source };
        let (mut sources, mut names) = (Interner::default(), Interner::default());
        let mut frame_names = FrameNames::new(NO_NAME);
        for_each_batch_dict::<PerfFrameRow>(dataset, run, &[perf_frames::col::source], |b| {
            use perf_frames::col as c;
            let t = PerfFrameRow::NAME;
            let (source, id) = (interned(b, t, c::source, &mut sources)?, ints(b, t, c::frame_id)?);
            let (function, dso) = (strings(b, t, c::function)?, strings(b, t, c::dso)?);
            for (i, &src) in source.iter().enumerate() {
                let d = (!dso.is_null(i)).then(|| dso.value(i));
                let name = names.id(&frame_name(at(function, i), d));
                frame_names.insert((src, id.value(i)), name);
            }
            Ok(())
        })
        .map_err(err(PerfFrameRow::NAME))?;
        let unknown = names.id("[unknown]");
        // One row per stack (a stack given twice keeps its last row).
        let mut stacks = StackStore::default();
        for_each_batch_dict::<PerfStackRow>(dataset, run, &[perf_stacks::col::source], |b| {
            use perf_stacks::col as c;
            let t = PerfStackRow::NAME;
            let (source, stack) = (interned(b, t, c::source, &mut sources)?, ints(b, t, c::stack_id)?);
            let frames = i64_lists(b, t, c::frame_ids)?;
            for (i, &src) in source.iter().enumerate() {
                // Leaf first as stored: root first here.
                let names = frames.row(i).iter().rev().map(|&f| frame_names.get((src, f)).unwrap_or(unknown));
                stacks.insert((src, stack.value(i)), names);
            }
            Ok(())
        })
        .map_err(err(PerfStackRow::NAME))?;
        stacks.shrink();
        Ok(Folder { sources, names, stacks })
    }

    /// The run's samples folded per event; `keep(source, line)` selects samples (all when
    /// `None`). Frame-less samples fold to the bare comm.
    pub fn fold(&mut self, dataset: &Path, run: &str, keep: Option<Keep<'_>>) -> Result<Folded, ReportError> {
        let mut events = Interner::default();
        let mut comms = Interner::default();
        // Samples are counted per (event, comm, stored frame sequence): many stacks fold to the
        // same names (addresses in one function), so each folded line is built once.
        let mut counts: HashMap<(u32, u32, u32), u64> = HashMap::new();
        let (sources, stacks) = (&mut self.sources, &self.stacks);
        use perf_samples::col as c;
        for_each_batch_dict::<PerfSampleRow>(dataset, run, &[c::source, c::event, c::comm], |b| {
            let t = PerfSampleRow::NAME;
            let (source, line) = (interned(b, t, c::source, sources)?, ints(b, t, c::line)?);
            let (event, comm) = (interned(b, t, c::event, &mut events)?, interned(b, t, c::comm, &mut comms)?);
            let stack = ints(b, t, c::stack_id)?;
            for i in 0..b.num_rows() {
                if keep.is_some_and(|k| !k(sources.value(source[i]), line.value(i))) {
                    continue;
                }
                let id = stack.value(i);
                let seq = if id == 0 { NO_FRAMES } else { stacks.sequence((source[i], id)) };
                *counts.entry((event[i], comm[i], seq)).or_default() += 1;
            }
            Ok(())
        })
        .map_err(|source| ReportError::Read { table: PerfSampleRow::NAME, run: run.to_string(), source })?;
        let comm_names: Vec<String> = (0..comms.len() as u32)
            .map(|c| comms.value(c).replace(' ', "_").replace(';', ":").replace(['\n', '\r'], "_"))
            .collect();
        let mut keys: Vec<Vec<LineKey>> = vec![Vec::new(); events.len()];
        for ((event, comm, seq), n) in counts {
            keys[event as usize].push(LineKey { comm, frames: self.stacks.frames_of(seq), samples: n });
        }
        let lines = Lines { comm_names: &comm_names, names: &self.names };
        let mut out = Folded::new();
        for (event, mut keys) in keys.into_iter().enumerate() {
            if keys.is_empty() {
                continue;
            }
            lines.sort(&mut keys);
            let folded = lines.folded(&keys, inferno::flamegraph::Options::default().min_width);
            out.insert(events.value(event as u32).to_string(), folded);
        }
        Ok(out)
    }
}

/// One folded line before it is printed: comm, stored frame sequence and samples.
#[derive(Debug, Clone, Copy)]
struct LineKey<'a> {
    /// Frame name ids, root first (the stored sequence: read in place).
    frames: &'a [u32],
    samples: u64,
    comm: u32,
}

/// What prints [`LineKey`]s: `comm;root;...;leaf` is the comm's name, then each frame's name,
/// joined by `;` (which no name holds).
struct Lines<'a> {
    comm_names: &'a [String],
    names: &'a Interner,
}

impl Lines<'_> {
    /// Sorts `keys` in the byte order of their lines, without building them first (the frames
    /// two stacks share, most of a line, compare as ids; on every core), and merges those that
    /// print alike (two comms can: `a b` and `a_b`).
    fn sort(&self, keys: &mut Vec<LineKey>) {
        keys.par_sort_unstable_by(|a, b| self.cmp(a, b));
        keys.dedup_by(|later, kept| {
            let same = self.cmp(later, kept).is_eq();
            if same {
                kept.samples += later.samples;
            }
            same
        });
    }

    /// The byte order of the two lines' `comm;root;...;leaf` texts (as sorting the strings
    /// would give), comparing names as ids where they are the same: the shared run of ids is
    /// skipped a chunk at a time, and names are read only where the ids differ.
    fn cmp(&self, a: &LineKey, b: &LineKey) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let (fa, fb) = (a.frames, b.frames);
        let (na, nb) = (fa.len() + 1, fb.len() + 1);
        if a.comm != b.comm {
            let (x, y) = (self.comm_names[a.comm as usize].as_str(), self.comm_names[b.comm as usize].as_str());
            let order = name_order(x, y, 1 < na, 1 < nb);
            if order != Ordering::Equal {
                return order;
            }
        }
        let shared = fa.len().min(fb.len());
        let mut at = 0;
        while let Some(k) = first_difference(&fa[at..shared], &fb[at..shared]).map(|d| at + d) {
            // Frame `k` is name `k + 1` of the line (the comm is name 0).
            let order = name_order(self.names.value(fa[k]), self.names.value(fb[k]), k + 2 < na, k + 2 < nb);
            if order != Ordering::Equal {
                return order;
            }
            at = k + 1;
        }
        na.cmp(&nb)
    }

    /// The names of `k`'s line, comm first.
    fn names_of<'s, 'k: 's>(&'s self, k: &LineKey<'k>) -> impl Iterator<Item = &'s str> + 's {
        let frames = k.frames;
        std::iter::once(self.comm_names[k.comm as usize].as_str()).chain(frames.iter().map(|&f| &**self.names.value(f)))
    }

    /// The folded text of `keys` (in order): `line count` lines, newline-terminated, and the
    /// samples and lines it holds.
    fn text<'k>(&self, keys: &[LineKey<'k>]) -> FoldedText {
        let names = |k: &LineKey<'k>| self.names_of(k);
        let digits = |n: u64| n.checked_ilog10().unwrap_or(0) as usize + 1;
        let line_len = |k: &LineKey<'k>| names(k).map(|n| n.len() + 1).sum::<usize>() + digits(k.samples) + 1;
        // Printed on every core, each part of the lines into its own part of one buffer sized
        // exactly (a system-wide profile's text is tens of MB).
        let parts: Vec<(&[LineKey], usize)> =
            keys.par_chunks(TEXT_PART_LINES).map(|part| (part, part.iter().map(line_len).sum())).collect();
        let mut buf = vec![0u8; parts.iter().map(|p| p.1).sum()];
        let mut rest = &mut buf[..];
        let mut jobs = Vec::with_capacity(parts.len());
        for (part, len) in parts {
            let (out, tail) = rest.split_at_mut(len);
            jobs.push((part, out));
            rest = tail;
        }
        jobs.into_par_iter().for_each(|(part, mut out)| {
            for k in part {
                for (i, name) in names(k).enumerate() {
                    let sep: &[u8] = if i > 0 { b";" } else { b"" };
                    out = put(put(out, sep), name.as_bytes());
                }
                let mut count = [0u8; 20];
                let n = digits(k.samples);
                let mut v = k.samples;
                for d in count[..n].iter_mut().rev() {
                    *d = b'0' + (v % 10) as u8;
                    v /= 10;
                }
                out = put(put(put(out, b" "), &count[..n]), b"\n");
            }
        });
        // Names are `str`s: the bytes are UTF-8.
        let text = String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        FoldedText { text, samples: keys.iter().map(|k| k.samples).sum(), lines: keys.len(), flame: None }
    }
}

/// Lines printed per part of a folded text (by one core); a few in tests, so that their texts
/// are printed in many parts.
const TEXT_PART_LINES: usize = if cfg!(test) { 7 } else { 16 << 10 };

/// Copies `bytes` to the start of `out`; returns the rest of `out`.
fn put<'a>(out: &'a mut [u8], bytes: &[u8]) -> &'a mut [u8] {
    let (head, tail) = out.split_at_mut(bytes.len());
    head.copy_from_slice(bytes);
    tail
}

/// The byte order of two names as they stand in their lines: each is followed by `;` when
/// more names come (`more_x`, `more_y`), else by the line's end.
fn name_order(x: &str, y: &str, more_x: bool, more_y: bool) -> std::cmp::Ordering {
    let common = x.bytes().zip(y.bytes()).take_while(|(p, q)| p == q).count();
    let next = |s: &str, more: bool| s.as_bytes().get(common).copied().or(more.then_some(b';'));
    next(x, more_x).cmp(&next(y, more_y))
}

/// The first index where two id runs of one length differ: compared eight ids at a time
/// (stacks share long runs from the root), then one by one in the chunk that differs.
fn first_difference(a: &[u32], b: &[u32]) -> Option<usize> {
    const CHUNK: usize = 8;
    let mut offset = 0;
    for (ca, cb) in a.chunks(CHUNK).zip(b.chunks(CHUNK)) {
        if ca != cb {
            return ca.iter().zip(cb).position(|(x, y)| x != y).map(|i| offset + i);
        }
        offset += ca.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stacks in order land in the per-source vectors, far ids in the map, where they stay even
    /// once the dense bound has grown past them; a stack stored again is replaced; an absent
    /// stack is `None`.
    #[test]
    fn stack_store_dense_sparse_and_replacement() {
        let mut s = StackStore::default();
        let far = 70_000;
        s.insert((0, far), [9, 8]);
        for id in 1..=40_000 {
            s.insert((0, id), [id as u32, 1]);
        }
        // The bound (2 x 40,001 + 65,536) now covers `far`, which must still be found and
        // replaced in the map.
        assert_eq!(s.get((0, far)), Some(&[9, 8][..]));
        s.insert((0, far), [7]);
        assert_eq!(s.get((0, far)), Some(&[7][..]));
        assert_eq!(s.ids.sparse_len(), 1, "a far id stays in the map");
        assert_eq!(s.get((0, 40_000)), Some(&[40_000, 1][..]));
        s.insert((0, 5), [3, 3]);
        assert_eq!(s.get((0, 5)), Some(&[3, 3][..]));
        assert_eq!((s.get((0, 40_001)), s.get((1, 1)), s.get((0, -1))), (None, None, None));
        s.insert((1, -4), [3]);
        assert_eq!(s.get((1, -4)), Some(&[3][..]));
    }

    /// Stacks with the same names share one stored sequence (and so fold to one line), in any
    /// source; different names, a prefix, or an empty stack do not.
    #[test]
    fn equal_sequences_are_stored_once() {
        let mut s = StackStore::default();
        s.insert((0, 1), [4, 5, 6]);
        s.insert((0, 2), [4, 5, 6]);
        s.insert((1, 9), [4, 5, 6]);
        s.insert((0, 3), [4, 5]);
        s.insert((0, 4), [6, 5, 4]);
        s.insert((0, 5), []);
        let seq = |k| s.sequence(k);
        assert!(seq((0, 1)) == seq((0, 2)) && seq((0, 1)) == seq((1, 9)));
        assert!(seq((0, 1)) != seq((0, 3)) && seq((0, 1)) != seq((0, 4)));
        assert_eq!(s.frames_of(seq((1, 9))), &[4, 5, 6]);
        assert_eq!(s.frames_of(seq((0, 3))), &[4, 5]);
        assert_eq!((s.frames_of(seq((0, 5))), s.frames_of(seq((0, 77)))), (&[][..], &[][..]));
        assert_eq!(s.seqs.items(), 3 + 2 + 3, "each distinct sequence stored once");
    }

    /// Lines sorted by [`Lines::cmp`] come out as sorting their texts would put them, and
    /// compare equal only when their texts are equal: names that are prefixes of others, names
    /// with bytes below and above `;` (space, digits, `:`, letters), empty stacks, two comms
    /// printing alike, and long stacks that share runs of names.
    #[test]
    fn lines_sort_as_their_texts() {
        let comm_names: Vec<String> = ["a", "a_b", "a_b", "a1", "b", ""].iter().map(|s| s.to_string()).collect();
        let mut names = Interner::default();
        let pool: Vec<u32> =
            ["f", "f ", "f 1x", "f1", "f:", "fa", "g", "", "f\t"].iter().map(|n| names.id(n)).collect();
        let mut stacks = StackStore::default();
        let mut keys = Vec::new();
        let mut stack_id = 0;
        // Every stack of up to two names from the pool, and a few longer ones.
        let mut seqs: Vec<Vec<u32>> = vec![vec![]];
        for &x in &pool {
            seqs.push(vec![x]);
            for &y in &pool {
                seqs.push(vec![x, y]);
            }
        }
        seqs.push(vec![pool[0], pool[0], pool[1]]);
        seqs.push(vec![pool[0], pool[0], pool[3], pool[6]]);
        // Long stacks sharing runs across the eight-id chunks `cmp` skips at a time: cut at,
        // and differing at, either side of a chunk's end.
        let long: Vec<u32> = (0..19).map(|i| pool[i * 5 % pool.len()]).collect();
        for cut in [7, 8, 9, 15, 16, 17, 19] {
            seqs.push(long[..cut].to_vec());
            for &last in &pool[..3] {
                seqs.push(long[..cut].iter().copied().chain([last]).collect());
            }
        }
        for seq in &seqs {
            stack_id += 1;
            stacks.insert((0, stack_id), seq.iter().copied());
        }
        for id in 1..=stack_id {
            for comm in 0..comm_names.len() as u32 {
                keys.push(LineKey { comm, frames: stacks.frames_of(stacks.sequence((0, id))), samples: 1 });
            }
        }
        let lines = Lines { comm_names: &comm_names, names: &names };
        let text = |k: &LineKey| {
            let frames = k.frames.iter().map(|&f| names.value(f).to_string());
            std::iter::once(comm_names[k.comm as usize].clone()).chain(frames).collect::<Vec<_>>().join(";")
        };
        for a in &keys {
            for b in &keys {
                assert_eq!(lines.cmp(a, b), text(a).cmp(&text(b)), "{:?} vs {:?}", text(a), text(b));
            }
        }
        let mut sorted = keys.clone();
        sorted.sort_by(|a, b| lines.cmp(a, b));
        let folded = lines.text(&sorted);
        // Sorted by stack, as `inferno-collapse-perf` writes them (not by the whole line).
        let mut expected: Vec<String> = keys.iter().map(text).collect();
        expected.sort();
        assert_eq!(folded.text, expected.iter().map(|t| format!("{t} 1\n")).collect::<String>());
        assert_eq!((folded.samples, folded.lines), (keys.len() as u64, keys.len()));
    }

    /// The first differing index of two runs, found chunk by chunk, is the one a plain scan finds.
    #[test]
    fn first_difference_finds_the_first_differing_id() {
        let a: Vec<u32> = (0..40).collect();
        assert_eq!(first_difference(&a, &a), None);
        assert_eq!(first_difference(&[], &[]), None);
        for at in 0..40 {
            let mut b = a.clone();
            b[at] += 100;
            b[39] += 1000;
            assert_eq!(first_difference(&a, &b), Some(at), "difference at {at}");
        }
    }
}
