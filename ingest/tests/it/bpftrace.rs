//! bpftrace output (text and `-f json`) → bpftrace_lines / bpftrace_maps / bpftrace_hist /
//! lost_events.

use std::path::Path;

use tracefold_ingest::bpftrace::{self, BpftraceOutput};
use tracefold_ingest::gc::SourceCtx;

use crate::common::{fixture, shared_corpus};

fn parse(name: &str, bytes: &[u8]) -> BpftraceOutput {
    let ctx = SourceCtx { source: name.to_string(), clock_scope: name.to_string() };
    let mut out = BpftraceOutput::default();
    let mut reader: &[u8] = bytes;
    bpftrace::ingest(&ctx, &mut reader, &mut out).expect("reading from memory cannot fail");
    let a = &out.account;
    assert_eq!(a.lines_read(), a.lines_parsed() + a.lines_skipped(), "{name}: read = parsed + skipped");
    let lines = bytes.split(|&b| b == b'\n').count() as i64 - i64::from(bytes.ends_with(b"\n"));
    assert_eq!(a.lines_read(), lines, "{name}: every line read");
    out
}

fn parse_file(p: &Path) -> BpftraceOutput {
    parse(&p.display().to_string(), &std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

fn notes(out: &BpftraceOutput) -> Vec<String> {
    out.account.rows("x", None).into_iter().filter(|r| r.kind == "note").filter_map(|r| r.reason).collect()
}

type MapKey = (String, String, String, Option<i64>, Option<i64>, Option<i64>);
type HistKey = (String, String, i64, Option<i64>, Option<i64>, i64);

fn map_set(o: &BpftraceOutput) -> Vec<MapKey> {
    let mut v: Vec<_> = o
        .maps
        .iter()
        .map(|m| (m.map.clone(), m.key.clone(), m.value_text.clone(), m.value, m.stats_count, m.stats_total))
        .collect();
    v.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    v
}

fn hist_set(o: &BpftraceOutput) -> Vec<HistKey> {
    let mut v: Vec<_> =
        o.hist.iter().map(|h| (h.map.clone(), h.key.clone(), h.bucket, h.low, h.high, h.count)).collect();
    v.sort();
    v
}

fn hist_of<'a>(o: &'a BpftraceOutput, map: &str, key: &str) -> Vec<&'a model::tables::bpftrace_hist::BpftraceHistRow> {
    o.hist.iter().filter(|h| h.map == map && h.key == key).collect()
}

#[test]
fn text_and_json_of_the_same_script_agree() {
    let text = parse_file(&fixture("bpftrace/formats-0.17/formats.txt"));
    let json = parse_file(&fixture("bpftrace/formats-0.17/formats.ndjson"));
    assert_eq!(map_set(&text), map_set(&json));
    assert_eq!(hist_set(&text), hist_set(&json));
    // 14 map entries at exit + 2 from print(@str_key); @scalar_*, @mn, @mx, @av, 2 multi-key, 2 stats keyed...
    assert_eq!(text.maps.len(), 16);
    assert_eq!(text.hist.len(), 34 + 1 + 1 + 12);
    // printf lines: same texts apart from the wall-clock/ns values.
    let kinds = |o: &BpftraceOutput| o.lines.iter().map(|l| l.kind.clone()).collect::<Vec<_>>();
    assert_eq!(kinds(&text), ["attach", "printf", "printf", "printf", "printf"]);
    assert_eq!(kinds(&json), ["attach", "printf", "time", "printf", "printf"]);
    assert_eq!(text.lines[1].text, json.lines[1].text);
    assert_eq!(text.lines[1].fields, "str=hello;int=42;neg=-7;hex=0xff;u64=18446744073709551615");
    // 0.17 JSON truncates hist() to 32 bits; restored and flagged.
    let last = json.hist.iter().find(|h| h.map == "@h" && h.low == Some(1 << 31)).unwrap();
    assert_eq!((last.high, last.count, last.label.as_str()), (Some(1 << 32), 1, "[2G, 4G)"));
    assert!(last.note.as_deref().unwrap().contains("0.17"));
    assert!(notes(&json).iter().any(|n| n.contains("32-bit")));
    assert_eq!(text.account.lines_not_understood(), 0);
    assert_eq!(json.account.lines_not_understood(), 0);
}

