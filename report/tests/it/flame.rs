//! The CPU profile section: perf tables chosen by hand for the two runs, rendered; the folded
//! files are checked line by line, the flamegraphs and the differential one for existence.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use model::tables::perf_frames::PerfFrameRow;
use model::tables::perf_samples::PerfSampleRow;
use model::tables::perf_stacks::PerfStackRow;
use model::write::{partition_dir, RunStaging};

use super::{g1, render, two_run_dataset, write_run, zgc};

fn frame(source: &str, frame_id: i64, function: &str, dso: Option<&str>) -> PerfFrameRow {
    PerfFrameRow {
        source: source.into(),
        frame_id,
        function: function.into(),
        dso: dso.map(Into::into),
        kind: "user".into(),
        ..Default::default()
    }
}

/// The row of one stack, given leaf first.
fn stack(source: &str, stack_id: i64, leaf_first: &[i64]) -> Vec<PerfStackRow> {
    vec![PerfStackRow { source: source.into(), stack_id, frame_ids: leaf_first.to_vec() }]
}

fn sample_rows(source: &str, event: &str, comm: &str, stack_id: i64, n: usize) -> Vec<PerfSampleRow> {
    (0..n)
        .map(|i| PerfSampleRow {
            source: source.into(),
            line: i as i64 + 1,
            clock: "perf".into(),
            comm: comm.into(),
            event: event.into(),
            period: 1_000_000 * (i as i64 + 1), // counts are samples, not periods
            stack_id,
            ..Default::default()
        })
        .collect()
}

fn write_perf(ds: &Path, run: &str, samples: Vec<PerfSampleRow>, stacks: Vec<PerfStackRow>, frames: Vec<PerfFrameRow>) {
    let st = RunStaging::new(ds, run).unwrap();
    st.write("perf-script", samples).unwrap();
    st.write("perf-script", stacks).unwrap();
    st.write("perf-script", frames).unwrap();
    st.commit(&[]).unwrap();
}

/// A `perf_top_functions` row: event, function, self samples, self %, total samples, total %.
type TopRow<'a> = (&'a str, &'a str, i64, f64, i64, f64);

