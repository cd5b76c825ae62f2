//! Deferred symbolization: every unique frame (kernel address, DSO-relative user address, JIT
//! address) is looked up once, after all records are read, through
//! [`crate::symbolize::Symbolizer`]: kernel, JIT and unknown frames on a thread of their own
//! beside the user frames, DSO by DSO (see `lookup_all`). Unresolved frames keep `[unknown]` +
//! dso + address; the account gets a note per DSO whose binary (or kallsyms / perf map) was
//! missing, with the number of samples whose stack touched it. Kernel addresses are looked up relative to the `_text`
//! (or `_stext`) address perf recorded, so a kallsyms copy from another boot (KASLR) still fits.

use std::collections::BTreeMap;

use arrow::record_batch::RecordBatch;
use model::intern::Interner;
use rayon::prelude::*;

use super::callchain::{FrameKey, KERNEL_DSO, UNKNOWN_DSO};
use super::columns::FrameColumns;
use super::maps::Dsos;
use super::stacks::Stacks;
use crate::account::LineAccount;
use crate::hash::{HashMap, HashSet};
use crate::hex;
use crate::symbolize::Symbolizer;

/// Function name perf prints for an unresolved frame.
pub const UNKNOWN_FUNCTION: &str = "[unknown]";

/// What the lookup of one frame gave; `N` is the function name, as found (`String`) or as an
/// index into the interned names (what is kept for every frame until the rows are made).
enum Outcome<N = u32> {
    Found(N),
    NoSymbol,
    /// The symbol source (binary, kallsyms, perf map) is missing for this DSO.
    Missing(u32),
}

impl<N> Outcome<N> {
    /// The same outcome with its name given by `f` (an interned id for a name, say).
    fn map_name<M>(self, f: impl FnOnce(N) -> M) -> Outcome<M> {
        match self {
            Outcome::Found(name) => Outcome::Found(f(name)),
            Outcome::NoSymbol => Outcome::NoSymbol,
            Outcome::Missing(dso) => Outcome::Missing(dso),
        }
    }
}

/// What the lookups found for one group of frames (those of one user DSO, or all kernel, JIT
/// and unknown frames): an outcome per frame, in the group's order, whose names index `names`.
struct GroupFound {
    outcomes: Vec<Outcome>,
    names: Interner,
    /// The DSO's file was taken by its recorded path alone (no build-id to check).
    by_path: Option<String>,
    /// The kernel shift's note, for the group of kernel frames.
    note: Option<String>,
}

