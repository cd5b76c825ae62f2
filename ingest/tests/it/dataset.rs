//! Ingest to a dataset and read it back: tables, accounting, hashes, directory inputs,
//! replacing a run, and identical output for 1 and N threads.

use model::read::read_table;
use model::tables::gc_cycles::GcCycleRow;
use model::tables::gc_pauses::GcPauseRow;
use model::tables::ingest_log::IngestLogRow;
use model::tables::runs::SourceRow;
use model::tables::safepoints::SafepointRow;
use sha2::Digest;
use tracefold_ingest::run::NoProgress;
use tracefold_ingest::{ingest_run, IngestOptions};

use crate::common::fixture;

/// `<tmp>/logs/` holding the G1 fixture as `gc.log`.
fn logs_dir_with_g1(tmp: &tempfile::TempDir) -> std::path::PathBuf {
    let dir = tmp.path().join("logs");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(fixture("gc/jdk17/g1.log"), dir.join("gc.log")).unwrap();
    dir
}

#[test]
fn directory_run_with_accounting_and_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = logs_dir_with_g1(&tmp);
    std::fs::copy(fixture("gc/jdk17/g1.cmd"), dir.join("command.txt")).unwrap();
    let ds = tmp.path().join("ds");
    let opts = IngestOptions {
        inputs: vec![dir.clone()],
        dataset: ds.clone(),
        run: Some("g1".into()),
        labels: vec![("heap".into(), "256M".into())],
        ..Default::default()
    };
    let s = ingest_run(&opts, &NoProgress).unwrap();
    assert_eq!(s.unrecognised.len(), 1, "command.txt is listed as skipped, not an error");
    let runs: Vec<SourceRow> = read_table(&ds, "g1").unwrap();
    assert_eq!(runs.len(), 2);
    let log = runs.iter().find(|r| r.source.ends_with("gc.log")).unwrap();
    let want = sha2::Sha256::digest(std::fs::read(dir.join("gc.log")).unwrap());
    assert_eq!(log.sha256, want.iter().map(|b| format!("{b:02x}")).collect::<String>());
    assert_eq!(log.size_bytes, std::fs::metadata(dir.join("gc.log")).unwrap().len() as i64);
    assert_eq!(log.format.as_deref(), Some("jvm-unified"));
    assert_eq!(log.labels, "heap=256M");
    let skipped = runs.iter().find(|r| r.source.ends_with("command.txt")).unwrap();
    assert_eq!(skipped.status, "skipped");

    let logrows: Vec<IngestLogRow> = read_table(&ds, "g1").unwrap();
    let total = logrows.iter().find(|r| r.kind == "total" && r.source.ends_with("gc.log")).unwrap();
    let lines = std::fs::read_to_string(dir.join("gc.log")).unwrap().lines().count() as i64;
    assert_eq!(total.read, lines, "every line is accounted for");
    assert_eq!(total.read, total.parsed + total.skipped);
    let per_reason: i64 = logrows
        .iter()
        .filter(|r| r.source.ends_with("gc.log") && (r.kind == "skip" || r.kind == "ignore"))
        .map(|r| r.skipped)
        .sum();
    assert_eq!(per_reason, total.skipped);
    assert!(logrows.iter().any(|r| r.source.ends_with("command.txt") && r.kind == "skip"));

    let pauses: Vec<GcPauseRow> = read_table(&ds, "g1").unwrap();
    assert_eq!(pauses.len(), s.sources[0].pauses);
    assert!(pauses.iter().all(|p| p.clock.starts_with("jvm_uptime@")));
    let cycles: Vec<GcCycleRow> = read_table(&ds, "g1").unwrap();
    assert_eq!(cycles.iter().map(|c| c.pause_count).sum::<i64>(), pauses.len() as i64);
    let sp: Vec<SafepointRow> = read_table(&ds, "g1").unwrap();
    assert!(!sp.is_empty());
}

#[test]
fn reingesting_a_run_replaces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    let mk = |f: &str| IngestOptions {
        inputs: vec![fixture(f)],
        dataset: ds.clone(),
        run: Some("r".into()),
        ..Default::default()
    };
    ingest_run(&mk("gc/jdk17/g1.log"), &NoProgress).unwrap();
    ingest_run(&mk("gc/jdk17/zgc.log"), &NoProgress).unwrap();
    let pauses: Vec<GcPauseRow> = read_table(&ds, "r").unwrap();
    assert!(pauses.iter().all(|p| p.collector == "ZGC"));
    assert_eq!(model::read::list_runs(&ds).unwrap(), vec!["r".to_string()]);
    assert!(!ds.join(".staging").exists());
}

