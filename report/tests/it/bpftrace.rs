//! The bpftrace maps and histograms section, on real bpftrace output ingested by
//! `tracefold-ingest`: the rendered buckets must equal the histogram lines bpftrace itself
//! printed (read here from the text with a parser independent of the ingester); text and
//! `-f json` output of the same script compare bucket for bucket with no difference.

use std::path::{Path, PathBuf};

use ingest::run::NoProgress;
use ingest::{ingest_run, IngestOptions};
use tracefold_report::{report, ReportOptions};

fn fixture(rel: &str) -> PathBuf {
    model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(rel)
}

fn ingest(ds: &Path, run: &str, input: &Path) {
    let opts = IngestOptions {
        inputs: vec![input.to_path_buf()],
        dataset: ds.to_path_buf(),
        run: Some(run.to_string()),
        ..Default::default()
    };
    ingest_run(&opts, &NoProgress).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
}

/// (title, [(label, count)]) of every histogram block of a bpftrace text output: a `@map:` or
/// `@map[key]:` line with nothing after the colon, then bucket lines `LABEL COUNT |@@@|` up to
/// a blank line.
fn text_hists(text: &str) -> Vec<(String, Vec<(String, i64)>)> {
    let mut out: Vec<(String, Vec<(String, i64)>)> = Vec::new();
    let mut open = false;
    for l in text.lines() {
        let t = l.trim_end();
        if t.starts_with('@') && t.ends_with(':') && !t.contains(": ") {
            out.push((t.trim_end_matches(':').to_string(), Vec::new()));
            open = true;
        } else if open && (t.starts_with('[') || t.starts_with('(')) && t.ends_with('|') {
            let end = t.find([')', ']']).unwrap() + 1;
            let count = t[end..].split_whitespace().next().unwrap().parse().unwrap();
            out.last_mut().unwrap().1.push((t[..end].to_string(), count));
        } else {
            open = false;
        }
    }
    out
}

/// The Markdown of run `run`'s section.
fn run_section<'a>(md: &'a str, run: &str) -> &'a str {
    let start = md.find(&format!("## Run `{run}`")).unwrap_or_else(|| panic!("no section for {run}"));
    let rest = &md[start + 3..];
    let end = [rest.find("\n## Run `"), rest.find("\n## Method")].into_iter().flatten().min().unwrap_or(rest.len());
    &md[start..start + 3 + end]
}

/// (title, [(label, count)]) of the histogram tables rendered in a run section (headings
/// `#### `@map``, comparisons excluded).
fn rendered_hists(section: &str) -> Vec<(String, Vec<(String, i64)>)> {
    let mut out: Vec<(String, Vec<(String, i64)>)> = Vec::new();
    let (mut open, mut table) = (false, false);
    for l in section.lines() {
        table = table && l.starts_with('|') || l.starts_with("| bucket | count |");
        if let Some(h) = l.strip_prefix("#### ") {
            open = !h.contains(" vs ");
            if open {
                out.push((h.trim_matches('`').to_string(), Vec::new()));
            }
        } else if open && table && l.starts_with("| `") {
            let cells: Vec<&str> = l.split(" | ").collect();
            let label = cells[0].trim_start_matches("| ").trim_matches('`').to_string();
            out.last_mut().unwrap().1.push((label, cells[1].parse().unwrap()));
        }
    }
    out
}