/// Every frame's outcome, in frame order, the distinct function names they index, the recorded
/// paths of the DSOs whose file was taken by path alone, and the kernel shift's note.
/// The kernel, JIT and unknown frames are looked up (kallsyms read first) on a thread of their
/// own, beside the user frames, which go DSO by DSO: each file's symbol table is read, searched
/// and dropped before the next, so memory holds one large table at a time (a system-wide
/// profile touches libraries of 200 MB with 258K symbols). Names are interned per group, then
/// again in DSO order, so ids do not depend on which thread finished first.
fn lookup_all(
    frames: &[FrameKey],
    dsos: &Dsos,
    sym: &Symbolizer,
    kernel_ref: Option<&(String, u64)>,
) -> (Vec<Outcome>, Interner, Vec<String>, Option<String>) {
    let user_dso = |i: &u32| match frames[*i as usize] {
        FrameKey::User { dso, .. } => Some(dso),
        _ => None,
    };
    // Frames grouped by DSO (kernel, JIT and unknown frames first), each group in frame order:
    // a counting sort (one pass to count, one to place).
    let bucket = |i: u32| user_dso(&i).map_or(0, |d| d as usize + 1);
    let mut starts = vec![0usize; dsos.list.len() + 2];
    for i in 0..frames.len() as u32 {
        starts[bucket(i) + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut order = vec![0u32; frames.len()];
    let mut next = starts.clone();
    for i in 0..frames.len() as u32 {
        let b = bucket(i);
        order[next[b]] = i;
        next[b] += 1;
    }
    let groups: Vec<&[u32]> = starts.windows(2).map(|w| &order[w[0]..w[1]]).filter(|g| !g.is_empty()).collect();
    let (other, users) = match groups.split_first() {
        Some((first, rest)) if user_dso(&first[0]).is_none() => (Some(*first), rest),
        _ => (None, &groups[..]),
    };
    // The kernel, JIT and unknown frames on a thread of their own (reading kallsyms is most of
    // it), the user frames here.
    let (other_found, user_found) = std::thread::scope(|scope| {
        let other = other.map(|g| scope.spawn(move || lookup_group(g, None, frames, dsos, sym, kernel_ref)));
        let users: Vec<GroupFound> =
            users.iter().map(|g| lookup_group(g, user_dso(&g[0]), frames, dsos, sym, kernel_ref)).collect();
        (other.map(|t| t.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))), users)
    });
    // Names are interned again, group after group in DSO order: the same ids whatever the
    // threads did.
    let mut names = Interner::default();
    let mut outcomes: Vec<Outcome> = (0..frames.len()).map(|_| Outcome::NoSymbol).collect();
    let (mut by_path, mut note) = (Vec::new(), None);
    for (group, found) in groups.iter().zip(other_found.into_iter().chain(user_found)) {
        let ids: Vec<u32> = (0..found.names.len() as u32).map(|i| names.id(found.names.value(i))).collect();
        for (&i, o) in group.iter().zip(found.outcomes) {
            outcomes[i as usize] = o.map_name(|n| ids[n as usize]);
        }
        by_path.extend(found.by_path);
        note = note.or(found.note);
    }
    by_path.sort();
    by_path.dedup();
    (outcomes, names, by_path, note)
}

/// Looks up one group of frames: those of user DSO `dso`, or (`None`) the kernel, JIT and
/// unknown frames.
fn lookup_group(
    group: &[u32],
    dso: Option<u32>,
    frames: &[FrameKey],
    dsos: &Dsos,
    sym: &Symbolizer,
    kernel_ref: Option<&(String, u64)>,
) -> GroupFound {
    let mut found =
        GroupFound { outcomes: Vec::with_capacity(group.len()), names: Interner::default(), by_path: None, note: None };
    let Some(dso) = dso else {
        let kernel_frames = group.iter().any(|&i| matches!(frames[i as usize], FrameKey::Kernel { .. }));
        let shift = if kernel_frames { kernel_shift(kernel_ref, sym, &mut found.note) } else { 0 };
        found.outcomes.extend(
            group.iter().map(|&i| lookup(&frames[i as usize], dsos, sym, shift).map_name(|name| found.names.id(&name))),
        );
        return found;
    };
    // One file's frames: its symbols are loaded here, on this thread, searched for symbol
    // indexes, and each symbol found is demangled and named once; the table is dropped on return.
    let d = &dsos.list[dso as usize];
    let Some(file) = sym.load_dso(&d.name, d.build_id.as_deref()) else {
        found.outcomes.extend(group.iter().map(|_| Outcome::Missing(dso)));
        return found;
    };
    let mut name_of_entry: HashMap<usize, u32> = HashMap::default();
    found.outcomes.extend(group.iter().map(|&i| {
        let entry = match frames[i as usize] {
            FrameKey::User { rel, .. } => file.symbols.find_file_offset_entry(rel),
            _ => None,
        };
        match entry {
            Some(e) => Outcome::Found(
                *name_of_entry
                    .entry(e)
                    .or_insert_with(|| found.names.id(&crate::symbolize::demangle_name(file.symbols.entry_name(e)))),
            ),
            None => Outcome::NoSymbol,
        }
    }));
    found.by_path = file.by_path.then(|| d.name.clone());
    found
}

