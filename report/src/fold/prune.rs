//! The lines inferno draws an event's flamegraph from: far fewer than the folded text's, for the
//! same SVG.
//!
//! inferno leaves out of the SVG every frame narrower than its minimum width (`min_width`, a
//! percentage of all samples: 0.1 % by default), and all frames above it. A frame is a run of
//! consecutive lines (in inferno's order) sharing the names up to it, and where each frame starts
//! and ends follows from how many names each line shares with the one before. So the run under
//! a frame left out whose parent is drawn can become one line ending at the parent, adjacent
//! such runs under one parent one line together (a frame-less comm left out: one line naming
//! it): every drawn frame keeps its place, width, depth and order. A system-wide profile's
//! 600K lines become a few thousand. The lines are no longer sorted: inferno reads them in the
//! order given (see `crate::flame::flamegraph_svg`).
//!
//! This holds only where inferno would read the folded text's lines as they are printed: in its
//! order (the byte order of whole lines), and with no name changed by its trimming (a comm
//! starting or ending with whitespace, or empty; a last name ending with whitespace).

use super::{FoldedText, LineKey, Lines};

/// A frame open at the line being walked: the line it starts at, the samples before it, and the
/// length of the pending list when it opened (its narrow children follow).
struct Open {
    line: usize,
    time: u64,
    mark: usize,
}

/// The lines `[start, end)` under one frame left out, at `depth` (0 = the comm), with their
/// samples.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: usize,
    end: usize,
    depth: usize,
    samples: u64,
}

/// The frames open at a line, and the runs found so far.
struct Walk {
    /// Frames narrower than this many samples are not drawn (inferno's arithmetic).
    min_time: f64,
    open: Vec<Open>,
    /// Narrow frames whose parent is still open.
    pending: Vec<Run>,
    /// Narrow frames whose parent is drawn.
    runs: Vec<Run>,
}

impl Walk {
    /// Closes the frames deeper than `depth` at line `line`, `time` samples in.
    fn close(&mut self, depth: usize, line: usize, time: u64) {
        while self.open.len() > depth {
            let Some(f) = self.open.pop() else { break };
            let width = time - f.time;
            if (width as f64) < self.min_time {
                // Left out, and all above it: it stands for its narrow children.
                self.pending.truncate(f.mark);
                self.pending.push(Run { start: f.line, end: line, depth: self.open.len(), samples: width });
            } else {
                self.runs.extend(self.pending.drain(f.mark..));
            }
        }
    }
}

