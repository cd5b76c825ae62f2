//! Oracle test of offline symbolization: every callchain line of perf's own `perf script` output
//! (`X.script.txt`, perf 6.1 on the recording machine) is looked up again with our symbolizer
//! and the name must equal the one perf printed. Kernel addresses go to kallsyms, `/tmp/perf-PID.map`
//! frames to the JIT map, file-backed frames (DSO-relative = file offset) to the ELF binaries.
//!
//! Inputs: `../shared/corpus/perf/generated` when present (all 8 recordings), and always the
//! copies in `fixtures/perf/symbols/` (see its PROVENANCE.md) so the test runs without
//! `../shared`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use tracefold_ingest::symbolize::{Lookup, SymbolOptions, Symbolizer};

use crate::common::{fixture, shared_corpus};

/// Build-ids of the binaries we have (from `readelf -n`; the Go binary has only a Go build ID).
const BUILD_IDS: &[(&str, &str)] = &[
    ("/usr/lib/x86_64-linux-gnu/libc.so.6", "93ac61ec5a8eb1396f9fbd350e3169a558528a40"),
    ("/tmp/gen/mtwork", "ffdc29eda568ffbcfac88817a6d3ee69e9bac5d4"),
    ("/tmp/gen/cpuwork_fp", "983b43e2c9eb7496a3c0fd94a6fd9b564048e07b"),
];

/// Recorded paths whose binary is not shipped: their frames must come back `MissingBinary`.
const ABSENT: &[&str] = &[
    "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so",
    "/usr/lib/jvm/java-17-openjdk-amd64/lib/libjli.so",
    "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// One callchain line of perf script.
#[derive(Debug, Clone)]
struct Frame {
    line_no: usize,
    pid: i64,
    addr: u64,
    sym: String,
    dso: String,
}

/// Parses the callchain lines (`\t<hex> <sym> (<dso>)`) with the pid of their sample header.
fn parse_script(text: &str) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut pid = -1i64;
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        if !line.starts_with('\t') {
            // Header: "comm pid/tid [cpu] time: period event: "; comm may contain spaces.
            pid = line
                .split_whitespace()
                .find_map(|t| {
                    let (p, tid) = t.split_once('/')?;
                    tid.parse::<i64>().ok()?;
                    p.parse::<i64>().ok()
                })
                .unwrap_or(-1);
            continue;
        }
        let body = line.trim();
        let (addr, rest) = body.split_once(' ').unwrap_or_else(|| panic!("line {}: {line:?}", i + 1));
        let open = rest.rfind(" (").unwrap_or_else(|| panic!("line {}: no dso: {line:?}", i + 1));
        assert!(rest.ends_with(')'), "line {}: {line:?}", i + 1);
        out.push(Frame {
            line_no: i + 1,
            pid,
            addr: u64::from_str_radix(addr, 16).unwrap_or_else(|_| panic!("line {}: bad address", i + 1)),
            sym: rest[..open].to_string(),
            dso: rest[open + 2..rest.len() - 1].to_string(),
        });
    }
    out
}

#[derive(Debug, Default, Clone)]
struct Tally {
    kernel: (usize, usize),
    jit: (usize, usize),
    file: (usize, usize),
    /// perf printed `[unknown]` in a binary we have: we must find no symbol either.
    file_unknown: (usize, usize),
    missing: (usize, usize),
    skipped: BTreeMap<String, usize>,
    mismatches: Vec<String>,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        for (a, b) in [
            (&mut self.kernel, o.kernel),
            (&mut self.jit, o.jit),
            (&mut self.file, o.file),
            (&mut self.file_unknown, o.file_unknown),
            (&mut self.missing, o.missing),
        ] {
            a.0 += b.0;
            a.1 += b.1;
        }
        for (k, v) in &o.skipped {
            *self.skipped.entry(k.clone()).or_default() += v;
        }
        self.mismatches.extend(o.mismatches.iter().cloned());
    }

    fn checked(&self) -> usize {
        self.kernel.0 + self.jit.0 + self.file.0 + self.file_unknown.0 + self.missing.0
    }
}

