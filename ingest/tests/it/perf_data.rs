//! Binary perf.data against perf's own oracles (fixtures/perf/data, recorded with perf 6.1; see
//! its PROVENANCE.md): per-event sample counts equal `# Samples` of `perf report`, the top-10
//! self symbols of `perf report --no-children --sort comm,dso,sym` match within 0.1 percentage
//! points (when the symbolizer resolves), folded stacks equal those of the `perf script` text of
//! the same file, and cut files never panic.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use tracefold_ingest::gc::SourceCtx;
use tracefold_ingest::perf_data::{self, PerfDataOutput};
use tracefold_ingest::perf_script::{self, FoldOptions, PerfScriptOutput};
use tracefold_ingest::symbolize::{Lookup, SymbolOptions, Symbolizer};

use crate::common::{fixture, shared_corpus};

/// The recordings (all in fixtures/perf/data) and their sample counts per event, from the
/// corpus MANIFEST (= `# Samples` of X.report.txt, exact where perf prints it exactly).
const FILES: &[(&str, &[(&str, usize)])] = &[
    ("c_fp", &[("cpu-clock:pppH", 494)]),
    ("c_dwarf", &[("cpu-clock:pppH", 113)]),
    ("c_fp_zstd", &[("cpu-clock:pppH", 252)]),
    ("mt_fp", &[("cpu-clock:pppH", 879)]),
    ("mt_pipe", &[("cpu-clock:pppH", 451)]),
    ("mt_sched", &[("sched:sched_switch", 410), ("cpu-clock/freq=999/", 567)]),
    ("go_http", &[("cpu-clock:pppH", 2889)]),
    ("java_fp", &[("cpu-clock:pppH", 696)]),
    ("sys_wide", &[("cpu-clock:ppp", 458)]),
];

fn data(name: &str) -> PathBuf {
    fixture(&format!("perf/data/{name}.data"))
}

fn symbol_options() -> SymbolOptions {
    // Binaries, kallsyms and the JIT map are shared with the symbolizer's tests.
    let mut binary_dirs = vec![fixture("perf/symbols/bin"), fixture("perf/symbols/debug")];
    // bin/gohttp (7 MB) is not copied: read from the shared corpus when present.
    if let Some(shared) = shared_corpus("perf/generated/bin/gohttp") {
        binary_dirs.push(shared.parent().unwrap().to_path_buf());
    }
    SymbolOptions {
        symfs: None,
        binary_dirs,
        kallsyms: Some(fixture("perf/symbols/kallsyms.xz")),
        perf_map_dirs: vec![fixture("perf/symbols")],
    }
}

fn ingest_with(path: &Path, sym: &Symbolizer) -> Result<PerfDataOutput, perf_data::PerfDataError> {
    let name = path.display().to_string();
    let ctx = SourceCtx { source: name.clone(), clock_scope: name.clone() };
    let mut out = PerfDataOutput::default();
    perf_data::ingest(&ctx, path, sym, &mut out)?;
    let a = &out.account;
    assert_eq!(a.lines_read(), a.lines_parsed() + a.lines_skipped(), "{name}: read = parsed + skipped");
    Ok(out)
}

