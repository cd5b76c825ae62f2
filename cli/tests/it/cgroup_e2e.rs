//! End to end, ingest → `cgroup_intervals` (the crates meet here, in the binary's tests): the
//! derived intervals equal the corpus author's `derived_intervals_reference.txt` line for line.

use std::path::{Path, PathBuf};

use ingest::cgroup::{self, CgroupOutput};
use ingest::gc::SourceCtx;

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
    out
}

fn parse_file(rel: &str) -> CgroupOutput {
    parse_bytes(rel, &std::fs::read(fixture(rel)).unwrap())
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

/// Ingest → `cgroup_intervals` equals `derived_intervals_reference.txt` line for line (formatted
/// as `derive.py` prints it), and the run summaries hold the ground truth.
#[test]
fn derived_intervals_equal_the_reference_end_to_end() {
    use analyze::cgroup_intervals::{derive_intervals, summarize, CpuVerdict};
    for (dir, periods, throttled, throttled_ns, used_ns, verdict) in [
        ("throttle_run_a", 104, 100, 12_645_572_093, 5_045_927_763, CpuVerdict::QuotaThrottled),
        ("contended_run", 104, 1, 22_652_379, 3_527_010_705, CpuVerdict::Contention),
    ] {
        let samples = parse_file(&format!("{dir}/samples.cgsnap")).samples;
        let iv = derive_intervals(&samples);
        let reference = std::fs::read_to_string(fixture(&format!("{dir}/derived_intervals_reference.txt"))).unwrap();
        let t0 = samples[0].time_ns.unwrap();
        let want: Vec<&str> = reference.lines().skip(1).collect();
        assert_eq!(iv.len(), want.len(), "{dir}");
        let (mut np, mut nt) = (0, 0);
        for (r, want) in iv.iter().zip(want) {
            let (dp, dth) = (r.periods.unwrap(), r.throttled_periods.unwrap());
            np += dp;
            nt += dth;
            let dt = r.duration_ns as f64 / 1e9;
            let ms = |share: Option<f64>| share.unwrap() * r.duration_ns as f64 / 1e6;
            let got = format!(
                "{:6.2} {:4} {:4} {:3} {:3} {:5.2} {:5.2} {:8.1} {:7.1} {:7.1}",
                (r.end_ns - t0) as f64 / 1e9,
                np,
                nt,
                dp,
                dth,
                r.throttled_ratio.unwrap_or(0.0),
                r.cpu_used_ns.unwrap() as f64 / 1e9 / dt,
                r.throttled_ns.unwrap() as f64 / 1e6,
                ms(r.psi_cpu_some),
                ms(r.psi_cpu_full),
            );
            assert_eq!(got, want, "{dir}");
        }
        let s = &summarize(&iv)[0];
        assert_eq!((s.cgroup.as_str(), s.cpu_limit_cores), ("/tracebench_a", Some(0.5)), "{dir}");
        assert_eq!(
            (s.periods, s.throttled_periods, s.throttled_ns, s.cpu_used_ns),
            (periods, throttled, throttled_ns, used_ns)
        );
        assert_eq!(s.verdict, verdict, "{dir}");
    }
    // The directory form of the v2 fixture derives the same intervals as its stream.
    let text = std::fs::read_to_string(fixture("v2_synthetic/samples.cgsnap")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    explode(&text, tmp.path());
    let dir = cgroup::ingest_dir(tmp.path(), &ctx("snap")).unwrap();
    let from_stream = derive_intervals(&parse_bytes("v2", text.as_bytes()).samples);
    assert_eq!(derive_intervals(&dir.samples), from_stream);
    assert_eq!(from_stream.len(), 5);
    assert_eq!(from_stream.iter().filter(|r| r.counter_reset).count(), 1);
}