fn check(ok: bool, t: &mut (usize, usize)) {
    t.0 += 1;
    if ok {
        t.1 += 1;
    }
}

/// Checks every frame of one script text.
fn check_script(sym: &Symbolizer, name: &str, text: &str, with_build_ids: bool) -> Tally {
    let build_ids: BTreeMap<&str, Vec<u8>> = BUILD_IDS.iter().map(|(p, h)| (*p, unhex(h))).collect();
    let mut t = Tally::default();
    for f in parse_script(text) {
        let label = |got: &str| format!("{name}:{} {:x} ({}) perf={:?} ours={got}", f.line_no, f.addr, f.dso, f.sym);
        if f.dso == "[kernel.kallsyms]" {
            if f.sym == "[unknown]" {
                *t.skipped.entry("kernel [unknown]".into()).or_default() += 1;
                continue;
            }
            let got = sym.kernel(f.addr);
            let ok = got.as_ref().is_some_and(|s| s.name == f.sym);
            check(ok, &mut t.kernel);
            if !ok {
                t.mismatches.push(label(&format!("{got:?}")));
            }
        } else if f.dso.starts_with("/tmp/perf-") && f.dso.ends_with(".map") {
            let pid: i64 = f.dso["/tmp/perf-".len()..f.dso.len() - 4].parse().unwrap();
            assert_eq!(pid, f.pid, "{name}:{}: map of another process", f.line_no);
            let got = sym.jit(pid, f.addr);
            let ok = got.as_ref().is_some_and(|s| s.name == f.sym);
            check(ok, &mut t.jit);
            if !ok {
                t.mismatches.push(label(&format!("{got:?}")));
            }
        } else if f.dso.starts_with('/') {
            let id = if with_build_ids { build_ids.get(f.dso.as_str()).map(Vec::as_slice) } else { None };
            let got = sym.in_file(&f.dso, id, f.addr);
            if ABSENT.contains(&f.dso.as_str()) {
                let ok = got == Lookup::MissingBinary;
                check(ok, &mut t.missing);
                if !ok {
                    t.mismatches.push(label(&format!("{got:?}")));
                }
            } else if f.sym == "[unknown]" {
                let ok = got == Lookup::NoSymbol;
                check(ok, &mut t.file_unknown);
                if !ok {
                    t.mismatches.push(label(&format!("{got:?}")));
                }
            } else {
                let ok = matches!(&got, Lookup::Found(s) if s.name == f.sym);
                check(ok, &mut t.file);
                if !ok {
                    t.mismatches.push(label(&format!("{got:?}")));
                }
            }
        } else {
            // `[unknown]` (no mapping: garbage frame pointers, freed JIT code), `[vdso]` (no
            // image), `inlined` (DWARF inline frames of the dwarf recording: not in a symtab).
            *t.skipped.entry(f.dso.clone()).or_default() += 1;
        }
    }
    t
}

fn report(title: &str, per_file: &[(String, Tally)]) -> Tally {
    let mut total = Tally::default();
    eprintln!("== symbolization oracle: {title}");
    eprintln!(
        "{:<24} {:>13} {:>13} {:>13} {:>13} {:>13}  skipped",
        "file", "kernel", "jit", "file", "file-unknown", "missing-bin"
    );
    let f = |x: (usize, usize)| format!("{}/{}", x.1, x.0);
    for (name, t) in per_file {
        eprintln!(
            "{name:<24} {:>13} {:>13} {:>13} {:>13} {:>13}  {:?}",
            f(t.kernel),
            f(t.jit),
            f(t.file),
            f(t.file_unknown),
            f(t.missing),
            t.skipped
        );
        total.add(t);
    }
    eprintln!(
        "{:<24} {:>13} {:>13} {:>13} {:>13} {:>13}  {:?}",
        "TOTAL (matched/checked)",
        f(total.kernel),
        f(total.jit),
        f(total.file),
        f(total.file_unknown),
        f(total.missing),
        total.skipped
    );
    eprintln!("lines checked: {}, mismatches: {}", total.checked(), total.mismatches.len());
    for m in total.mismatches.iter().take(40) {
        eprintln!("  MISMATCH {m}");
    }
    total
}