fn ingest(path: &Path) -> PerfDataOutput {
    ingest_with(path, &Symbolizer::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `# Samples: N  of event 'E'` sections of a report (N exact only when perf prints digits).
fn report_counts(report: &str) -> Vec<(String, Option<usize>)> {
    report
        .lines()
        .filter_map(|l| l.strip_prefix("# Samples: "))
        .map(|rest| {
            let (n, ev) = rest.split_once(" of event '").unwrap();
            (ev.trim_end_matches('\'').to_string(), n.trim().parse().ok())
        })
        .collect()
}

#[test]
fn sample_counts_equal_perf_report_per_event() {
    for (name, events) in FILES {
        let out = ingest(&data(name));
        let mut ours: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &out.samples {
            *ours.entry(s.event.as_str()).or_default() += 1;
        }
        let report = std::fs::read_to_string(fixture(&format!("perf/data/{name}.report.txt"))).unwrap();
        let sections = report_counts(&report);
        assert_eq!(sections.len(), events.len(), "{name}: events in report");
        for ((event, n), (rep_event, rep_n)) in events.iter().zip(&sections) {
            assert_eq!(event, rep_event, "{name}: event name as perf prints it");
            if let Some(rep_n) = rep_n {
                assert_eq!(n, rep_n, "{name}: manifest vs report");
            }
            assert_eq!(ours.get(event).copied().unwrap_or(0), *n, "{name}: samples of {event}");
        }
        assert_eq!(out.samples.len(), events.iter().map(|e| e.1).sum::<usize>(), "{name}: no other events");
    }
}

#[test]
fn samples_carry_threads_cpu_clock_and_stacks() {
    // c_fp: per-task recording without --sample-cpu → cpu null; mt_fp has it.
    let c = ingest(&data("c_fp"));
    assert!(c.samples.iter().all(|s| s.cpu.is_none() && s.comm == "cpuwork_fp" && s.clock == "perf"));
    assert!(c.samples.iter().all(|s| s.stack_id > 0 && s.period == 1001001));
    let lines: Vec<i64> = c.samples.iter().map(|s| s.line).collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "line = record ordinal, increasing");
    let mt = ingest(&data("mt_fp"));
    assert!(mt.samples.iter().all(|s| s.cpu.is_some()));
    let comms: std::collections::BTreeSet<&str> = mt.samples.iter().map(|s| s.comm.as_str()).collect();
    for w in ["worker-0", "worker-1", "worker-2", "worker-3", "sleeper"] {
        assert!(comms.contains(w), "mt_fp: thread {w} named via COMM rename; have {comms:?}");
    }
    assert!(mt.threads.iter().any(|t| t.comm == "worker-0" && t.started_by == "comm" && t.exited));
    assert!(mt.meta.iter().any(|m| m.key == "hostname" && m.value == "vm"));
    assert!(mt.meta.iter().any(|m| m.key == "perf_version" && m.value.starts_with("6.1")));
    // java_fp was recorded with -k CLOCK_MONOTONIC: its samples join GC logs on ns.
    let j = ingest(&data("java_fp"));
    assert!(j.samples.iter().all(|s| s.clock == model::tables::clock::MONOTONIC));
    assert!(j.meta.iter().any(|m| m.key == "event.0.clockid" && m.value == "monotonic"));
    assert!(j.frames.iter().any(|f| f.dso.as_deref() == Some("/tmp/perf-14606.map") && f.kind == "jit"));
    // GC(0) pause window [366.528, 366.592] s holds samples of `GC Thread#0` (MANIFEST).
    assert!(j
        .samples
        .iter()
        .any(|s| s.comm == "GC Thread#0" && (366_528_000_000..=366_592_203_745).contains(&s.time_ns.unwrap())));
    // pipe mode and zstd.
    assert_eq!(ingest(&data("mt_pipe")).meta.iter().find(|m| m.key == "mode").unwrap().value, "pipe");
    let z = ingest(&data("c_fp_zstd"));
    assert!(z.meta.iter().any(|m| m.key == "compression" && m.value.starts_with("zstd")));
}

/// A system-wide recording (`-a`: idle CPUs, kernel threads, a shell that forks and execs `dd`
/// and `sleep`): the samples of each thread name equal `perf report --sort comm -n`'s (the idle
/// task is `swapper`, never named by a COMM record).
#[test]
fn thread_names_match_perf_report_system_wide() {
    let out = ingest(&data("sys_wide"));
    let mut ours: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &out.samples {
        *ours.entry(s.comm.as_str()).or_default() += 1;
    }
    let report = std::fs::read_to_string(fixture("perf/data/sys_wide.comm.txt")).unwrap();
    // `    86.68%    86.68%           397  swapper        `: children, self, samples, command.
    let perf: BTreeMap<&str, usize> = report
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('%'))
        .map(|l| {
            let (_children, rest) = l.trim_start().split_once("%").unwrap();
            let (_self, rest) = rest.trim_start().split_once("%").unwrap();
            let (n, command) = rest.trim_start().split_once(' ').unwrap();
            (command.trim(), n.parse().unwrap())
        })
        .collect();
    assert_eq!(perf.get("swapper"), Some(&397), "the oracle file");
    assert_eq!(ours, perf);
}