#[test]
fn hist_buckets_equal_the_text() {
    let o = parse_file(&fixture("bpftrace/formats-0.17/formats.txt"));
    let h = hist_of(&o, "@h", "");
    assert_eq!(h.len(), 34);
    let b = |i: usize| (h[i].low, h[i].high, h[i].count);
    assert_eq!(b(0), (None, Some(0), 1)); // (..., 0)
    assert_eq!(b(1), (Some(0), Some(1), 1)); // [0]
    assert_eq!(b(2), (Some(1), Some(2), 1)); // [1]
    assert_eq!(b(3), (Some(2), Some(4), 1)); // [2, 4)
    assert_eq!(b(4), (Some(4), Some(8), 0)); // interior zero
    assert_eq!(b(11), (Some(512), Some(1024), 1)); // [512, 1K)
    assert_eq!(b(12), (Some(1024), Some(2048), 0)); // [1K, 2K)
    assert_eq!(b(22), (Some(1 << 20), Some(2 << 20), 1)); // [1M, 2M)
    assert_eq!(b(33), (Some(1 << 31), Some(1 << 32), 1)); // [2G, 4G)
    assert_eq!(h.iter().map(|x| x.count).sum::<i64>(), 7);
    assert_eq!(h[4].line, h[3].line + 1);
    let k = hist_of(&o, "@h_keyed", "b, 2");
    assert_eq!((k.len(), k[0].low, k[0].high, k[0].count), (1, Some(1024), Some(2048), 1));
    let lh = hist_of(&o, "@lh", "");
    assert_eq!(lh.len(), 12);
    assert_eq!((lh[0].low, lh[0].high), (None, Some(0)));
    assert_eq!((lh[1].low, lh[1].high, lh[1].count), (Some(0), Some(10), 1));
    assert_eq!((lh[6].low, lh[6].high, lh[6].count), (Some(50), Some(60), 1));
    assert_eq!((lh[11].low, lh[11].high, lh[11].count, lh[11].label.as_str()), (Some(100), None, 1, "[100, ...)"));

    // bpftrace's own lhist test output: [10, ...) overflow, counts as printed.
    let o = parse_file(&fixture("bpftrace/test-outputs-HEAD/lhist.txt"));
    let got: Vec<_> = o.hist.iter().map(|h| (h.low, h.high, h.count)).collect();
    assert_eq!(
        got,
        [
            (None, Some(0), 1),
            (Some(0), Some(2), 0),
            (Some(2), Some(4), 2),
            (Some(4), Some(6), 0),
            (Some(6), Some(8), 1),
            (Some(8), Some(10), 0),
            (Some(10), None, 1)
        ]
    );
    // Keyed K-unit hist of a real tool session (xfsdist): text keys, units.
    let o = parse_file(&fixture("bpftrace/tools-examples-v0.17.0/xfsdist_example.txt"));
    assert!(o.hist.iter().any(|h| h.key == "xfs_file_read_iter"));
    assert!(o.hist.iter().all(|h| h.low.is_some() || h.high.is_some()));
}

