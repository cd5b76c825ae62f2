//! cgroup snapshot ingestion against the corpus ground truth (`fixtures/cgroup/PROVENANCE.md`),
//! the kernel-documented v2 formats (`fixtures/cgroup/README.md`), the directory forms, and bad
//! input (never a panic; every line parsed or skipped with a reason).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use model::tables::cgroup_samples::CgroupSampleRow;
use tracefold_ingest::cgroup::{self, CgroupOutput};
use tracefold_ingest::gc::SourceCtx;

fn fixture(rel: &str) -> PathBuf {
    model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cgroup").join(rel)
}

fn ctx(name: &str) -> SourceCtx {
    SourceCtx { source: name.to_string(), clock_scope: name.to_string() }
}

fn parse_bytes(name: &str, bytes: &[u8]) -> CgroupOutput {
    let mut out = CgroupOutput::default();
    let mut reader: &[u8] = bytes;
    cgroup::ingest(&ctx(name), &mut reader, &mut out).expect("reading from memory cannot fail");
    check_account(name, &out);
    out
}

fn parse_file(rel: &str) -> CgroupOutput {
    parse_bytes(rel, &std::fs::read(fixture(rel)).unwrap())
}

fn check_account(name: &str, out: &CgroupOutput) {
    let a = &out.account;
    assert_eq!(a.lines_read(), a.lines_parsed() + a.lines_skipped(), "{name}: read = parsed + skipped");
    // The ingest_log rows build without tripping the accounting assertion.
    let rows = a.rows(name, Some("cgsnap"));
    assert_eq!(rows[0].read, a.lines_read());
}

/// The value of `file`/`key` of `cgroup` in `hierarchy` at the last sample that has it.
fn last<'a>(rows: &'a [CgroupSampleRow], hierarchy: &str, cgroup: &str, file: &str, key: &str) -> &'a CgroupSampleRow {
    rows.iter()
        .rev()
        .find(|r| r.hierarchy == hierarchy && r.cgroup == cgroup && r.file == file && r.key == key)
        .unwrap_or_else(|| panic!("no {hierarchy} {cgroup} {file} {key}"))
}

fn times(rows: &[CgroupSampleRow]) -> BTreeSet<i64> {
    rows.iter().filter_map(|r| r.time_ns).collect()
}

/// A row without where it was read from (`source`, `line`) and the capture header's `host`:
/// what two encodings of one moment must agree on.
type Key = (Option<i64>, String, String, String, String, Option<i64>, Option<u64>, bool, String, String, String);

/// Asserts two row sets are equal, showing only the differences.
fn assert_same(a: &[Key], b: &[Key], what: &str) {
    let (sa, sb): (BTreeSet<&Key>, BTreeSet<&Key>) = (a.iter().collect(), b.iter().collect());
    let only_a: Vec<_> = sa.difference(&sb).take(10).collect();
    let only_b: Vec<_> = sb.difference(&sa).take(10).collect();
    assert!(
        a == b,
        "{what}: {} vs {} rows; only in the first: {only_a:?}; only in the second: {only_b:?}",
        a.len(),
        b.len()
    );
}