/// Without `--kallsyms`, kernel symbols come from a kallsyms copy with the recorded kernel's
/// build-id in perf's build-id cache layout under a binary directory (an unpacked `perf
/// archive`, or `~/.debug`), in either of its two forms; a copy of another kernel is not used.
#[test]
fn kernel_symbols_from_a_perf_archive_layout() {
    // sys_wide.data's kernel (build-id table) is the build of fixtures/perf/symbols/kallsyms.xz
    // (compressed here: kallsyms files are recognised by content).
    const KERNEL: &str = "48dc540c8b76393804ca8088dbfa7d42911a9444";
    let xz = std::fs::read(fixture("perf/symbols/kallsyms.xz")).unwrap();
    let with_copy_at = |rel: String| {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join(rel);
        std::fs::create_dir_all(&at).unwrap();
        std::fs::write(at.join("kallsyms"), &xz).unwrap();
        let sym = Symbolizer::new(SymbolOptions { binary_dirs: vec![dir.path().to_path_buf()], ..Default::default() });
        (ingest_with(&data("sys_wide"), &sym).unwrap(), dir)
    };
    let kernel_frames = |out: &PerfDataOutput| -> (usize, usize) {
        let k: Vec<_> = out.frames.iter().filter(|f| f.dso.as_deref() == Some("[kernel.kallsyms]")).collect();
        (k.len(), k.iter().filter(|f| f.function != "[unknown]").count())
    };
    for rel in [format!("[kernel.kallsyms]/{KERNEL}"), format!(".build-id/{}/{}", &KERNEL[..2], &KERNEL[2..])] {
        let (out, _dir) = with_copy_at(rel.clone());
        let (all, resolved) = kernel_frames(&out);
        assert!(all > 40 && resolved == all, "{rel}: {resolved} of {all} kernel frames resolved");
        let ours = our_self(&out);
        let idle = ours["cpu-clock:ppp"][&("swapper".into(), "[kernel.kallsyms]".into(), "pv_native_safe_halt".into())];
        assert!((idle - 86.68).abs() < 0.01, "perf report: swapper pv_native_safe_halt 86.68 %, ours {idle:.2} %");
        let notes: Vec<_> = out.account.rows("s", None).into_iter().filter_map(|r| r.reason).collect();
        assert!(
            notes.iter().any(|n| n.starts_with("symbols: kernel symbols from ") && n.contains(&KERNEL[2..])),
            "{notes:?}"
        );
    }
    // A copy filed under another kernel's build-id is not this kernel's.
    let (out, _dir) = with_copy_at(format!("[kernel.kallsyms]/{}", "1".repeat(40)));
    assert_eq!(kernel_frames(&out).1, 0);
    let notes: Vec<_> = out.account.rows("s", None).into_iter().filter_map(|r| r.reason).collect();
    assert!(notes.iter().any(|n| n.contains("kernel symbols missing")), "{notes:?}");
}

/// perf's DSO-relative addresses: the first sample of c_fp.script.txt is
/// `1217 mix64 / 149b run_phase / 150f main (/tmp/gen/cpuwork_fp) / 2724a (libc.so.6)`.
#[test]
fn user_addresses_are_dso_relative_as_perf_script_prints() {
    let out = ingest(&data("c_fp"));
    let first = &out.samples[0];
    let stack = out.stacks.iter().find(|s| s.stack_id == first.stack_id).expect("the first sample's stack");
    let frames: Vec<(String, i64)> = stack
        .frame_ids
        .iter()
        .map(|&id| {
            let f = &out.frames[id as usize - 1];
            (f.dso.clone().unwrap(), f.address.unwrap())
        })
        .collect();
    assert_eq!(
        frames,
        vec![
            ("/tmp/gen/cpuwork_fp".to_string(), 0x1217),
            ("/tmp/gen/cpuwork_fp".to_string(), 0x149b),
            ("/tmp/gen/cpuwork_fp".to_string(), 0x150f),
            ("/usr/lib/x86_64-linux-gnu/libc.so.6".to_string(), 0x2724a),
        ]
    );
}