#[test]
fn same_rows_for_one_and_many_threads() {
    let inputs = vec![fixture("gc/jdk17"), fixture("gc/go/go_churn.gctrace.txt")];
    let read = |threads: usize| {
        let tmp = tempfile::tempdir().unwrap();
        let ds = tmp.path().join("ds");
        let opts =
            IngestOptions { inputs: inputs.clone(), dataset: ds.clone(), run: Some("r".into()), ..Default::default() };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| ingest_run(&opts, &NoProgress)).unwrap();
        let p: Vec<GcPauseRow> = read_table(&ds, "r").unwrap();
        let c: Vec<GcCycleRow> = read_table(&ds, "r").unwrap();
        let l: Vec<IngestLogRow> = read_table(&ds, "r").unwrap();
        (p, c, l)
    };
    let one = read(1);
    assert!(one.0.len() > 1000);
    assert_eq!(one, read(4));
}

#[test]
fn rotated_set_is_one_run_on_one_clock() {
    // Split a real log at a line boundary into the names a JVM gives rotated files.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    std::fs::create_dir(&dir).unwrap();
    let text = std::fs::read_to_string(fixture("gc/jdk17/g1.log")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let half = lines.len() / 2;
    std::fs::write(dir.join("gc.log.0"), lines[..half].join("\n") + "\n").unwrap();
    std::fs::write(dir.join("gc.log"), lines[half..].join("\n") + "\n").unwrap();
    let ds = tmp.path().join("ds");
    let opts =
        IngestOptions { inputs: vec![dir.clone()], dataset: ds.clone(), run: Some("g1".into()), ..Default::default() };
    ingest_run(&opts, &NoProgress).unwrap();
    let pauses: Vec<GcPauseRow> = read_table(&ds, "g1").unwrap();
    let (_, whole, _) = crate::common::parse_file(&fixture("gc/jdk17/g1.log")).unwrap();
    assert_eq!(pauses.len(), whole.pauses.len());
    let clocks: std::collections::BTreeSet<&str> = pauses.iter().map(|p| p.clock.as_str()).collect();
    assert_eq!(clocks.len(), 1, "{clocks:?}");
    let offsets: Vec<model::tables::clock_offsets::ClockOffsetRow> = read_table(&ds, "g1").unwrap();
    assert_eq!(offsets.len(), 1);
    assert_eq!(offsets[0].clock, *clocks.iter().next().unwrap());
}

/// In a directory, a FIFO (reading it would block for ever), a dangling link and a link to an
/// ancestor directory (following it would loop) are listed as skipped, with their reason; the
/// log beside them is ingested.
#[test]
fn fifos_and_bad_links_in_a_directory_are_skipped_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = logs_dir_with_g1(&tmp);
    let fifo = std::process::Command::new("mkfifo").arg(dir.join("pipe")).status().unwrap();
    assert!(fifo.success());
    std::os::unix::fs::symlink(dir.join("gone.log"), dir.join("dangling.log")).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("loop")).unwrap();
    let ds = tmp.path().join("ds");
    let opts =
        IngestOptions { inputs: vec![dir.clone()], dataset: ds.clone(), run: Some("r".into()), ..Default::default() };
    let s = ingest_run(&opts, &NoProgress).unwrap();
    assert_eq!(s.sources.len(), 1);
    assert_eq!(s.unrecognised.len(), 3, "{:?}", s.unrecognised);
    let logrows: Vec<IngestLogRow> = read_table(&ds, "r").unwrap();
    let reason = |name: &str| {
        let row = logrows.iter().find(|r| r.source.ends_with(name) && r.kind == "skip").unwrap();
        row.reason.clone().unwrap()
    };
    assert!(reason("pipe").contains("not a regular file"), "{}", reason("pipe"));
    assert!(reason("dangling.log").contains("symbolic link that cannot be followed"), "{}", reason("dangling.log"));
    assert!(reason("loop").contains("link to a directory"), "{}", reason("loop"));
    let runs: Vec<SourceRow> = read_table(&ds, "r").unwrap();
    assert_eq!(runs.iter().filter(|r| r.status == "skipped").count(), 3);
}

