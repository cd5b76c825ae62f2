//! Deferred symbolization: every unique frame (kernel address, DSO-relative user address, JIT
//! address) is looked up once, in parallel (rayon), after all records are read, through
//! [`crate::symbolize::Symbolizer`]. Unresolved frames keep `[unknown]` + dso + address; the
//! account gets a note per DSO whose binary (or kallsyms / perf map) was missing, with the number
//! of samples whose stack touched it. Kernel addresses are looked up relative to the `_text`
//! (or `_stext`) address perf recorded, so a kallsyms copy from another boot (KASLR) still fits.

use std::collections::{BTreeMap, HashMap, HashSet};

use arrow::record_batch::RecordBatch;
use model::read::Interner;
use rayon::prelude::*;

use super::callchain::{FrameKey, UNKNOWN_DSO};
use super::columns::FrameColumns;
use super::maps::Dsos;
use super::stacks::Stacks;
use crate::account::LineAccount;
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

/// Frames looked up in parallel at a time: their names are interned before the next lot, so
/// memory holds one name per distinct function, not one per frame (a system-wide profile has
/// over a million frames in some tens of thousands of functions).
const LOOKUP_CHUNK: usize = 64 * 1024;

/// Every frame's outcome, in frame order, the distinct function names they index, and the
/// recorded paths of the DSOs whose file was taken by path alone (no build-id to check).
/// Frames are looked up DSO by DSO (kernel, JIT and unknown frames first), and each file's
/// symbol table is dropped once its frames are resolved: memory holds one large table at a
/// time (a system-wide profile touches libraries of 200 MB with 258K symbols).
fn lookup_all(frames: &[FrameKey], dsos: &Dsos, sym: &Symbolizer, shift: u64) -> (Vec<Outcome>, Interner, Vec<String>) {
    let mut names = Interner::default();
    let mut outcomes: Vec<Outcome> = (0..frames.len()).map(|_| Outcome::NoSymbol).collect();
    let user_dso = |i: &u32| match frames[*i as usize] {
        FrameKey::User { dso, .. } => Some(dso),
        _ => None,
    };
    let mut order: Vec<u32> = (0..frames.len() as u32).collect();
    order.sort_by_key(user_dso);
    let mut by_path = Vec::new();
    for group in order.chunk_by(|a, b| user_dso(a) == user_dso(b)) {
        let Some(dso) = group.first().and_then(user_dso) else {
            // Kernel, JIT and unknown frames.
            for chunk in group.chunks(LOOKUP_CHUNK) {
                let found: Vec<Outcome<String>> =
                    chunk.par_iter().map(|&i| lookup(&frames[i as usize], dsos, sym, shift)).collect();
                for (&i, o) in chunk.iter().zip(found) {
                    outcomes[i as usize] = match o {
                        Outcome::Found(name) => Outcome::Found(names.id(&name)),
                        Outcome::NoSymbol => Outcome::NoSymbol,
                        Outcome::Missing(dso) => Outcome::Missing(dso),
                    };
                }
            }
            continue;
        };
        // One file's frames: its symbols are loaded here, on this thread (the memory of one
        // table after another is then reused, not spread over the workers), searched in
        // parallel for symbol indexes, and each symbol found is demangled and named once.
        let d = &dsos.list[dso as usize];
        match sym.file_symbols(&d.name, d.build_id.as_deref()) {
            None => group.iter().for_each(|&i| outcomes[i as usize] = Outcome::Missing(dso)),
            Some(file) => {
                let mut name_of_entry: HashMap<usize, u32> = HashMap::new();
                for chunk in group.chunks(LOOKUP_CHUNK) {
                    let found: Vec<Option<usize>> = chunk
                        .par_iter()
                        .map(|&i| match frames[i as usize] {
                            FrameKey::User { rel, .. } => file.find_file_offset_entry(rel),
                            _ => None,
                        })
                        .collect();
                    for (&i, entry) in chunk.iter().zip(found) {
                        outcomes[i as usize] = match entry {
                            Some(e) => Outcome::Found(
                                *name_of_entry
                                    .entry(e)
                                    .or_insert_with(|| names.id(&crate::symbolize::demangle_name(file.entry_name(e)))),
                            ),
                            None => Outcome::NoSymbol,
                        };
                    }
                }
            }
        }
        by_path.extend(
            sym.dso_sources()
                .into_iter()
                .filter(|d| d.build_id.is_none() && d.binary == std::path::Path::new(&d.recorded))
                .map(|d| d.recorded),
        );
        sym.release_files();
    }
    by_path.sort();
    by_path.dedup();
    (outcomes, names, by_path)
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
/// anew at each boot), as `perf report` finds with its `ref_reloc_sym`; noted in the account.
fn kernel_shift(kernel_ref: Option<&(String, u64)>, sym: &Symbolizer, account: &mut LineAccount) -> u64 {
    let Some((name, recorded)) = kernel_ref.filter(|r| r.1 != 0) else { return 0 };
    let Some(copy) = sym.kernel_reference(name) else { return 0 };
    let shift = copy.wrapping_sub(*recorded);
    if shift != 0 {
        account.note(format!(
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
    let kernel_frames = stacks.frames.iter().any(|f| matches!(f, FrameKey::Kernel { .. }));
    let shift = if kernel_frames { kernel_shift(kernel_ref, sym, account) } else { 0 };
    let (outcomes, names, by_path) = lookup_all(&stacks.frames, dsos, sym, shift);
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
    let mut seen = HashSet::new();
    if is_missing.iter().any(|&w| w != 0) {
        let mut frames = Vec::new();
        for id in 1..=stacks.len() {
            stacks.stack_into(id, &mut frames);
            if !frames.iter().any(|&f| is_missing[f as usize / 64] & (1 << (f % 64)) != 0) {
                continue;
            }
            seen.clear();
            for &f in &frames {
                if let Outcome::Missing(dso) = outcomes[f as usize - 1] {
                    if seen.insert(dso) {
                        *missing.entry(dso).or_default() += stacks.stack_samples.get(id).copied().unwrap_or(0);
                    }
                }
            }
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
            "kernel symbols missing (give --kallsyms)"
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

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