fn as_script(out: PerfDataOutput) -> PerfScriptOutput {
    PerfScriptOutput { samples: out.samples, stacks: out.stacks, frames: out.frames, ..Default::default() }
}

/// Folded stacks (with addresses for unresolved frames) of c_fp.data equal those of the
/// `perf script` text of the same file, where our symbolizer resolves.
#[test]
fn folded_stacks_equal_the_perf_script_text() {
    let sym = Symbolizer::new(symbol_options());
    if !resolves(&sym) {
        eprintln!("skipping: the symbolizer does not resolve yet (stub bodies)");
        return;
    }
    let mut ours = as_script(ingest_with(&data("c_fp"), &sym).unwrap());
    let text = std::fs::read(fixture("perf/symbols/script/c_fp.script.txt")).unwrap();
    let ctx = SourceCtx { source: "t".into(), clock_scope: "t".into() };
    let mut theirs = PerfScriptOutput::default();
    perf_script::ingest(&ctx, &mut &text[..], &mut theirs).unwrap();
    // The shipped libc.so.6 has only `.dynsym`: perf named its static functions from debug info
    // on the recording host, so libc frames are compared as `[libc.so.6]` on both sides.
    for f in ours.frames.iter_mut().chain(theirs.frames.iter_mut()) {
        if f.dso.as_deref().is_some_and(|d| d.ends_with("/libc.so.6")) {
            f.function = "[unknown]".into();
        }
    }
    let opts = FoldOptions::default();
    assert_eq!(perf_script::folded(&ours, &opts), perf_script::folded(&theirs, &opts));
}

/// Whether the symbolizer resolves a known address (`mix64` at 0x1217 in cpuwork_fp).
fn resolves(sym: &Symbolizer) -> bool {
    matches!(sym.in_file("/tmp/gen/cpuwork_fp", None, 0x1217), Lookup::Found(_))
}

/// Top-level entries `  38.87%  comm  dso  [.] sym` of each event section of a report.
/// One report row: (percent, comm, dso, symbol).
type ReportEntry = (f64, String, String, String);

fn report_entries(report: &str) -> Vec<(String, Vec<ReportEntry>)> {
    let mut out: Vec<(String, Vec<_>)> = Vec::new();
    for l in report.lines() {
        if let Some(rest) = l.strip_prefix("# Samples: ") {
            let ev = rest.split_once(" of event '").unwrap().1.trim_end_matches('\'');
            out.push((ev.to_string(), Vec::new()));
            continue;
        }
        let t = l.trim_start();
        let Some((pct, rest)) = t.split_once("%  ") else { continue };
        let Ok(pct) = pct.parse::<f64>() else { continue };
        let Some(at) = ["[.] ", "[k] ", "[j] ", "[g] ", "[u] "].iter().filter_map(|m| rest.find(m)).min() else {
            continue;
        };
        let (cols, sym) = (&rest[..at], &rest[at + 4..]);
        let cols: Vec<&str> = cols.split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
        let (comm, dso) = (cols[..cols.len() - 1].join("  "), cols[cols.len() - 1]);
        out.last_mut().unwrap().1.push((pct, comm, dso.to_string(), sym.trim_end().to_string()));
    }
    out
}