/// `perf_top_functions` is not a `model` table yet: written with arrow directly.
fn write_top_functions(ds: &Path, run: &str, rows: &[TopRow<'_>]) {
    let dir = partition_dir(ds, "perf_top_functions", run);
    std::fs::create_dir_all(&dir).unwrap();
    let col = |f: fn(&TopRow<'_>) -> String| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let batch = RecordBatch::try_from_iter([
        ("event", col(|r| r.0.to_string())),
        ("function", col(|r| r.1.to_string())),
        ("self_samples", Arc::new(Int64Array::from(rows.iter().map(|r| r.2).collect::<Vec<_>>())) as ArrayRef),
        ("self_pct", Arc::new(Float64Array::from(rows.iter().map(|r| r.3).collect::<Vec<_>>())) as ArrayRef),
        ("total_samples", Arc::new(Int64Array::from(rows.iter().map(|r| r.4).collect::<Vec<_>>())) as ArrayRef),
        ("total_pct", Arc::new(Float64Array::from(rows.iter().map(|r| r.5).collect::<Vec<_>>())) as ArrayRef),
    ])
    .unwrap();
    let file = std::fs::File::create(dir.join("part-0.parquet")).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// The candidate's frames: an unknown function with a known dso among them.
fn candidate_frames(src: &str) -> Vec<PerfFrameRow> {
    vec![
        frame(src, 1, "main", Some("/app/bin")),
        frame(src, 2, "work", Some("/app/bin")),
        frame(src, 3, "alloc", Some("/app/bin")),
        frame(src, 4, "[unknown]", Some("/usr/lib/libc.so.6")),
    ]
}

/// The candidate's samples of stacks 1-3 (two events, frame-less samples, a comm with a space).
fn candidate_samples(src: &str) -> Vec<PerfSampleRow> {
    [
        sample_rows(src, "cpu-clock", "java", 1, 2),
        sample_rows(src, "sched:sched_switch", "java", 1, 1),
        sample_rows(src, "cpu-clock", "java", 2, 1),
        sample_rows(src, "cpu-clock", "GC Thread#0", 3, 1),
        sample_rows(src, "cpu-clock", "java", 0, 1),
    ]
    .concat()
}

/// Runs `jdk17-g1` and `jdk21-zgc` of [`two_run_dataset`], both with perf samples.
fn perf_dataset() -> tempfile::TempDir {
    let dir = two_run_dataset();
    let ds = dir.path().join("ds");

    // Candidate: two events, frame-less samples, an unknown function with a known dso, a comm
    // with a space.
    let src = "perf/g1.txt";
    let frames = candidate_frames(src);
    let stacks = [stack(src, 1, &[2, 1]), stack(src, 2, &[3, 2, 1]), stack(src, 3, &[4, 1])].concat();
    let samples = candidate_samples(src);
    write_perf(&ds, "jdk17-g1", samples, stacks, frames);

    // Baseline: two sources whose frame and stack ids overlap; a `;` in a function name.
    let (a, b) = ("perf/zgc-a.txt", "perf/zgc-b.txt");
    let frames = vec![
        frame(a, 10, "main", Some("/app/bin")),
        frame(a, 11, "work", None),
        frame(a, 12, "a;b", Some("/app/bin")),
        frame(b, 10, "other", None),
    ];
    let stacks = [stack(a, 7, &[12, 11, 10]), stack(b, 7, &[10])].concat();
    let samples = [
        sample_rows(a, "cpu-clock", "java", 7, 3),
        sample_rows(a, "cpu-clock", "java", 0, 1),
        sample_rows(b, "cpu-clock", "java", 7, 1),
    ]
    .concat();
    write_perf(&ds, "jdk21-zgc", samples, stacks, frames);

    let mut top = vec![
        ("cpu-clock", "a:b", 3, 60.0, 3, 60.0),
        ("cpu-clock", "other", 1, 20.0, 1, 20.0),
        ("cycles", "elsewhere", 99, 99.0, 99, 99.0),
    ];
    let fillers: Vec<String> = (0..11).map(|i| format!("f{i:02}")).collect();
    top.extend(fillers.iter().map(|f| ("cpu-clock", f.as_str(), 0, 0.0, 4, 80.0)));
    write_top_functions(&ds, "jdk21-zgc", &top);
    dir
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn folded_files_flamegraphs_and_links() {
    let dir = perf_dataset();
    // Explicit roles: baseline `jdk21-zgc`, candidate `jdk17-g1`.
    let (md, summary) = render(dir.path(), Some("jdk21-zgc"), Some("jdk17-g1")).unwrap();
    assert_eq!(summary.runs, vec!["jdk21-zgc".to_string(), "jdk17-g1".to_string()]);
    let out = dir.path().join("out");

    assert_eq!(
        read(&out.join("perf-jdk17-g1-cpu-clock.folded")),
        "GC_Thread#0;main;[libc.so.6] 1\njava 1\njava;main;work 2\njava;main;work;alloc 1\n"
    );
    assert_eq!(read(&out.join("perf-jdk17-g1-sched_sched_switch.folded")), "java;main;work 1\n");
    assert_eq!(read(&out.join("perf-jdk21-zgc-cpu-clock.folded")), "java 1\njava;main;work;a:b 3\njava;other 1\n");
    assert!(!out.join("perf-jdk21-zgc-sched_sched_switch.folded").exists());

    for svg in [
        "flame-jdk17-g1-cpu-clock.svg",
        "flame-jdk17-g1-sched_sched_switch.svg",
        "flame-jdk21-zgc-cpu-clock.svg",
        "flame-diff-cpu-clock.svg",
    ] {
        let path = out.join(svg);
        let text = read(&path);
        assert!(text.starts_with("<svg") || text.starts_with("<?xml"), "{svg}: {}", &text[..text.len().min(80)]);
        assert!(summary.images.contains(&path), "{svg} not in {:?}", summary.images);
    }
    assert!(!out.join("flame-diff-sched_sched_switch.svg").exists(), "no diff for an event of one run only");
    let diff = read(&out.join("flame-diff-cpu-clock.svg"));
    assert!(diff.contains("differential, normalised"), "diff title");
    assert!(read(&out.join("flame-jdk17-g1-cpu-clock.svg")).contains("main"));
    // No temporary file left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The report: one CPU profile section per run, linking everything.
    assert_eq!(md.matches("### CPU profile").count(), 2, "{md}");
    assert!(
        md.contains(
            "| `cpu-clock` | 5 | 4 | [flame-jdk17-g1-cpu-clock.svg](flame-jdk17-g1-cpu-clock.svg) | \
         [perf-jdk17-g1-cpu-clock.folded](perf-jdk17-g1-cpu-clock.folded) | \
         [flame-diff-cpu-clock.svg](flame-diff-cpu-clock.svg) |"
        ),
        "{md}"
    );
    assert!(md.contains(
        "| `sched:sched_switch` | 1 | 1 | [flame-jdk17-g1-sched_sched_switch.svg](flame-jdk17-g1-sched_sched_switch.svg) | \
         [perf-jdk17-g1-sched_sched_switch.folded](perf-jdk17-g1-sched_sched_switch.folded) | n/a |"
    ), "{md}");
    assert!(
        md.contains(
            "| `cpu-clock` | 5 | 3 | [flame-jdk21-zgc-cpu-clock.svg](flame-jdk21-zgc-cpu-clock.svg) | \
         [perf-jdk21-zgc-cpu-clock.folded](perf-jdk21-zgc-cpu-clock.folded) |\n"
        ),
        "{md}"
    );
    assert!(md.contains("compare baseline `jdk21-zgc` with this run"), "{md}");

    // Top functions: only the baseline has the table; top 10 by self samples, of the event.
    assert_eq!(md.matches("Top functions of").count(), 1, "{md}");
    let top: Vec<&str> = md
        .lines()
        .skip_while(|l| !l.starts_with("Top functions of `cpu-clock`"))
        .skip(4) // title, blank line, header, separator
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(top.len(), 10, "{top:?}");
    assert_eq!(top[0], "| `a:b` | 3 | 60.00 % | 3 | 60.00 % |");
    assert_eq!(top[1], "| `other` | 1 | 20.00 % | 1 | 20.00 % |");
    assert_eq!(top[9], "| `f07` | 0 | 0.00 % | 4 | 80.00 % |");
    assert!(!md.contains("elsewhere"));
    // The section sits in the run's part of the report, before its safepoints.
    let zgc_part = &md[md.find("## Run `jdk21-zgc`").unwrap()..];
    assert!(zgc_part.find("### CPU profile").unwrap() < zgc_part.find("### Safepoints").unwrap());
}

#[test]
fn single_run_has_no_differential() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    write_run(&ds, &g1());
    let src = "perf/one.txt";
    write_perf(
        &ds,
        "jdk17-g1",
        sample_rows(src, "cycles", "app worker", 1, 2),
        stack(src, 1, &[1]),
        vec![frame(src, 1, "", None)],
    );
    let (md, _) = render(dir.path(), None, None).unwrap();
    let out = dir.path().join("out");
    assert_eq!(read(&out.join("perf-jdk17-g1-cycles.folded")), "app_worker;[unknown] 2\n");
    assert!(out.join("flame-jdk17-g1-cycles.svg").exists());
    assert!(!md.contains("flame-diff"), "{md}");
    assert!(md.contains("| `cycles` | 2 | 1 | [flame-jdk17-g1-cycles.svg](flame-jdk17-g1-cycles.svg) |"), "{md}");
}

#[test]
fn runs_without_perf_samples_have_no_section() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    write_run(&ds, &zgc());
    let (md, summary) = render(dir.path(), None, None).unwrap();
    assert!(!md.contains("CPU profile"));
    assert!(!summary.images.iter().any(|p| p.to_string_lossy().contains("flame")));
}

/// Stack rows need not come in stack id order (tables written by other tools): stacks given
/// out of order fold as when in order.
#[test]
fn stacks_out_of_order_fold_the_same() {
    let dir = perf_dataset();
    let ds = dir.path().join("ds");
    let src = "perf/g1.txt";
    let frames = candidate_frames(src);
    let stacks = [stack(src, 3, &[4, 1]), stack(src, 1, &[2, 1]), stack(src, 2, &[3, 2, 1])].concat();
    let samples = candidate_samples(src);
    write_perf(&ds, "jdk17-g1", samples, stacks, frames);
    render(dir.path(), Some("jdk21-zgc"), Some("jdk17-g1")).unwrap();
    assert_eq!(
        read(&dir.path().join("out/perf-jdk17-g1-cpu-clock.folded")),
        "GC_Thread#0;main;[libc.so.6] 1\njava 1\njava;main;work 2\njava;main;work;alloc 1\n"
    );
}