/// Looks one kernel, JIT or unknown frame up (user frames are looked up file by file, in
/// [`lookup_all`]); kernel addresses moved by `shift` into the kallsyms copy's layout.
fn lookup(key: &FrameKey, dsos: &Dsos, sym: &Symbolizer, shift: u64) -> Outcome<String> {
    match *key {
        FrameKey::Kernel { dso, addr } => match sym.kernel(addr.wrapping_add(shift)) {
            Some(s) => Outcome::Found(s.name),
            None if sym.has_kernel_symbols() => Outcome::NoSymbol,
            None => Outcome::Missing(dso),
        },
        FrameKey::Jit { dso, addr } => {
            match dsos.list[dso as usize].jit_pid.and_then(|pid| sym.jit(pid.into(), addr)) {
                Some(s) => Outcome::Found(s.name),
                None => Outcome::Missing(dso),
            }
        }
        FrameKey::User { .. } | FrameKey::Unknown { .. } => Outcome::NoSymbol,
    }
}

/// How far the recording's kernel addresses are from the kallsyms copy's: the copy's address
/// of the reference symbol perf recorded (`kernel_ref`, see [`super::maps::Maps::kernel_ref`])
/// minus the recorded one. Not 0 when the copy was taken after a reboot (KASLR places the kernel
/// anew at each boot), as `perf report` finds with its `ref_reloc_sym`; `note` says so then.
fn kernel_shift(kernel_ref: Option<&(String, u64)>, sym: &Symbolizer, note: &mut Option<String>) -> u64 {
    let Some((name, recorded)) = kernel_ref.filter(|r| r.1 != 0) else { return 0 };
    let Some(copy) = sym.kernel_reference(name) else { return 0 };
    let shift = copy.wrapping_sub(*recorded);
    if shift != 0 {
        *note = Some(format!(
            "kernel symbols: {name} at {copy:#x} in the kallsyms copy, {recorded:#x} in the recording \
             (KASLR: a copy from another boot); kernel addresses looked up {:+#x} away",
            shift as i64
        ));
    }
    shift
}

/// Frames per `perf_frames` batch (16Ki: a batch of long C++ names is some megabytes, and
/// three are alive while one is encoded on its own thread).
const FRAMES_PER_BATCH: usize = 16 * 1024;

/// What the lookups found for every frame: kept from [`symbolize`] to [`frame_rows`], so that the
/// stacks, needed in between to count the samples of missing DSOs, can be freed before the
/// rows are built.
pub struct Symbolized {
    outcomes: Vec<Outcome>,
    names: Interner,
}