#[test]
fn cgroup_directory_captures_are_told_from_log_directories() {
    use tracefold_ingest::source::is_cgroup_dir;
    let tmp = tempfile::tempdir().unwrap();
    // GC logs in numerically named sub-directories (as gctoolkit's test data has) are not a capture.
    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(logs.join("180")).unwrap();
    std::fs::copy(fixture("gc/jdk17/g1.log"), logs.join("180/gc.log")).unwrap();
    assert!(!is_cgroup_dir(&logs));
    // A directory per timestamp holding a copied cgroup tree is.
    let cap = tmp.path().join("cap");
    let ts = cap.join("1795686620327094457/unified");
    std::fs::create_dir_all(&ts).unwrap();
    std::fs::write(ts.join("cpu.stat"), "usage_usec 10\nnr_periods 0\n").unwrap();
    assert!(is_cgroup_dir(&cap));
    // A one-off copy of a cgroup directory is.
    assert!(is_cgroup_dir(&ts));
}

#[test]
fn cgroup_streams_are_written_in_batches_without_losing_rows() {
    // 30 copies of a real capture: ~88k values, more than one flush batch (64 Ki rows).
    let one = std::fs::read_to_string(fixture("cgroup/throttle_run_a/samples.cgsnap")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("big.cgsnap");
    std::fs::write(&path, one.repeat(30)).unwrap();
    let mut in_memory = tracefold_ingest::cgroup::CgroupOutput::default();
    let ctx = tracefold_ingest::gc::SourceCtx { source: "x".into(), clock_scope: "x".into() };
    tracefold_ingest::cgroup::ingest(
        &ctx,
        &mut std::io::BufReader::new(std::fs::File::open(&path).unwrap()),
        &mut in_memory,
    )
    .unwrap();
    assert!(in_memory.samples.len() > 64 * 1024);
    let ds = tmp.path().join("ds");
    let opts = IngestOptions { inputs: vec![path], dataset: ds.clone(), run: Some("cg".into()), ..Default::default() };
    let s = ingest_run(&opts, &NoProgress).unwrap();
    assert_eq!(s.sources[0].cgroup_samples, in_memory.samples.len());
    let rows: Vec<model::tables::cgroup_samples::CgroupSampleRow> = read_table(&ds, "cg").unwrap();
    assert_eq!(rows.len(), in_memory.samples.len());
    let key = |r: &model::tables::cgroup_samples::CgroupSampleRow| (r.line, r.key.clone(), r.value_i64);
    let mut a: Vec<_> = rows.iter().map(key).collect();
    let mut b: Vec<_> = in_memory.samples.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A pipe (`<(zcat gc.log.gz)`, a FIFO) is read once, by its parser; the hash is of what
/// came through, and the tables are those of the file.
#[test]
fn a_pipe_is_read_once_and_hashed_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("gc.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo not available");
        return;
    }
    let text = std::fs::read(fixture("gc/jdk17/g1.log")).unwrap();
    let writer = {
        let (fifo, text) = (fifo.clone(), text.clone());
        std::thread::spawn(move || std::fs::write(fifo, text).unwrap())
    };
    let ds = tmp.path().join("ds");
    let opts =
        IngestOptions { inputs: vec![fifo], dataset: ds.clone(), run: Some("piped".into()), ..Default::default() };
    let s = ingest_run(&opts, &NoProgress).unwrap();
    writer.join().unwrap();
    assert_eq!(s.sources[0].pauses, 28);
    let runs: Vec<SourceRow> = read_table(&ds, "piped").unwrap();
    assert_eq!(runs[0].sha256, sha256_hex(&text));
    assert_eq!(runs[0].size_bytes, text.len() as i64);
}

/// Parsers that stop reading early (perf.data is read by its own reader) or never start (a
/// file of no known format) still get the whole file's hash.
#[test]
fn files_read_in_part_are_hashed_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    for f in ["perf/data/c_dwarf.data", "gc/jdk17/GcChurn.java"] {
        std::fs::copy(fixture(f), dir.join(std::path::Path::new(f).file_name().unwrap())).unwrap();
    }
    let ds = tmp.path().join("ds");
    let opts = IngestOptions { inputs: vec![dir.clone()], dataset: ds.clone(), ..Default::default() };
    ingest_run(&opts, &NoProgress).unwrap();
    let runs: Vec<SourceRow> = read_table(&ds, &tracefold_ingest::run::default_run_name(&dir)).unwrap();
    assert_eq!(runs.len(), 2);
    for r in &runs {
        let bytes = std::fs::read(&r.source).unwrap();
        assert_eq!(r.sha256, sha256_hex(&bytes), "{}", r.source);
        assert_eq!(r.size_bytes, bytes.len() as i64, "{}", r.source);
    }
}