fn symbolizer(bin_dirs: Vec<PathBuf>, kallsyms: PathBuf, map_dir: PathBuf) -> Symbolizer {
    Symbolizer::new(SymbolOptions {
        symfs: None,
        binary_dirs: bin_dirs,
        kallsyms: Some(kallsyms),
        perf_map_dirs: vec![map_dir],
    })
}

fn run_scripts(title: &str, sym: &Symbolizer, scripts: &[PathBuf], with_build_ids: bool) -> Tally {
    let mut per_file = Vec::new();
    for p in scripts {
        let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let name = p.file_name().unwrap().to_string_lossy().replace(".script.txt", "");
        per_file.push((name.clone(), check_script(sym, &name, &text, with_build_ids)));
    }
    report(title, &per_file)
}

fn symbols_fixture() -> PathBuf {
    fixture("perf/symbols")
}

/// The corpus-free run: shipped copies only.
#[test]
fn oracle_fixture_copies() {
    let root = symbols_fixture();
    let sym = symbolizer(vec![root.join("bin"), root.join("debug")], root.join("kallsyms.xz"), root.clone());
    let scripts: Vec<PathBuf> =
        ["c_fp", "mt_fp", "java_fp"].iter().map(|n| root.join(format!("script/{n}.script.txt"))).collect();
    let t = run_scripts("fixtures/perf/symbols (build-ids given)", &sym, &scripts, true);
    assert!(t.kernel.0 > 400 && t.jit.0 > 2000 && t.file.0 > 4000 && t.missing.0 > 5000, "{t:?}");
    assert!(t.mismatches.is_empty(), "{} mismatches", t.mismatches.len());
    assert!(sym.missing_dsos().iter().all(|(p, _)| ABSENT.contains(&p.as_str())), "{:?}", sym.missing_dsos());

    // Without build-ids (pipe-mode / -z files have an empty build-id table): found by name.
    let sym = symbolizer(vec![root.join("bin"), root.join("debug")], root.join("kallsyms.xz"), root.clone());
    let t = run_scripts("fixtures/perf/symbols (no build-ids)", &sym, &scripts[1..2], false);
    assert!(t.file.0 > 1000 && t.mismatches.is_empty(), "{t:?}");
}