#[test]
fn hist_tables_equal_the_bpftrace_text_and_text_vs_json_has_no_delta() {
    let txt = fixture("bpftrace/formats-0.17/formats.txt");
    let tmp = tempfile::tempdir().unwrap();
    let (ds, out_dir) = (tmp.path().join("ds"), tmp.path().join("report"));
    ingest(&ds, "text", &txt);
    ingest(&ds, "json", &fixture("bpftrace/formats-0.17/formats.ndjson"));
    let opts = ReportOptions {
        dataset: ds,
        out_dir: out_dir.clone(),
        baseline: Some("text".into()),
        candidate: Some("json".into()),
    };
    let summary = report(&opts).unwrap();
    let md = std::fs::read_to_string(&summary.report_path).unwrap();

    let oracle = text_hists(&std::fs::read_to_string(&txt).unwrap());
    assert_eq!(oracle.len(), 4, "{oracle:?}");
    assert_eq!(oracle.iter().map(|h| h.1.len()).sum::<usize>(), 48);
    let sorted = |mut v: Vec<(String, Vec<(String, i64)>)>| {
        v.sort();
        v
    };
    for run in ["text", "json"] {
        let section = run_section(&md, run);
        assert!(section.contains("### bpftrace maps and histograms"), "{run}");
        // JSON prints keyed hists in key order: compared as sets of histograms.
        assert_eq!(sorted(rendered_hists(section)), sorted(oracle.clone()), "{run}: rendered = bpftrace's lines");
    }
    // @h has 7 non-empty buckets: drawn; @lh has 4: not drawn.
    let text = run_section(&md, "text");
    assert!(text.contains("![`@h` histogram](bpftrace-text-1.svg)"), "{text}");
    assert!(out_dir.join("bpftrace-text-1.svg").is_file());
    assert_eq!(text.matches("](bpftrace-text-").count(), 1, "{text}");
    // Scalar and keyed maps.
    assert!(text.contains("| `@scalar_sum` | 12 |"), "{text}");
    assert!(text.contains("| `@st` | count 3, average 21, total 63 |"), "{text}");
    assert!(text.contains("`@multi_key`: 2 keys, largest values first."), "{text}");
    // Comparison (candidate's section only): every shared histogram, every bucket Δ +0.
    let json = run_section(&md, "json");
    assert!(!text.contains(" vs `json`"));
    for (title, buckets) in &oracle {
        let head = format!("#### `{title}`: `text` vs `json`");
        let at = json.find(&head).unwrap_or_else(|| panic!("no comparison of {title}"));
        let table: Vec<&str> = json[at..]
            .lines()
            .skip_while(|l| !l.starts_with("| bucket |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .collect();
        assert_eq!(table.len(), buckets.len(), "{title}");
        for (row, (label, count)) in table.iter().zip(buckets) {
            let cells: Vec<&str> = row.split(" | ").collect();
            assert_eq!(cells[0].trim_start_matches("| ").trim_matches('`'), label);
            assert_eq!((cells[1], cells[2], cells[3]), (&*count.to_string(), &*count.to_string(), "+0"), "{row}");
        }
    }
}

#[test]
fn netpoll_capture_hist_and_maps() {
    let txt =
        model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/go-netpoll/run1/epoll-bpftrace.txt");
    if !txt.is_file() {
        eprintln!("skipped: {} not present", txt.display());
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    ingest(&ds, "run1", &txt);
    let opts = ReportOptions { dataset: ds, out_dir: tmp.path().join("r"), baseline: None, candidate: None };
    let md = std::fs::read_to_string(report(&opts).unwrap().report_path).unwrap();
    let section = run_section(&md, "run1");
    let oracle = text_hists(&std::fs::read_to_string(&txt).unwrap());
    let titles: Vec<&str> = oracle.iter().map(|h| h.0.as_str()).collect();
    assert_eq!(
        titles,
        [
            "@blocked_us[588]",
            "@blocked_us[589]",
            "@blocked_us[590]",
            "@blocked_us[587]",
            "@blocked_us[1842]",
            "@ready_fds"
        ]
    );
    assert_eq!(rendered_hists(section), oracle);
    assert!(section.contains("| `@events_total` | 4606 |"), "{section}");
    // Keyed maps: largest first.
    let at = section.find("`@wakeups`: 5 keys").expect("@wakeups table");
    let rows: Vec<&str> = section[at..].lines().skip(4).take(2).collect();
    assert_eq!(rows, ["| `1842` | 789 |", "| `587` | 750 |"]);
}