#[test]
fn map_constructs() {
    let o = parse_file(&fixture("bpftrace/formats-0.17/formats.txt"));
    let m = |map: &str, key: &str| o.maps.iter().find(|m| m.map == map && m.key == key).unwrap();
    assert_eq!(m("@scalar_sum", "").value, Some(12));
    assert_eq!(m("@mn", "").value, Some(-3));
    let mk = m("@multi_key", "beta, 2");
    assert_eq!((mk.key_len, mk.key1.as_deref(), mk.key2.as_deref(), mk.value), (2, Some("beta"), Some("2"), Some(20)));
    let st = m("@st", "");
    assert_eq!(
        (st.kind.as_str(), st.stats_count, st.stats_avg, st.stats_total),
        ("stats", Some(3), Some(21), Some(63))
    );
    assert_eq!(m("@st_keyed", "y").stats_total, Some(1000));
    let s = m("@str_val", "");
    assert_eq!((s.value, s.value_text.as_str()), (None, "a string value"));
    assert_eq!(m("@tuple_val", "").value_text, "(t, 1, 2)");

    // Multi-line stack keys with a hist value (biostacks).
    let o = parse_file(&fixture("bpftrace/tools-examples-v0.17.0/biostacks_example.txt"));
    let h = o.hist.iter().find(|h| h.map == "@usecs").unwrap();
    assert!(h.key.starts_with("blk_account_io_start+1\nblk_mq_make_request+1102\n"), "{:?}", h.key);
    assert!(h.key.ends_with("\nret_from_fork+53"));
    assert_eq!((h.low, h.high, h.count), (Some(64 << 10), Some(128 << 10), 1));

    // time() lines between interval map dumps (vfsstat).
    let o = parse_file(&fixture("bpftrace/tools-examples-v0.17.0/vfsstat_example.txt"));
    assert_eq!(o.lines.iter().filter(|l| l.kind == "time").count(), 5);
    assert_eq!(o.maps.iter().filter(|m| m.map == "@").count(), 15);
    assert_eq!(o.maps.iter().find(|m| m.key == "vfs_read").unwrap().value, Some(11515));
}

#[test]
fn pretty_printed_and_newer_json() {
    let o = parse_file(&fixture("bpftrace/test-outputs-HEAD/hist_multiple_multiple_keys.json"));
    let keys: std::collections::BTreeSet<_> = o.hist.iter().map(|h| h.key.as_str()).collect();
    assert_eq!(keys.into_iter().collect::<Vec<_>>(), ["bpftrace, 2", "curl, 3"]);
    assert_eq!(o.hist.len(), 4);
    let o = parse_file(&fixture("bpftrace/test-outputs-HEAD/stats_multiple.json"));
    assert_eq!(o.maps.iter().map(|m| m.stats_total).collect::<Vec<_>>(), [Some(2), Some(10)]);
    let o = parse_file(&fixture("bpftrace/test-outputs-HEAD/tseries.json"));
    assert_eq!(o.lines.len(), 1);
    assert_eq!(o.lines[0].kind, "tseries");
    assert_eq!(o.account.lines_not_understood(), 0);
    let o = parse_file(&fixture("bpftrace/test-outputs-HEAD/hist_zero.json"));
    assert!(o.hist.is_empty());
    assert_eq!(o.account.lines_not_understood(), 0);
}

#[test]
fn every_corpus_file_ingests() {
    let mut dirs = vec![
        fixture("bpftrace/test-outputs-HEAD"),
        fixture("bpftrace/tools-examples-v0.17.0"),
        fixture("bpftrace/formats-0.17"),
    ];
    dirs.extend(shared_corpus("go-netpoll/run1"));
    let mut n = 0;
    for d in dirs {
        let mut files: Vec<_> = std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            let bpftrace_file = d.ends_with("run1") && name.starts_with("epoll-bpftrace");
            if d.ends_with("run1") && !bpftrace_file || name.ends_with(".bt") {
                continue;
            }
            let o = parse_file(&f);
            n += 1;
            if name.ends_with(".json") || name.ends_with(".ndjson") {
                assert_eq!(o.account.lines_not_understood(), 0, "{name}: {:?}", o.account.rows(&name, None));
            }
            if bpftrace_file {
                assert!(o.lines.iter().filter(|l| l.text.starts_with("ENTER ")).all(|l| l.ts_ns.is_some()));
            }
        }
    }
    assert!(n >= 48, "{n} files");
}