impl Lines<'_> {
    /// The folded text of `keys` (in order), and the lines inferno draws its flamegraph from with
    /// frames narrower than `min_width` percent of the samples left out; no such lines when the
    /// text has to be given to inferno whole (see the module doc). (Merging beside the printing,
    /// itself on every core, was slower.)
    pub(super) fn folded(&self, keys: &[LineKey], min_width: f64) -> FoldedText {
        let mut folded = self.text(keys);
        // inferno reads the lines in the order printed only if that is its order.
        if folded.text.lines().is_sorted() {
            folded.flame = self.merged_lines(keys, min_width);
        }
        folded
    }

    /// The lines (in order, each `names count`) of [`Lines::folded`], whose text is in inferno's
    /// order.
    fn merged_lines(&self, keys: &[LineKey], min_width: f64) -> Option<String> {
        let total: u64 = keys.iter().map(|k| k.samples).sum();
        let mut comm_used = vec![false; self.comm_names.len()];
        keys.iter().for_each(|k| comm_used[k.comm as usize] = true);
        let comms_kept =
            self.comm_names.iter().zip(comm_used).all(|(n, used)| !used || (!n.is_empty() && n.trim() == n));
        let names_kept = (0..self.names.len() as u32).all(|i| {
            let n: &str = self.names.value(i);
            n.trim_end() == n
        });
        if total == 0 || !comms_kept || !names_kept {
            return None;
        }
        let min_time = min_width / (100.0 / total as f64);
        let mut walk = Walk { min_time, open: Vec::new(), pending: Vec::new(), runs: Vec::new() };
        let mut time = 0u64;
        for (i, k) in keys.iter().enumerate() {
            let depth = if i == 0 { 0 } else { self.shared_names(&keys[i - 1], k) };
            walk.close(depth, i, time);
            let names = k.frames.len() + 1;
            while walk.open.len() < names {
                walk.open.push(Open { line: i, time, mark: walk.pending.len() });
            }
            time += k.samples;
        }
        walk.close(0, keys.len(), time);
        // The root ("all") is always drawn.
        let mut runs = walk.runs;
        runs.append(&mut walk.pending);
        runs.sort_unstable_by_key(|r| r.start);
        let mut out = String::new();
        // A line ending at a drawn parent, gathering the adjacent runs under it: (line, names,
        // samples).
        let mut parent: Option<(usize, usize, u64)> = None;
        let (mut i, mut next) = (0, runs.iter().peekable());
        while i < keys.len() {
            match next.next_if(|r| r.start == i) {
                Some(r) if r.depth > 0 => {
                    match &mut parent {
                        Some((line, names, samples))
                            if *names == r.depth && self.shared_names(&keys[*line], &keys[i]) >= r.depth =>
                        {
                            *samples += r.samples
                        }
                        _ => {
                            if let Some((line, names, samples)) = parent.take() {
                                self.push_line(&mut out, &keys[line], names, samples);
                            }
                            parent = Some((i, r.depth, r.samples));
                        }
                    }
                    i = r.end;
                }
                r => {
                    if let Some((line, names, samples)) = parent.take() {
                        self.push_line(&mut out, &keys[line], names, samples);
                    }
                    // A comm left out names itself; a line with every frame drawn is kept.
                    let (names, samples, end) = match r {
                        Some(r) => (1, r.samples, r.end),
                        None => (usize::MAX, keys[i].samples, i + 1),
                    };
                    self.push_line(&mut out, &keys[i], names, samples);
                    i = end;
                }
            }
        }
        if let Some((line, names, samples)) = parent {
            self.push_line(&mut out, &keys[line], names, samples);
        }
        Some(out)
    }

    /// How many leading names (comm first) the two lines print alike.
    fn shared_names(&self, a: &LineKey, b: &LineKey) -> usize {
        if a.comm != b.comm && self.comm_names[a.comm as usize] != self.comm_names[b.comm as usize] {
            return 0;
        }
        let shared = a.frames.len().min(b.frames.len());
        1 + super::first_difference(&a.frames[..shared], &b.frames[..shared]).unwrap_or(shared)
    }

    /// Appends the first `names` names (comm first) of `k` and `samples`, as a folded line.
    fn push_line(&self, out: &mut String, k: &LineKey, names: usize, samples: u64) {
        for (i, name) in self.names_of(k).take(names).enumerate() {
            if i > 0 {
                out.push(';');
            }
            out.push_str(name);
        }
        out.push(' ');
        out.push_str(&samples.to_string());
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{LineKey, Lines, StackStore};
    use crate::flame::{flamegraph_svg, LineOrder};
    use model::intern::Interner;

    /// A profile of many thin stacks and a few heavy ones, over names that sort around `;` (so
    /// merged lines fall out of byte order).
    fn profile<'s>(comm_names: &[String], names: &mut Interner, stacks: &'s mut StackStore) -> Vec<LineKey<'s>> {
        let pool: Vec<u32> =
            ["main", "run", "f", "f1", "f.x", "f:", "f::g", "fa", "g", "[unknown]", "h(int)", "f(a b)"]
                .iter()
                .map(|n| names.id(n))
                .collect();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut lines = Vec::new();
        for id in 1..=3000i64 {
            let depth = 1 + rnd(7);
            // Mostly under `main;run`, so a few frames are wide and many under them thin.
            let mut frames: Vec<u32> = if rnd(4) > 0 { vec![pool[0], pool[1]] } else { vec![] };
            frames.extend((0..depth).map(|_| pool[rnd(pool.len())]));
            stacks.insert((0, id), frames);
            let samples = if rnd(300) == 0 { 2000 + rnd(5000) as u64 } else { 1 + rnd(3) as u64 };
            lines.push((id, rnd(comm_names.len()) as u32, samples));
        }
        let stacks: &StackStore = stacks;
        lines
            .into_iter()
            .map(|(id, comm, samples)| LineKey { comm, frames: stacks.frames_of(stacks.sequence((0, id))), samples })
            .collect()
    }

    fn svg(text: &str, order: LineOrder) -> String {
        String::from_utf8(flamegraph_svg(Path::new("x.svg"), "t".into(), Some("s".into()), text, order).unwrap())
            .unwrap()
    }

    /// The merged lines are far fewer, and inferno draws the very same SVG from them as from the
    /// whole folded text.
    #[test]
    fn merged_lines_draw_the_same_flamegraph() {
        let comm_names: Vec<String> = ["java", "opt_cgu.00", "a", "a1", "tiny"].iter().map(|s| s.to_string()).collect();
        let (mut names, mut stacks) = (Interner::default(), StackStore::default());
        let mut keys = profile(&comm_names, &mut names, &mut stacks);
        let lines = Lines { comm_names: &comm_names, names: &names };
        lines.sort(&mut keys);
        let folded = lines.folded(&keys, inferno::flamegraph::Options::default().min_width);
        let merged = folded.flame.clone().expect("lines to merge");
        let (all, few) = (folded.text.lines().count(), merged.lines().count());
        assert!(few * 2 < all, "{few} of {all} lines");
        assert!(!merged.lines().is_sorted(), "the case where merged lines are out of byte order");
        assert_eq!(svg(&merged, LineOrder::Drawn), svg(&folded.text, LineOrder::Any));
        // A wider minimum leaves more out; the graph is still the same.
        let fewer = lines.folded(&keys, 5.0).flame.expect("lines to merge");
        assert!(fewer.lines().count() < few);
    }

    /// No merged lines where inferno would change a name (a comm with a leading space) or read
    /// the lines in another order (a name with a space and a digit: `f 1x` sorts after `f` as a
    /// stack, and before it as a line when `f`'s count starts with a higher digit).
    #[test]
    fn no_merged_lines_where_inferno_reads_the_text_otherwise() {
        let comm_names: Vec<String> = [" padded", "b"].iter().map(|s| s.to_string()).collect();
        let (mut names, mut stacks) = (Interner::default(), StackStore::default());
        let mut keys = profile(&comm_names, &mut names, &mut stacks);
        let lines = Lines { comm_names: &comm_names, names: &names };
        lines.sort(&mut keys);
        assert_eq!(lines.folded(&keys, 0.1).flame, None, "a padded comm");
        keys.iter_mut().for_each(|k| k.comm = 1);
        lines.sort(&mut keys);
        assert!(lines.folded(&keys, 0.1).flame.is_some());

        let (f, f1x) = ([names.id("f")], [names.id("f 1x")]);
        let lines = Lines { comm_names: &comm_names, names: &names };
        let two_lines = |f_samples| {
            [LineKey { comm: 1, frames: &f, samples: f_samples }, LineKey { comm: 1, frames: &f1x, samples: 3 }]
        };
        let in_order = lines.folded(&two_lines(1), 0.1);
        assert_eq!(in_order.text, "b;f 1\nb;f 1x 3\n");
        assert!(in_order.flame.is_some(), "lines in byte order");
        let out_of_order = lines.folded(&two_lines(5), 0.1);
        assert_eq!(out_of_order.text, "b;f 5\nb;f 1x 3\n");
        assert_eq!(out_of_order.flame, None, "`b;f 1x 3` sorts before `b;f 5`");
    }
}