/// Our self percentages per event and (comm, dso basename, symbol), period-weighted like
/// perf report's Overhead; unresolved frames named like perf (`0x%016x` of the address).
fn our_self(out: &PerfDataOutput) -> HashMap<String, HashMap<(String, String, String), f64>> {
    let mut leaf: HashMap<i64, (String, String)> = HashMap::new();
    for s in &out.stacks {
        let f = &out.frames[s.frame_ids[0] as usize - 1];
        let dso = f.dso.clone().unwrap_or_default();
        let mut base = dso.rsplit('/').next().unwrap().to_string();
        // perf report shows a perf map DSO as `[JIT] tid PID`.
        if let Some(pid) = base.strip_prefix("perf-").and_then(|b| b.strip_suffix(".map")) {
            base = format!("[JIT] tid {pid}");
        }
        let sym = if f.function == "[unknown]" { format!("0x{:016x}", f.address.unwrap()) } else { f.function.clone() };
        leaf.insert(s.stack_id, (base, sym));
    }
    let mut totals: HashMap<String, f64> = HashMap::new();
    let mut by: HashMap<String, HashMap<(String, String, String), f64>> = HashMap::new();
    for s in &out.samples {
        *totals.entry(s.event.clone()).or_default() += s.period as f64;
        let (dso, sym) = leaf.get(&s.stack_id).cloned().unwrap_or_default();
        *by.entry(s.event.clone()).or_default().entry((s.comm.clone(), dso, sym)).or_default() += s.period as f64;
    }
    for (ev, m) in by.iter_mut() {
        for v in m.values_mut() {
            *v = *v * 100.0 / totals[ev];
        }
    }
    by
}

/// The top-10 self entries of perf report match ours within 0.1 percentage points. Rule: an
/// entry is compared when perf resolved it with a binary we also have with the same symbols:
/// cpuwork_fp, mtwork, gohttp (shared corpus), `[kernel.kallsyms]` (kallsyms.xz), the JIT perf
/// map, and unresolved addresses (`0x...`, compared as such). Skipped: libjvm.so (not shipped);
/// libc.so.6 entries we do not resolve at all (the shipped libc has only `.dynsym`; perf named
/// its static functions, e.g. `msort_with_tmp.part.0`, from debug info on the recording host).
#[test]
fn top10_self_symbols_match_perf_report() {
    let sym = Symbolizer::new(symbol_options());
    if !resolves(&sym) {
        eprintln!("skipping: the symbolizer does not resolve yet (stub bodies)");
        return;
    }
    let have_go = shared_corpus("perf/generated/bin/gohttp").is_some();
    let mut compared = 0;
    let mut worst = 0.0f64;
    for (name, _) in FILES {
        if *name == "go_http" && !have_go {
            continue;
        }
        let out = ingest_with(&data(name), &sym).unwrap();
        let ours = our_self(&out);
        let report = std::fs::read_to_string(fixture(&format!("perf/data/{name}.report.txt"))).unwrap();
        for (event, entries) in report_entries(&report) {
            // perf keeps one row per symbol object: a JIT method compiled twice has two rows of
            // one name. Both sides are compared by name (perf's rows summed).
            let mut perf_sum: HashMap<(&str, &str, &str), f64> = HashMap::new();
            for (pct, comm, dso, s) in &entries {
                *perf_sum.entry((comm, dso, s)).or_default() += pct;
            }
            let mut done = std::collections::HashSet::new();
            for (_, comm, dso, s) in entries.iter().take(10) {
                if !done.insert((comm, dso, s)) {
                    continue;
                }
                let pct = perf_sum[&(comm.as_str(), dso.as_str(), s.as_str())];
                let got = ours.get(&event).and_then(|m| m.get(&(comm.clone(), dso.clone(), s.clone()))).copied();
                if dso == "libjvm.so" || (dso == "libc.so.6" && got.is_none()) {
                    continue;
                }
                let got = got.unwrap_or(0.0);
                assert!(
                    (got - pct).abs() <= 0.1 + 0.005 * 2.0,
                    "{name} {event}: ({comm}, {dso}, {s}) perf {pct:.2}% ours {got:.2}%"
                );
                compared += 1;
                worst = worst.max((got - pct).abs());
            }
        }
    }
    eprintln!("top-10: {compared} (comm, dso, sym) entries compared, largest difference {worst:.3} points");
    let least = if have_go { 50 } else { 40 };
    assert!(compared >= least, "compared {compared} entries");
}