#[test]
fn cut_mid_histogram_is_kept_and_noted() {
    let full = std::fs::read_to_string(fixture("bpftrace/formats-0.17/formats.txt")).unwrap();
    let cut = &full[..full.find("[8K, 16K)").unwrap() + 13]; // inside the `[8K, 16K)` row
    let o = parse("cut.txt", cut.as_bytes());
    let h = hist_of(&o, "@h", "");
    assert_eq!(h.len(), 15, "buckets before the cut are kept");
    assert!(notes(&o).iter().any(|n| n.contains("inside a histogram")), "{:?}", notes(&o));
    // The partial last row is kept as text and counted as not understood.
    assert_eq!(o.account.lines_not_understood(), 1);
    assert!(o.lines.last().unwrap().text.starts_with("[8K, 16K)"));

    // Cut inside a stack key: the frames are counted as skipped, with a note.
    let o = parse("stack.txt", b"@s[\n    a+1\n    b+2\n");
    assert_eq!(o.account.lines_skipped(), 2);
    assert!(notes(&o).iter().any(|n| n.contains("stack key")));
}

#[test]
fn unknown_json_and_stray_lines_are_kept_and_counted() {
    let input = b"ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK for bpftrace. If your program is not loading, you can try \"ulimit -l 8192\" to fix the problem\n\
{\"type\": \"attached_probes\", \"data\": {\"probes\": 2}}\n\
{\"type\": \"frobnicate\", \"data\": {\"x\": 1}}\n\
{\"type\": \"lost_events\", \"data\": {\"events\": 17}}\n\
{\"type\": \"helper_error\", \"helper\": \"map_update_elem\", \"retcode\": -7, \"line\": 3, \"col\": 5}\n\
{\"type\": \"printf\", \"data\": \"x=1 y=2\\n\"}\n\
{\"type\": \"map\", \"data\": {\"@cut\": {\"a\": 1,\n";
    let o = parse("j.ndjson", input);
    let kinds: Vec<_> = o.lines.iter().map(|l| l.kind.as_str()).collect();
    assert_eq!(kinds, ["stderr", "attach", "raw", "helper_error", "printf", "raw"]);
    assert_eq!(o.lines[2].text, "{\"type\": \"frobnicate\", \"data\": {\"x\": 1}}");
    assert_eq!(o.lines[1].fields, "probes=2");
    assert!(o.lines[3].fields.contains("retcode=-7"));
    assert_eq!(o.lines[4].fields, "x=1;y=2");
    assert_eq!(o.lost.len(), 1);
    assert_eq!(o.lost[0].events, 17);
    assert_eq!(o.account.lines_read(), 7);
    assert_eq!(o.account.lines_not_understood(), 2, "unknown type + cut record");

    let text = b"Attaching 2 probes...\nERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK\n/tmp/np/x.bt:52:15-16: WARNING: arithmetic\n@a: 1\nLost 5 events\n@h:\n[0]  1 |@@@@|\nWARNING: late\n@b[x]: 2\n";
    let o = parse("t.txt", text);
    let kinds: Vec<_> = o.lines.iter().map(|l| l.kind.as_str()).collect();
    assert_eq!(kinds, ["attach", "stderr", "stderr", "stderr"]);
    assert_eq!((o.maps.len(), o.hist.len(), o.lost[0].events), (2, 1, 5));
}

#[test]
fn sniff() {
    assert!(bpftrace::sniff(b"Attaching 8 probes...\nENTER 1 2 3\n"));
    assert!(bpftrace::sniff(b"{\"type\": \"attached_probes\", \"data\": {\"probes\": 3}}\n"));
    assert!(bpftrace::sniff(b"@[vfs_read]: 11515\n"));
    assert!(!bpftrace::sniff(b"{\"type\": \"frobnicate\"}\n"));
    assert!(!bpftrace::sniff(b"[2026-01-01T00:00:00.000+0000][gc] Using G1\n"));
    assert!(!bpftrace::sniff(b"nr_throttled 100\n"));
}