/// All eight recordings of the shared corpus.
#[test]
fn oracle_shared_corpus() {
    let Some(gen) = shared_corpus("perf/generated") else { return };
    let start = Instant::now();
    let sym = symbolizer(vec![gen.join("bin"), symbols_fixture().join("debug")], gen.join("kallsyms.xz"), gen.clone());
    assert!(sym.has_kernel_symbols());
    eprintln!("kallsyms.xz load: {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&gen)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".script.txt"))
        .collect();
    scripts.sort();
    assert_eq!(scripts.len(), 8, "{scripts:?}");
    let t = run_scripts("shared corpus (8 recordings)", &sym, &scripts, true);
    assert!(t.kernel.0 > 5000 && t.file.0 > 20000 && t.jit.0 > 2000, "{t:?}");
    assert!(t.mismatches.is_empty(), "{} mismatches", t.mismatches.len());
}

/// Timing: a fresh symbolizer resolving every line of go_http.script.txt (7 MB Go binary,
/// libc, kallsyms).
#[test]
fn go_http_timing() {
    let Some(gen) = shared_corpus("perf/generated") else { return };
    let text = std::fs::read_to_string(gen.join("go_http.script.txt")).unwrap();
    let frames = parse_script(&text);
    let t0 = Instant::now();
    let sym = symbolizer(vec![gen.join("bin")], gen.join("kallsyms.xz"), gen.clone());
    assert!(sym.has_kernel_symbols());
    let t_kallsyms = t0.elapsed();
    let t1 = Instant::now();
    let mut found = 0usize;
    for f in &frames {
        let ok = if f.dso == "[kernel.kallsyms]" {
            sym.kernel(f.addr).is_some()
        } else if f.dso.starts_with('/') {
            matches!(sym.in_file(&f.dso, None, f.addr), Lookup::Found(_))
        } else {
            false
        };
        found += ok as usize;
    }
    let t_first = t1.elapsed();
    let t2 = Instant::now();
    for f in &frames {
        if f.dso == "[kernel.kallsyms]" {
            std::hint::black_box(sym.kernel(f.addr));
        } else if f.dso.starts_with('/') {
            std::hint::black_box(sym.in_file(&f.dso, None, f.addr));
        }
    }
    let t_warm = t2.elapsed();
    eprintln!(
        "go_http: {} frames ({found} resolved); kallsyms.xz load {:.1} ms; first pass (loads gohttp + libc) {:.1} ms; \
         warm pass {:.2} ms ({:.0} ns/lookup)",
        frames.len(),
        t_kallsyms.as_secs_f64() * 1e3,
        t_first.as_secs_f64() * 1e3,
        t_warm.as_secs_f64() * 1e3,
        t_warm.as_secs_f64() * 1e9 / frames.len() as f64
    );
    assert!(found > 15000);
}

/// Binaries located by build-id only (recorded path unknown here), by `--symfs`, and a wrong
/// build-id rejected.
#[test]
fn locate_by_build_id_symfs_and_mismatch() {
    let root = symbols_fixture();
    let libc_id = unhex(BUILD_IDS[0].1);
    let sym = Symbolizer::new(SymbolOptions { binary_dirs: vec![root.clone()], ..SymbolOptions::default() });
    // By build-id under a differently named path; symbols from the debug file's .symtab.
    let got = sym.in_file("/some/other/place/libc-2.36.so", Some(&libc_id), 0x891f5);
    assert_eq!(got, Lookup::Found(tracefold_ingest::symbolize::Symbol { name: "start_thread".into(), offset: 0x305 }));
    let found = sym.locate_binary("/elsewhere/libc.so.6", Some(&libc_id)).unwrap();
    assert!(found.ends_with("bin/libc.so.6"), "{found:?}");
    // perf.data pads build-ids to 24 bytes.
    let mut padded = libc_id.clone();
    padded.extend([0; 4]);
    assert!(
        matches!(sym.in_file("/x/libc.so.6", Some(&padded), 0x891f5), Lookup::Found(s) if s.name == "start_thread")
    );
    // A binary of the same name with another build-id is another build: not used.
    let got = sym.in_file("/usr/lib/x86_64-linux-gnu/libc.so.6", Some(&[0xab; 20]), 0x891f5);
    assert_eq!(got, Lookup::MissingBinary);
    assert_eq!(sym.missing_dsos().len(), 1);
    // --symfs: root + recorded path.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tmp/gen");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root.join("bin/mtwork"), dir.join("mtwork")).unwrap();
    let sym = Symbolizer::new(SymbolOptions { symfs: Some(tmp.path().to_path_buf()), ..SymbolOptions::default() });
    match sym.in_file("/tmp/gen/mtwork", None, 0x12b0) {
        Lookup::Found(s) => assert_eq!(s.name, "crc_step"),
        other => panic!("{other:?}"),
    }
    // An address outside every symbol of a found binary.
    assert_eq!(sym.in_file("/tmp/gen/mtwork", None, 0x10_0000), Lookup::NoSymbol);
    let src = sym.dso_sources();
    assert_eq!(src.len(), 1);
    assert!(src[0].binary.ends_with("tmp/gen/mtwork") && src[0].symbols > 10, "{src:?}");
}

/// With no build-id recorded, the file at the recorded path is used when it has no build-id
/// either (as perf does: a Go binary or a Rust toolchain library has none), and not when it has
/// one (it may be another build of the DSO).
#[test]
fn recorded_path_without_build_ids_is_used_by_path() {
    let root = symbols_fixture();
    let with_id = std::fs::read(root.join("bin/mtwork")).unwrap();
    // The GNU build-id note (namesz 4, descsz 20, type 3, "GNU\0") retyped: no build-id left.
    let note: &[u8] = &[4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, b'G', b'N', b'U', 0];
    let at = with_id.windows(note.len()).position(|w| w == note).expect("mtwork has a GNU build-id note");
    let mut without_id = with_id.clone();
    without_id[at + 8] = 0x7f;
    let tmp = tempfile::tempdir().unwrap();
    let (bare, stamped) = (tmp.path().join("mtwork-bare"), tmp.path().join("mtwork-stamped"));
    std::fs::write(&bare, &without_id).unwrap();
    std::fs::write(&stamped, &with_id).unwrap();
    let sym = Symbolizer::new(SymbolOptions::default());
    match sym.in_file(bare.to_str().unwrap(), None, 0x12b0) {
        Lookup::Found(s) => assert_eq!(s.name, "crc_step"),
        other => panic!("{other:?}"),
    }
    assert_eq!(sym.in_file(stamped.to_str().unwrap(), None, 0x12b0), Lookup::MissingBinary);
}

/// A binary cut short anywhere (its headers, its section table, its symbol or string table
/// beyond the end) is read in place without a panic, and never gives a wrong name.
#[test]
fn truncated_binaries_are_read_without_panics() {
    let whole = std::fs::read(symbols_fixture().join("bin/mtwork")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tmp/gen");
    std::fs::create_dir_all(&dir).unwrap();
    let mut cuts: Vec<usize> = vec![0, 4, 16, 63, 64, 100, 1000, 4096, whole.len() - 1];
    cuts.extend((1..16).map(|k| whole.len() * k / 16));
    for cut in cuts {
        std::fs::write(dir.join("mtwork"), &whole[..cut]).unwrap();
        let sym = Symbolizer::new(SymbolOptions { symfs: Some(tmp.path().to_path_buf()), ..SymbolOptions::default() });
        // Whatever survives the cut, a name found is the right one.
        if let Lookup::Found(s) = sym.in_file("/tmp/gen/mtwork", None, 0x12b0) {
            assert_eq!(s.name, "crc_step", "cut at {cut}");
        }
    }
    // Whole again: found.
    std::fs::write(dir.join("mtwork"), &whole).unwrap();
    let sym = Symbolizer::new(SymbolOptions { symfs: Some(tmp.path().to_path_buf()), ..SymbolOptions::default() });
    assert!(matches!(sym.in_file("/tmp/gen/mtwork", None, 0x12b0), Lookup::Found(s) if s.name == "crc_step"));
}

/// Symbolizer shared across threads (rayon), each binary loaded once.
#[test]
fn parallel_lookups_agree() {
    use rayon::prelude::*;
    let root = symbols_fixture();
    let text = std::fs::read_to_string(root.join("script/mt_fp.script.txt")).unwrap();
    let frames: Vec<Frame> = parse_script(&text).into_iter().filter(|f| f.dso.starts_with('/')).collect();
    let sym = symbolizer(vec![root.join("bin"), root.join("debug")], root.join("kallsyms.xz"), root.clone());
    let par: Vec<Lookup> = frames.par_iter().map(|f| sym.in_file(&f.dso, None, f.addr)).collect();
    let seq: Vec<Lookup> = frames.iter().map(|f| sym.in_file(&f.dso, None, f.addr)).collect();
    assert_eq!(par, seq);
}

/// When this machine has the JDK of java_fp.data (same build-ids as recorded), libjvm / libjli /
/// ld.so frames resolve from the recorded paths (no --symfs, build-id must match) and must equal
/// perf's names, C++ demangled as perf prints them. Skips otherwise.
#[test]
fn oracle_local_jdk_by_build_id() {
    let Some(gen) = shared_corpus("perf/generated") else { return };
    let data = std::fs::File::open(gen.join("java_fp.data")).unwrap();
    let reader = linux_perf_data::PerfFileReader::parse_file(std::io::BufReader::new(data)).unwrap();
    let table: BTreeMap<String, Vec<u8>> = reader
        .perf_file
        .build_ids()
        .unwrap()
        .into_values()
        .map(|d| (String::from_utf8_lossy(&d.path).into_owned(), d.build_id))
        .collect();
    // Only DSOs with sampled leaf addresses are in the table (libjli.so is not: its frames stay
    // missing without a build-id to check a local file against).
    let jvm = ABSENT[0];
    if !(table.contains_key(jvm) && Path::new(jvm).exists()) {
        eprintln!("skipping: the recording machine's JDK is not installed here");
        return;
    }
    let sym = Symbolizer::new(SymbolOptions::default());
    let text = std::fs::read_to_string(gen.join("java_fp.script.txt")).unwrap();
    let (mut checked, mut matched, mut missing) = (0, 0, 0);
    let mut bad = Vec::new();
    // ld.so's local names (perf printed `_dl_relocate_object`) need its debug file (libc6-dbg).
    let ld_debug = Path::new("/usr/lib/debug/.build-id/7e/bc65e52f2bbea498b4040fa92f7238377aaba9.debug").exists();
    let wanted = |dso: &str| dso == ABSENT[0] || (dso == ABSENT[2] && ld_debug);
    for f in parse_script(&text).iter().filter(|f| wanted(&f.dso) && f.sym != "[unknown]") {
        let id = table.get(f.dso.as_str()).map(|v| v.as_slice());
        match sym.in_file(&f.dso, id, f.addr) {
            Lookup::MissingBinary => missing += 1,
            got => {
                checked += 1;
                if matches!(&got, Lookup::Found(s) if s.name == f.sym) {
                    matched += 1;
                } else if bad.len() < 20 {
                    bad.push(format!("{}: {:x} perf={:?} ours={got:?}", f.line_no, f.addr, f.sym));
                }
            }
        }
    }
    eprintln!(
        "local JDK: {matched}/{checked} matched, {missing} missing (no recorded build-id or another local build)"
    );
    for b in &bad {
        eprintln!("  MISMATCH {b}");
    }
    assert_eq!(matched, checked);
}

/// A Go binary stripped of `.symtab` (`strip`, when binutils is installed) is symbolized from its
/// `.gopclntab`: perf's names up to the `.abi0` suffix the ELF symtab adds to assembly functions.
#[test]
fn stripped_go_binary_uses_gopclntab() {
    let Some(gen) = shared_corpus("perf/generated") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let stripped = tmp.path().join("gohttp");
    let ok = std::process::Command::new("strip")
        .arg("-o")
        .arg(&stripped)
        .arg(gen.join("bin/gohttp"))
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipping: `strip` is not available");
        return;
    }
    let sym =
        Symbolizer::new(SymbolOptions { binary_dirs: vec![tmp.path().to_path_buf()], ..SymbolOptions::default() });
    let text = std::fs::read_to_string(gen.join("go_http.script.txt")).unwrap();
    let frames: Vec<Frame> =
        parse_script(&text).into_iter().filter(|f| f.dso == "/tmp/gen/gohttp/gohttp" && f.sym != "[unknown]").collect();
    let mut bad = 0;
    for f in &frames {
        let want = f.sym.strip_suffix(".abi0").unwrap_or(&f.sym);
        match sym.in_file(&f.dso, None, f.addr) {
            Lookup::Found(s) if s.name == want => {}
            other => {
                bad += 1;
                if bad < 10 {
                    eprintln!("  MISMATCH {}: {:x} perf={want} ours={other:?}", f.line_no, f.addr);
                }
            }
        }
    }
    eprintln!("stripped gohttp via .gopclntab: {}/{} frames match perf", frames.len() - bad, frames.len());
    assert!(frames.len() > 15000);
    assert_eq!(bad, 0);
}