/// Looks every interned frame up (once each, in parallel), and notes in `account` the DSOs
/// whose symbols were missing, with the samples whose stacks touched them, and those whose
/// file was taken by path alone.
/// `kernel_ref` is the recording's kernel relocation reference ([`super::maps::Maps::kernel_ref`]).
pub fn symbolize(
    stacks: &Stacks,
    dsos: &Dsos,
    kernel_ref: Option<&(String, u64)>,
    sym: &Symbolizer,
    account: &mut LineAccount,
) -> Symbolized {
    // The recorded kernel's build-id, for a kallsyms copy in a build-id cache (`perf archive`).
    if let Some(id) = dsos.list.iter().find(|d| d.name == KERNEL_DSO).and_then(|d| d.build_id.as_deref()) {
        sym.set_kernel_build_id(id);
    }
    let (outcomes, names, by_path, shift_note) = lookup_all(&stacks.frames, dsos, sym, kernel_ref);
    if sym.options().kallsyms.is_none() {
        if let Some(file) = sym.kallsyms_file() {
            account.note(format!("symbols: kernel symbols from {} (the recorded kernel's build-id)", file.display()));
        }
    }
    if let Some(n) = shift_note {
        account.note(n);
    }
    // Samples touching each DSO whose symbols were missing. The stacks' millions of frame ids
    // are checked against a bitset of the missing frames (a few hundred kilobytes, where the
    // outcomes are megabytes), and only those found are looked up.
    let mut is_missing = vec![0u64; outcomes.len().div_ceil(64) + 1];
    for (i, o) in outcomes.iter().enumerate() {
        if matches!(o, Outcome::Missing(_)) {
            let f = i + 1;
            is_missing[f / 64] |= 1 << (f % 64);
        }
    }
    let mut missing: BTreeMap<u32, u64> = BTreeMap::new();
    if is_missing.iter().any(|&w| w != 0) {
        // Stacks are counted in parallel, a range of ids each; the sums do not depend on how.
        const STACKS_PER_JOB: usize = 32 * 1024;
        let counted: Vec<BTreeMap<u32, u64>> = (0..stacks.len().div_ceil(STACKS_PER_JOB))
            .into_par_iter()
            .map(|job| {
                let ids = job * STACKS_PER_JOB + 1..=((job + 1) * STACKS_PER_JOB).min(stacks.len());
                let (mut counts, mut frames, mut seen) = (BTreeMap::new(), Vec::new(), HashSet::default());
                for id in ids {
                    // Most stacks touch no missing frame: their ids are checked as they are
                    // unpacked, and only the others are stored and looked up.
                    if !stacks.any_frame(id, |f| is_missing[f as usize / 64] & (1 << (f % 64)) != 0) {
                        continue;
                    }
                    stacks.stack_into(id, &mut frames);
                    seen.clear();
                    for &f in &frames {
                        if let Outcome::Missing(dso) = outcomes[f as usize - 1] {
                            if seen.insert(dso) {
                                *counts.entry(dso).or_default() += stacks.stack_samples.get(id).copied().unwrap_or(0);
                            }
                        }
                    }
                }
                counts
            })
            .collect();
        for (dso, n) in counted.into_iter().flatten() {
            *missing.entry(dso).or_default() += n;
        }
    }
    let mut by_count: Vec<(u32, u64)> = missing.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    const SHOWN: usize = 20;
    for &(dso, samples) in by_count.iter().take(SHOWN) {
        let d = &dsos.list[dso as usize];
        let what = if d.name.starts_with("/tmp/perf-") {
            "perf map missing or without the address (give --perf-map-dir)"
        } else if d.name.starts_with('[') && d.name != "[vdso]" {
            "kernel symbols missing (give --kallsyms, or an unpacked `perf archive` as --binary-dir)"
        } else {
            "binary not found (give --symfs / --binary-dir)"
        };
        let bid = d.build_id.as_ref().map(|b| format!(" build-id {}", hex(b))).unwrap_or_default();
        account.note(format!("symbols: {}{bid}: {what}; {samples} samples touched it", d.name));
    }
    if by_count.len() > SHOWN {
        account.note(format!("symbols: {} more DSOs without symbols", by_count.len() - SHOWN));
    }
    // DSOs whose file was taken by path alone (no build-id to check it against).
    for d in by_path.iter().take(SHOWN) {
        account.note(format!(
            "symbols: {d}: neither the recording nor the file has a build-id; the file at the recorded path was used, as perf does"
        ));
    }
    let resolved = outcomes.iter().filter(|o| matches!(o, Outcome::Found(_))).count();
    account.note(format!("symbols: {resolved} of {} unique frames resolved", outcomes.len()));
    Symbolized { outcomes, names }
}

/// `perf_frames` rows of `frames` (frame id = index + 1) with what [`symbolize`] found for them,
/// handed to `emit` in frame id order, as batches.
pub fn frame_rows(
    source: &str,
    frames: &[FrameKey],
    dsos: &Dsos,
    found: Symbolized,
    emit: &mut dyn FnMut(&RecordBatch),
) {
    let Symbolized { outcomes, names } = found;
    let mut at = 0;
    for chunk in frames.chunks(FRAMES_PER_BATCH) {
        let mut columns = FrameColumns::new(source, chunk.len());
        for (key, outcome) in chunk.iter().zip(&outcomes[at..]) {
            at += 1;
            let (dso, addr) = match *key {
                FrameKey::Kernel { dso, addr } | FrameKey::Jit { dso, addr } => {
                    (dsos.list[dso as usize].name.as_str(), addr)
                }
                FrameKey::User { dso, rel } => (dsos.list[dso as usize].name.as_str(), rel),
                FrameKey::Unknown { addr } => (UNKNOWN_DSO, addr),
            };
            let function = match outcome {
                Outcome::Found(name) => names.value(*name),
                _ => UNKNOWN_FUNCTION,
            };
            let kind = crate::perf_script::frame::kind(Some(dso));
            columns.push(at as i64, function, dso, addr as i64, kind);
        }
        emit(&columns.finish());
    }
}