fn content(rows: &[CgroupSampleRow]) -> Vec<Key> {
    let mut v: Vec<Key> = rows
        .iter()
        .map(|r| {
            (
                r.time_ns,
                r.hierarchy.clone(),
                r.cgroup.clone(),
                r.file.clone(),
                r.key.clone(),
                r.value_i64,
                r.value_f64.map(f64::to_bits),
                r.unlimited,
                r.raw.clone(),
                r.unit.clone(),
                r.clock.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Writes a cgsnap stream as a directory per timestamp: `<dir>/<ts_ns>/<path below
/// /sys/fs/cgroup>`, each file's lines in stream order (what `cp` of each sample would give).
fn explode(cgsnap: &str, dir: &Path) {
    use std::io::Write;
    let mut ts = String::new();
    let mut files: std::collections::BTreeMap<PathBuf, Vec<u8>> = Default::default();
    for line in cgsnap.lines() {
        if let Some(t) = line.strip_prefix("# ts_ns=") {
            ts = t.to_string();
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (p, c) = line.split_once(':').unwrap();
        let rel = p.strip_prefix("/sys/fs/cgroup/").unwrap();
        let buf = files.entry(dir.join(&ts).join(rel)).or_default();
        buf.extend_from_slice(c.as_bytes());
        buf.push(b'\n');
    }
    for (p, c) in files {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::File::create(&p).unwrap().write_all(&c).unwrap();
    }
}

#[test]
fn sniffs_cgsnap_and_nothing_else() {
    for f in [
        "throttle_run_a/samples.cgsnap",
        "contended_run/samples.cgsnap",
        "oneoff_toplevel/toplevel.cgsnap",
        "v2_synthetic/samples.cgsnap",
    ] {
        let b = std::fs::read(fixture(f)).unwrap();
        assert!(cgroup::sniff(&b[..b.len().min(64 * 1024)]), "{f}");
    }
    // Without the `# cgsnap` header: a time header and a data line, or grep -H of /sys/fs/cgroup.
    assert!(cgroup::sniff(b"# ts_ns=1\n/sys/fs/cgroup/a/cpu.stat:usage_usec 1\n"));
    assert!(cgroup::sniff(b"/sys/fs/cgroup/cpu/a/cpu.cfs_quota_us:50000\n"));
    assert!(cgroup::sniff(b"# ts=1795686620.5\ncpu.stat:usage_usec 1\n"));
    for not in [
        &b"gc 1 @0.011s 1%: 0.012+0.39+0.046 ms clock, 0.049+0.17/0.30/0.52+0.18 ms cpu, 4->4->0 MB, 5 MB goal, 4 P\n"
            [..],
        b"[0.035s][info][gc] Using G1\n",
        b"hello: world\n# ts_ns=5\n",
        b"",
    ] {
        assert!(!cgroup::sniff(not), "{}", String::from_utf8_lossy(not));
    }
    let go = std::fs::read(model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../fixtures/gc/go/go1.9.txt")).unwrap();
    assert!(!cgroup::sniff(&go));
}

#[test]
fn throttle_run_a_ground_truth() {
    let out = parse_file("throttle_run_a/samples.cgsnap");
    let r = &out.samples;
    assert_eq!(out.account.lines_not_understood(), 0);
    assert_eq!(times(r).len(), 64, "64 samples");
    let cg = "/tracebench_a";
    assert_eq!(last(r, "v1:cpu", cg, "cpu.cfs_quota_us", "").value_i64, Some(50_000));
    assert_eq!(last(r, "v1:cpu", cg, "cpu.cfs_period_us", "").value_i64, Some(100_000));
    assert_eq!(last(r, "v1:cpu", cg, "cpu.cfs_period_us", "").unit, "us");
    assert_eq!(last(r, "v1:cpu", cg, "cpu.shares", "").value_i64, Some(10_240));
    assert_eq!(last(r, "v1:cpu", cg, "cpu.stat", "nr_periods").value_i64, Some(104));
    assert_eq!(last(r, "v1:cpu", cg, "cpu.stat", "nr_throttled").value_i64, Some(100));
    let thr = last(r, "v1:cpu", cg, "cpu.stat", "throttled_time");
    assert_eq!((thr.value_i64, thr.unit.as_str()), (Some(12_645_572_093), "ns"));
    assert_eq!(last(r, "v1:cpu", cg, "cpu.stat.local", "throttled_time").value_i64, Some(12_645_572_093));
    let usage = last(r, "v1:cpuacct", cg, "cpuacct.usage", "");
    assert_eq!((usage.value_i64, usage.unit.as_str()), (Some(5_045_927_763), "ns"));
    assert_eq!(last(r, "v2", cg, "cpu.stat", "usage_usec").value_i64, Some(5_045_927));
    assert_eq!(last(r, "v2", cg, "cpu.pressure", "some.total").value_i64, Some(9_764_823));
    assert_eq!(last(r, "v2", cg, "cpu.pressure", "full.total").value_i64, Some(7_482_474));
    assert_eq!(last(r, "v2", cg, "cpu.pressure", "full.total").unit, "us");
    assert_eq!(last(r, "v1:cpuacct", cg, "cpuacct.stat", "user").unit, "ticks");
    assert_eq!(last(r, "v1:pids", cg, "pids.max", "").value_i64, Some(64));
    // `cpuacct.usage_percpu` ends with a space: two CPUs, no third value.
    let percpu: Vec<&str> = r
        .iter()
        .filter(|x| x.file == "cpuacct.usage_percpu" && x.time_ns == r.last().unwrap().time_ns)
        .map(|x| x.key.as_str())
        .collect();
    assert_eq!(percpu, ["cpu0", "cpu1"]);
    let all = r.iter().map(|x| x.hierarchy.as_str()).collect::<BTreeSet<_>>();
    assert_eq!(all.into_iter().collect::<Vec<_>>(), ["v1:cpu", "v1:cpuacct", "v1:pids", "v2"]);
    assert!(r.iter().all(|x| x.cgroup == cg && x.clock == "wall" && x.host.as_deref() == Some("vm")));
    // First sample time = the first header; rows keep their stream line numbers.
    assert_eq!(r[0].time_ns, Some(1_795_686_620_327_094_457));
    assert_eq!((r[0].line, r[0].source.as_str()), (3, "throttle_run_a/samples.cgsnap"));
    // The limit: 0.5 CPU.
    let q = last(r, "v1:cpu", cg, "cpu.cfs_quota_us", "").value_i64.unwrap();
    let p = last(r, "v1:cpu", cg, "cpu.cfs_period_us", "").value_i64.unwrap();
    assert_eq!(q as f64 / p as f64, 0.5);
}

#[test]
fn contended_run_ground_truth() {
    let out = parse_file("contended_run/samples.cgsnap");
    let r = &out.samples;
    assert_eq!(out.account.lines_not_understood(), 0);
    assert_eq!(times(r).len(), 65);
    let cg = "/tracebench_a";
    assert_eq!(last(r, "v1:cpu", cg, "cpu.cfs_quota_us", "").value_i64, Some(50_000));
    assert_eq!(last(r, "v1:cpu", cg, "cpu.shares", "").value_i64, Some(1024));
    assert_eq!(last(r, "v1:cpu", cg, "cpu.stat", "nr_periods").value_i64, Some(104));
    assert_eq!(last(r, "v1:cpu", cg, "cpu.stat", "nr_throttled").value_i64, Some(1));
    assert_eq!(last(r, "v1:cpu", cg, "cpu.stat", "throttled_time").value_i64, Some(22_652_379));
    assert_eq!(last(r, "v1:cpuacct", cg, "cpuacct.usage", "").value_i64, Some(3_527_010_705));
    assert_eq!(last(r, "v2", cg, "cpu.pressure", "some.total").value_i64, Some(9_462_803));
    let avg = last(r, "v2", cg, "cpu.pressure", "some.avg10");
    assert_eq!(
        (avg.value_i64, avg.value_f64, avg.unit.as_str(), avg.raw.as_str()),
        (None, Some(59.62), "pct", "59.62")
    );
}

#[test]
fn oneoff_toplevel_both_encodings_give_identical_rows() {
    let stream = parse_file("oneoff_toplevel/toplevel.cgsnap");
    let dir = cgroup::ingest_dir(&fixture("oneoff_toplevel/tree"), &ctx("tree")).unwrap();
    check_account("tree", &dir);
    assert!(!stream.samples.is_empty());
    // The two encodings were read moments apart (same TIMESTAMP_NS), so live counters and the
    // reader's own PID differ; everything else — which rows exist (time, hierarchy, cgroup,
    // file, key, unit, unlimited) and every value of the other files — is identical.
    let shape = |k: &[Key]| {
        let mut v: Vec<Key> = k
            .iter()
            .map(|r| {
                (
                    r.0,
                    r.1.clone(),
                    r.2.clone(),
                    r.3.clone(),
                    r.4.clone(),
                    None,
                    None,
                    r.7,
                    String::new(),
                    r.9.clone(),
                    r.10.clone(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let (a, b) = (content(&stream.samples), content(&dir.samples));
    assert_same(&shape(&a), &shape(&b), "oneoff rows");
    let volatile = |r: &Key| {
        let f = r.3.as_str();
        matches!(
            f,
            "cgroup.procs"
                | "cgroup.threads"
                | "tasks"
                | "cpu.stat"
                | "cpu.pressure"
                | "memory.stat"
                | "memory.numa_stat"
        ) || f.starts_with("cpuacct.")
            || (f.starts_with("memory.") && f.contains("usage_in_bytes"))
    };
    let stable = |k: &[Key]| k.iter().filter(|r| !volatile(r)).cloned().collect::<Vec<Key>>();
    assert_same(&stable(&a), &stable(&b), "oneoff values of non-volatile files");
    assert!(stable(&a).len() > 50, "{}", stable(&a).len());
    assert_eq!(stream.account.lines_not_understood(), 0);
    assert_eq!(dir.account.lines_not_understood(), 0, "{:?}", dir.account.rows("tree", None));
    let r = &dir.samples;
    assert!(r.iter().all(|x| x.time_ns == Some(1_795_686_664_782_917_970) && x.cgroup == "/"));
    assert!(r.iter().any(|x| x.source == "tree/memory/memory.stat" && x.line == 1));
    // Unlimited: `max` (v2) and the v1 page-counter maximum; raw text kept.
    let depth = last(r, "v2", "/", "cgroup.max.depth", "");
    assert!(depth.unlimited && depth.value_i64.is_none() && depth.raw == "max");
    let lim = last(r, "v1:memory", "/", "memory.limit_in_bytes", "");
    assert!(lim.unlimited && lim.value_i64.is_none() && lim.raw == "9223372036854771712");
    let hl = last(r, "v1:memory", "/", "memory.stat", "hierarchical_memory_limit");
    assert!(hl.unlimited, "{hl:?}");
    assert_eq!(last(r, "v1:memory", "/", "memory.stat", "total_inactive_file").unit, "bytes");
    assert_eq!(last(r, "v1:cpu", "/", "cpu.cfs_quota_us", "").raw, "-1");
    assert!(last(r, "v1:cpu", "/", "cpu.cfs_quota_us", "").unlimited);
    assert_eq!(last(r, "v2", "/", "cgroup.controllers", "").unit, "text");
    assert_eq!(r.iter().filter(|x| x.hierarchy == "v2" && x.file == "cgroup.procs").count(), 97);
    assert!(r.iter().any(|x| x.file == "cpuacct.usage_all" && x.key == "cpu1.system"));
    // Empty files (cgroup.subtree_control, cpu.stat.local of the v2 root, memory.kmem.slabinfo)
    // are accounted as ignored, not as tar damage.
    assert!(!dir.account.rows("tree", None).iter().any(|x| x.reason.as_deref().unwrap_or("").contains("tar")));
}

#[test]
fn v2_files_from_the_kernel_documented_formats() {
    let out = parse_file("v2_synthetic/samples.cgsnap");
    let r = &out.samples;
    assert_eq!(out.account.lines_not_understood(), 0, "{:?}", out.account.rows("v2", None));
    let cg = "/system.slice/myapp.service";
    assert!(r.iter().filter(|x| x.cgroup == cg).all(|x| x.hierarchy == "v2" && x.host.as_deref() == Some("v2host")));
    assert_eq!(last(r, "v2", cg, "cpu.max", "max").value_i64, Some(200_000));
    assert_eq!(last(r, "v2", cg, "cpu.max", "period").value_i64, Some(100_000));
    assert_eq!(last(r, "v2", cg, "cpu.max", "period").unit, "us");
    assert_eq!(last(r, "v2", cg, "cpu.weight", "").unit, "weight");
    assert_eq!(last(r, "v2", cg, "cpu.stat", "throttled_usec").unit, "us");
    assert_eq!(last(r, "v2", cg, "cpu.stat", "nr_bursts").unit, "count");
    let mmax: Vec<(Option<i64>, bool, &str)> =
        r.iter().filter(|x| x.file == "memory.max").map(|x| (x.value_i64, x.unlimited, x.raw.as_str())).collect();
    assert_eq!(mmax[0], (Some(1 << 30), false, "1073741824"));
    assert_eq!(mmax[4], (None, true, "max"));
    assert!(last(r, "v2", cg, "pids.max", "").unlimited);
    assert_eq!(last(r, "v2", cg, "memory.events", "oom_kill").unit, "count");
    assert_eq!(last(r, "v2", cg, "memory.stat", "pgmajfault").unit, "count");
    assert_eq!(last(r, "v2", cg, "memory.stat", "inactive_file").unit, "bytes");
    let rb = last(r, "v2", cg, "io.stat", "8:0.rbytes");
    assert_eq!((rb.value_i64, rb.unit.as_str()), (Some(5 * 1_048_576), "bytes"));
    assert_eq!(last(r, "v2", cg, "io.stat", "8:0.wios").unit, "count");
    assert!(last(r, "v2", cg, "io.max", "8:0.rbps").unlimited);
    // A file tracefold does not know is kept.
    let u = last(r, "v2", cg, "cpu.uclamp.min", "");
    assert_eq!((u.value_f64, u.unit.as_str(), u.raw.as_str()), (Some(0.0), "number", "0.00"));
    assert_eq!(
        r.iter().filter(|x| x.file == "cgroup.procs" && x.time_ns == Some(1_800_000_000_000_000_000)).count(),
        2
    );
    // 64-bit counters pass 2^53 exactly.
    let big: Vec<Option<i64>> = r.iter().filter(|x| x.cgroup == "/big.slice").map(|x| x.value_i64).collect();
    assert_eq!(big, [Some(9_007_199_254_740_993), Some(9_007_199_254_740_995)]);
}

#[test]
fn directory_per_timestamp_equals_the_stream() {
    for f in ["v2_synthetic/samples.cgsnap", "throttle_run_a/samples.cgsnap"] {
        let text = std::fs::read_to_string(fixture(f)).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        explode(&text, tmp.path());
        let dir = cgroup::ingest_dir(tmp.path(), &ctx("snap")).unwrap();
        check_account(f, &dir);
        let stream = parse_bytes(f, text.as_bytes());
        assert_same(&content(&stream.samples), &content(&dir.samples), f);
        assert!(dir.samples.iter().all(|r| r.source.starts_with("snap/18") || r.source.starts_with("snap/17")));
    }
}

#[test]
fn snapshot_cut_anywhere_never_panics() {
    let text = std::fs::read(fixture("throttle_run_a/samples.cgsnap")).unwrap();
    // Every cut inside the first two samples, then a stride over the rest.
    let whole = parse_bytes("whole", &text).samples.len();
    let cuts = (0..3000).chain((3000..text.len()).step_by(97));
    for cut in cuts {
        let out = parse_bytes("cut", &text[..cut]);
        assert!(out.samples.len() <= whole);
    }
    // A cut mid-line of the last sample: the partial line is accounted, the cut is noted.
    let full = String::from_utf8(text.clone()).unwrap();
    let at = full.rfind("/sys/fs/cgroup/cpu/tracebench_a/cpu.stat:nr_throttled").unwrap()
        + "/sys/fs/cgroup/cpu/tracebench_a/cpu.stat:nr_thro".len();
    let out = parse_bytes("cut", &text[..at]);
    assert_eq!(out.account.lines_not_understood(), 1);
    let last_row = out.samples.last().unwrap();
    assert_eq!((last_row.key.as_str(), last_row.unit.as_str(), last_row.raw.as_str()), ("", "text", "nr_thro"));
    let log = out.account.rows("cut", None);
    assert!(log.iter().any(|r| r.kind == "note" && r.reason.as_deref().unwrap().contains("cut off")), "{log:?}");
    // Cut inside the path: not a data line.
    let at = full.rfind("/sys/fs/cgroup/cpu/tracebench_a/cpu.stat:nr_throttled").unwrap() + 30;
    let out = parse_bytes("cut", &text[..at]);
    assert_eq!(out.account.lines_not_understood(), 1);
}

#[test]
fn unexpected_shapes_are_kept_raw_and_counted() {
    let input = "# ts_ns=1000\n\
        /sys/fs/cgroup/a/cpu.stat:usage_usec 12 34\n\
        /sys/fs/cgroup/a/cpu.max:banana\n\
        /sys/fs/cgroup/a/cpu.pressure:some avg10=x total=5\n\
        /sys/fs/cgroup/a/memory.current:\n\
        /sys/fs/cgroup/a/memory.current:   \n\
        /sys/fs/cgroup/a/some.weird_file:a b c\n\
        garbage without colon\n\
        # ts_ns=notanumber\n\
        /sys/fs/cgroup/a/cpu.stat:usage_usec 18446744073709551615\n\
        /sys/fs/cgroup/a/cpu.stat:usage_usec 9223372036854775807\n\
        \u{fffd}\u{0}\u{1}binary\n";
    let out = parse_bytes("bad", input.as_bytes());
    let r = &out.samples;
    let raw: Vec<(&str, &str, &str)> =
        r.iter().filter(|x| x.unit == "text").map(|x| (x.file.as_str(), x.key.as_str(), x.raw.as_str())).collect();
    assert!(raw.contains(&("cpu.stat", "", "usage_usec 12 34")));
    assert!(raw.contains(&("cpu.max", "", "banana")));
    assert!(raw.contains(&("cpu.pressure", "", "some avg10=x total=5")));
    // Unknown file, text content: kept, not an error.
    assert!(raw.contains(&("some.weird_file", "", "a b c")));
    // 2^64−1 is kept approximately (and noted); i64::MAX exactly.
    let huge: Vec<&CgroupSampleRow> = r.iter().filter(|x| x.file == "cpu.stat" && x.unit == "us").collect();
    assert_eq!(huge[0].value_i64, None);
    assert_eq!(huge[0].value_f64, Some(18446744073709551615.0));
    assert_eq!(huge[0].raw, "18446744073709551615");
    assert_eq!(huge[0].time_ns, None, "values under an unreadable header have no time");
    assert_eq!(huge[1].value_i64, Some(i64::MAX));
    // 3 raw rows + the cut line without colon + the bad header + the binary line (a NUL makes it
    // a `grep -Z` data line of an unknown file? no: its path part has no `/`) ...
    assert!(out.account.lines_not_understood() >= 5, "{:?}", out.account.rows("bad", None));
    let notes: Vec<String> =
        out.account.rows("bad", None).into_iter().filter(|x| x.kind == "note").filter_map(|x| x.reason).collect();
    assert!(notes.iter().any(|n| n.contains("beyond i64")), "{notes:?}");
    // Lines before any header have no time, and are noted.
    let out = parse_bytes("nohdr", b"/sys/fs/cgroup/a/memory.current:5\n");
    assert_eq!(out.samples[0].time_ns, None);
    assert_eq!(out.samples[0].value_i64, Some(5));
    // Arbitrary bytes never panic.
    let mut seed = 0x9e3779b97f4a7c15u64;
    for n in 0..200 {
        let bytes: Vec<u8> = (0..n * 7)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                b"/:# =\n\0max-1.sys/fs/cgroupcpu.stat"[(seed % 34) as usize]
            })
            .collect();
        parse_bytes("fuzz", &bytes);
    }
}

#[test]
fn tarred_and_unreadable_directories_are_accounted() {
    let text = std::fs::read_to_string(fixture("v2_synthetic/samples.cgsnap")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    explode(&text, tmp.path());
    // What `tar` makes of cgroupfs: every file empty.
    let mut stack = vec![tmp.path().to_path_buf()];
    let mut n_files = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                std::fs::write(&p, b"").unwrap();
                n_files += 1;
            }
        }
    }
    let out = cgroup::ingest_dir(tmp.path(), &ctx("tarred")).unwrap();
    check_account("tarred", &out);
    assert!(out.samples.is_empty());
    assert_eq!(out.account.lines_read(), n_files);
    let log = out.account.rows("tarred", None);
    let tar_skips = log.iter().find(|r| r.kind == "skip" && r.reason.as_deref().unwrap().contains("tar")).unwrap();
    // cgroup.procs, io.stat and the unknown io.max and cpu.uclamp.min may be empty; the rest may not.
    let empty_ok = log.iter().find(|r| r.kind == "ignore").unwrap();
    assert_eq!(tar_skips.skipped, n_files - 5 * 4, "{log:?}");
    assert_eq!(empty_ok.skipped, 5 * 4, "{log:?}");
    assert!(log.iter().any(|r| r.kind == "note" && r.reason.as_deref().unwrap().contains("tar")));

    // Unreadable entries: a broken symlink, a FIFO (never opened), a directory loop (not followed).
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("copy");
    std::fs::create_dir_all(root.join("unified/app")).unwrap();
    std::fs::write(root.join("TIMESTAMP_NS"), "1795686664782917970\n").unwrap();
    std::fs::write(root.join("unified/app/cpu.stat"), "usage_usec 5\nuser_usec 4\n").unwrap();
    std::fs::write(root.join("unified/app/memory.current"), "").unwrap();
    std::fs::write(root.join("unified/app/cgroup.procs"), "").unwrap();
    std::fs::write(root.join("unified/app/cpu.max"), "max 100000\n").unwrap();
    std::os::unix::fs::symlink(root.join("nowhere"), root.join("unified/app/memory.stat")).unwrap();
    std::os::unix::fs::symlink(root.join("unified"), root.join("unified/app/loop")).unwrap();
    let fifo = std::process::Command::new("mkfifo").arg(root.join("unified/app/memory.events")).status();
    let has_fifo = fifo.is_ok_and(|s| s.success());
    let out = cgroup::ingest_dir(&root, &ctx("copy")).unwrap();
    check_account("copy", &out);
    let rows = &out.samples;
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.time_ns == Some(1_795_686_664_782_917_970) && r.cgroup == "/app"));
    assert_eq!(last(rows, "v2", "/app", "cpu.stat", "usage_usec").source, "copy/unified/app/cpu.stat");
    assert!(last(rows, "v2", "/app", "cpu.max", "max").unlimited);
    let log = out.account.rows("copy", None);
    let unreadable: i64 = log
        .iter()
        .filter(|r| r.kind == "skip" && r.reason.as_deref().unwrap().starts_with("unreadable"))
        .map(|r| r.skipped)
        .sum();
    assert_eq!(unreadable, 1 + i64::from(has_fifo), "{log:?}");
    let empty_ok =
        log.iter().find(|r| r.kind == "ignore" && r.reason.as_deref().unwrap().starts_with("empty file")).unwrap();
    assert_eq!(empty_ok.skipped, 1, "cgroup.procs");
    let empty_bad = log.iter().find(|r| r.kind == "skip" && r.reason.as_deref().unwrap().contains("tar")).unwrap();
    assert_eq!(empty_bad.skipped, 1, "memory.current");
    // A directory without a time, and a missing directory.
    let out = cgroup::ingest_dir(&root.join("unified"), &ctx("u")).unwrap();
    assert!(out.samples.iter().all(|r| r.time_ns.is_none()));
    assert!(cgroup::ingest_dir(&root.join("absent"), &ctx("x")).is_err());
}

/// No GC format claims a cgsnap stream: detection names the cgroup format.
#[test]
fn cgsnap_is_detected_as_cgroup_not_gc() {
    for f in ["throttle_run_a/samples.cgsnap", "oneoff_toplevel/toplevel.cgsnap", "v2_synthetic/samples.cgsnap"] {
        let b = std::fs::read(fixture(f)).unwrap();
        let head = &b[..b.len().min(tracefold_ingest::format::SNIFF_BYTES)];
        assert_eq!(tracefold_ingest::format::detect(head).map(|f| f.id), Some("cgroup-cgsnap"), "{f}");
    }
}
