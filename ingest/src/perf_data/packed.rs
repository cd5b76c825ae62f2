//! Interned sequences of `u32` (a stack's frame ids) stored packed: each sequence once, as
//! LEB128 varints of its first id and then of the zigzag difference to the previous id,
//! interned as bytes by [`SeqInterner`]. A system-wide profile has
//! millions of frame ids in its stacks, and the frames new to a stack come with consecutive
//! ids, so most take one byte instead of four (the stacks of the 175 MB bench recording: 38 MB
//! as `u32`s).

use std::ops::ControlFlow;

use model::intern::SeqInterner;

/// Sequences interned to dense ids (0, 1, ...).
#[derive(Debug, Default)]
pub struct PackedSeqs {
    seqs: SeqInterner<u8>,
    scratch: Vec<u8>,
}

fn push_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends the packed form of `seq` to `out`.
fn pack(seq: &[u32], out: &mut Vec<u8>) {
    let mut prev = 0u32;
    for (i, &x) in seq.iter().enumerate() {
        if i == 0 {
            push_varint(out, x);
        } else {
            let d = x.wrapping_sub(prev) as i32;
            push_varint(out, ((d << 1) ^ (d >> 31)) as u32);
        }
        prev = x;
    }
}

/// Calls `f` with each id of a packed sequence, in order, until it breaks. Most steps take one
/// byte: those are read without entering the multi-byte loop (every stack is unpacked twice
/// after the samples: for its `perf_stacks` row, and to find the stacks that touch a DSO
/// without symbols).
#[inline(always)]
fn decode(bytes: &[u8], mut f: impl FnMut(u32) -> ControlFlow<()>) -> ControlFlow<()> {
    let mut at = 0;
    let mut next = || {
        let b = *bytes.get(at)?;
        at += 1;
        if b < 0x80 {
            return Some(u32::from(b));
        }
        let (mut v, mut shift) = (u32::from(b & 0x7f), 7);
        while let Some(&b) = bytes.get(at) {
            at += 1;
            v |= u32::from(b & 0x7f) << shift;
            shift += 7;
            if b < 0x80 {
                break;
            }
        }
        Some(v)
    };
    let Some(mut prev) = next() else { return ControlFlow::Continue(()) };
    f(prev)?;
    while let Some(v) = next() {
        prev = prev.wrapping_add((((v >> 1) as i32) ^ -((v & 1) as i32)) as u32);
        f(prev)?;
    }
    ControlFlow::Continue(())
}

/// Appends the ids of a packed sequence to `out`.
fn unpack(bytes: &[u8], out: &mut Vec<u32>) {
    let _ = decode(bytes, |id| {
        out.push(id);
        ControlFlow::Continue(())
    });
}

impl PackedSeqs {
    /// The id of `seq`, interned when new.
    pub fn id(&mut self, seq: &[u32]) -> u32 {
        self.scratch.clear();
        pack(seq, &mut self.scratch);
        self.seqs.id(&self.scratch)
    }

    /// Whether some id of sequence `id` (an id this interner gave) satisfies `pred`; the ids are
    /// read in order, up to the first that does, and not stored.
    pub fn any(&self, id: u32, mut pred: impl FnMut(u32) -> bool) -> bool {
        decode(self.seqs.get(id), |f| if pred(f) { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
            .is_break()
    }

    /// Appends the sequence of id `id` (an id this interner gave) to `out`.
    pub fn get_into(&self, id: u32, out: &mut Vec<u32>) {
        unpack(self.seqs.get(id), out);
    }

    /// Number of sequences interned.
    pub fn len(&self) -> usize {
        self.seqs.len()
    }

    /// Whether no sequence is interned.
    pub fn is_empty(&self) -> bool {
        self.seqs.is_empty()
    }

    /// Bytes the sequences take.
    pub fn packed_bytes(&self) -> usize {
        self.seqs.items()
    }

    /// Frees the lookup table (no more sequences will come) and trims the lists to their length.
    pub fn drop_index(&mut self) {
        self.seqs.drop_index();
        self.scratch = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sequences come back as they went in, whatever their steps (up, down, by the whole `u32`
    /// range); equal sequences get one id; consecutive ids take a byte each.
    #[test]
    fn sequences_round_trip_and_are_interned_once() {
        let seqs: Vec<Vec<u32>> = vec![
            vec![1],
            vec![5, 6, 7, 8],
            vec![1_410_772, 3, 1_410_771, 0, u32::MAX, 0, u32::MAX],
            vec![127, 128, 16_383, 16_384, 2_097_151, 2_097_152],
            vec![5, 6, 7],
            vec![5, 6, 7, 8],
        ];
        let mut p = PackedSeqs::default();
        let ids: Vec<u32> = seqs.iter().map(|s| p.id(s)).collect();
        assert_eq!(ids, [0, 1, 2, 3, 4, 1]);
        assert_eq!(p.len(), 5);
        p.drop_index();
        for (s, &id) in seqs.iter().zip(&ids) {
            let mut out = vec![42];
            p.get_into(id, &mut out);
            assert_eq!(out[1..], s[..], "sequence {id}");
        }
        for (s, &id) in seqs.iter().zip(&ids) {
            for &x in s {
                let mut read = 0;
                assert!(p.any(id, |f| {
                    read += 1;
                    f == x
                }));
                assert_eq!(read, s.iter().position(|&y| y == x).unwrap() + 1, "read up to the first match");
            }
            assert!(!p.any(id, |f| f == 2), "sequence {id} holds no 2");
        }
        let mut q = PackedSeqs::default();
        q.id(&(1000..1100).collect::<Vec<u32>>());
        assert_eq!(q.packed_bytes(), 2 + 99, "the first id in two bytes, each step of one in one");
    }
}