/// Cut copies of every fixture (inside the header, the attributes, the records, the feature
/// sections, the last byte) never panic: either an error naming the byte offset, or the samples
/// before the damage with a note.
#[test]
fn truncated_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let sym = Symbolizer::default();
    let (mut runs, mut oks, mut errs) = (0, 0, 0);
    for (name, events) in FILES {
        let bytes = std::fs::read(data(name)).unwrap();
        let full: usize = events.iter().map(|e| e.1).sum();
        let len = bytes.len();
        let mut cuts: Vec<usize> =
            vec![0, 8, 15, 16, 17, 40, 103, 104, 105, 200, 500, 1000, len - 1, len - 8, len - 100];
        cuts.extend((1..26).map(|i| len * i / 26));
        cuts.retain(|&c| c < len);
        cuts.sort_unstable();
        cuts.dedup();
        for cut in cuts {
            let p = dir.path().join(format!("{name}-{cut}.data"));
            std::fs::write(&p, &bytes[..cut]).unwrap();
            runs += 1;
            match ingest_with(&p, &sym) {
                Ok(out) => {
                    assert!(out.samples.len() <= full, "{name} cut at {cut}: more samples than the whole file");
                    oks += 1;
                }
                Err(e) => {
                    assert!(e.to_string().contains("byte"), "{name} cut at {cut}: error names no offset: {e}");
                    errs += 1;
                }
            }
        }
    }
    eprintln!("{runs} cuts: {oks} read with the samples before the cut, {errs} errors naming the byte offset");
    assert!(runs >= 8 * 35, "{runs} cuts");
}

/// A file cut in the middle of its records keeps the samples before the cut, with a note.
#[test]
fn cut_inside_records_keeps_the_samples_before_it() {
    let dir = tempfile::tempdir().unwrap();
    // (c_fp_zstd holds its records in one COMPRESSED record: a cut inside it keeps none.)
    for name in ["mt_fp", "mt_pipe", "c_fp"] {
        let bytes = std::fs::read(data(name)).unwrap();
        let full = ingest(&data(name)).samples.len();
        // Middle of the data section (file mode: header fields at 40/48; pipe: after 16 bytes).
        let cut = if &bytes[8..16] == 104u64.to_le_bytes().as_slice() {
            let at = u64::from_le_bytes(bytes[40..48].try_into().unwrap()) as usize;
            at + u64::from_le_bytes(bytes[48..56].try_into().unwrap()) as usize / 2 + 3
        } else {
            bytes.len() / 2 + 3
        };
        let p = dir.path().join(format!("{name}.data"));
        std::fs::write(&p, &bytes[..cut]).unwrap();
        let out = ingest(&p);
        assert!(!out.samples.is_empty() && out.samples.len() < full, "{name}: {} of {full}", out.samples.len());
        let notes: Vec<_> = out.account.rows("s", None).into_iter().filter_map(|r| r.reason).collect();
        assert!(notes.iter().any(|n| n.contains("truncated") && n.contains("byte")), "{name}: {notes:?}");
    }
}

/// `--call-graph dwarf`: user stacks are unwound (framehop over .eh_frame), as in perf's report
/// of c_dwarf.data (-O2: run_phase is partly inlined / tail-called, so perf shows
/// `mix64 ← hash_loop ← main` and `matmul ← run_phase ← main`, all under `_start`).
#[test]
fn dwarf_user_stacks_are_unwound() {
    let sym = Symbolizer::new(symbol_options());
    if !resolves(&sym) {
        eprintln!("skipping: the symbolizer does not resolve yet (stub bodies)");
        return;
    }
    let out = as_script(ingest_with(&data("c_dwarf"), &sym).unwrap());
    let folded = perf_script::folded(&out, &FoldOptions::default());
    let with = |needle: &str| folded.iter().filter(|(k, _)| k.contains(needle)).map(|(_, v)| v).sum::<u64>();
    let total: u64 = folded.values().sum();
    let shown: Vec<String> = folded.iter().map(|(k, v)| format!("{k} {v}")).collect();
    for path in ["main;hash_loop;mix64", "main;run_phase;matmul", "main;sort_phase"] {
        assert!(with(path) > 0, "c_dwarf: no stack through {path}:\n{}", shown.join("\n"));
    }
    // Nearly every sample unwinds to main (perf: all but the kernel-only ones).
    assert!(with(";main;") * 10 >= total * 9, "{} of {total} through main", with(";main;"));
}

/// Manual: counts and peak memory on a large perf.data (`TRACEFOLD_BIG_PERF_DATA=path cargo test
/// --release -p tracefold-ingest --test it big_perf_data -- --ignored --nocapture`).
#[test]
#[ignore]
fn big_perf_data() {
    let Ok(path) = std::env::var("TRACEFOLD_BIG_PERF_DATA") else { return };
    let hwm = || {
        let s = std::fs::read_to_string("/proc/self/status").unwrap();
        s.lines().find(|l| l.starts_with("VmHWM")).unwrap_or("").to_string()
    };
    let t = std::time::Instant::now();
    let sym = Symbolizer::new(SymbolOptions { kallsyms: Some("/proc/kallsyms".into()), ..Default::default() });
    let out = ingest_with(Path::new(&path), &sym).unwrap();
    eprintln!(
        "samples {} stacks {} frames {} threads {} in {:?}; {}",
        out.samples.len(),
        out.stacks.len(),
        out.frames.len(),
        out.threads.len(),
        t.elapsed(),
        hwm()
    );
}

/// A kallsyms copy taken after a reboot: KASLR placed the kernel elsewhere, so every address
/// in the copy differs from the recording's by one offset. Kernel frames are looked up relative
/// to the `_text` perf recorded (as `perf report` does with its `ref_reloc_sym`) and resolve to
/// the same functions as with the recording boot's copy; the ingest log says by how much.
#[test]
fn kallsyms_from_another_boot_is_relocated() {
    use std::io::Read;
    let mut text = Vec::new();
    let xz = std::fs::read(fixture("perf/symbols/kallsyms.xz")).unwrap();
    liblzma::read::XzDecoder::new(&xz[..]).read_to_end(&mut text).unwrap();
    // 0x2a00000: KASLR moves the kernel by a multiple of 2 MiB.
    const MOVED: u64 = 0x2a0_0000;
    let moved: String = String::from_utf8(text)
        .unwrap()
        .lines()
        .map(|l| match l.split_once(' ').map(|(a, rest)| (u64::from_str_radix(a, 16), rest)) {
            Some((Ok(a), rest)) if a != 0 => format!("{:016x} {rest}\n", a + MOVED),
            _ => format!("{l}\n"),
        })
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let moved_path = tmp.path().join("kallsyms");
    std::fs::write(&moved_path, moved).unwrap();

    let original = Symbolizer::new(symbol_options());
    let other_boot = Symbolizer::new(SymbolOptions { kallsyms: Some(moved_path), ..symbol_options() });
    let want = ingest_with(&data("c_fp"), &original).unwrap();
    let got = ingest_with(&data("c_fp"), &other_boot).unwrap();
    let kernel: Vec<_> = want.frames.iter().filter(|f| f.kind == "kernel").collect();
    assert!(kernel.len() > 20, "c_fp has kernel frames: {}", kernel.len());
    assert!(kernel.iter().all(|f| f.function != "[unknown]"), "the recording boot's copy resolves them");
    // Without the relocation the moved copy would name other functions.
    let misnamed = kernel
        .iter()
        .filter(|f| other_boot.kernel(f.address.unwrap() as u64).map(|s| s.name) != Some(f.function.clone()))
        .count();
    assert_eq!(misnamed, kernel.len(), "the moved copy does not fit the recorded addresses as they are");
    assert_eq!(got.frames, want.frames, "same functions, addresses as recorded");
    let notes: Vec<String> = got.account.rows("x", None).into_iter().filter_map(|r| r.reason).collect();
    assert!(
        notes.iter().any(|n| n.contains("KASLR") && n.contains("+0x2a00000")),
        "the log says the kernel moved: {notes:?}"
    );
    let quiet = want.account.rows("x", None).into_iter().filter_map(|r| r.reason).any(|n| n.contains("KASLR"));
    assert!(!quiet, "no note when the copy is the recording boot's");
}
