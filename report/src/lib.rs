//! The Markdown GC report of a tracefold dataset.
//!
//! [`report`] reads a dataset's tables with arrow-rs (`model::read`), compares a baseline run with
//! a candidate run (or describes a single run), and writes `report.md` from the minijinja
//! templates in `report/templates/` plus SVG figures drawn with plotters' SVG backend:
//! `pauses-<run>.svg` per run, `cgroup-<run>.svg` per run with cgroup snapshots, and `mmu.svg`;
//! for runs with perf samples, an inferno flamegraph and a folded-stack file per event, and a
//! differential flamegraph per event shared by baseline and candidate (see [`flame`]). Every file is written under a temporary name and
//! renamed into place, images first, so `report.md` never links to a missing figure.
//!
//! Without the CLI: `cargo run --release -p tracefold-report --example render -- <dataset> <out_dir>
//! [baseline] [candidate]`.

mod bpftrace;
mod cgroup;
mod compare;
mod context;
pub mod data;
mod epoll;
pub mod flame;
mod fold;
pub mod format;
mod perf_gc;
mod plot;

use std::path::{Path, PathBuf};

use data::RunData;

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// The dataset directory.
    pub dataset: PathBuf,
    /// Where `report.md` and the SVG figures are written (created if missing).
    pub out_dir: PathBuf,
    /// Baseline run; default: the first-ingested run.
    pub baseline: Option<String>,
    /// Candidate run; default: the last-ingested run.
    pub candidate: Option<String>,
}

/// What [`report`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSummary {
    /// Path of `report.md`.
    pub report_path: PathBuf,
    /// Paths of the SVG figures.
    pub images: Vec<PathBuf>,
    /// Runs covered: `[baseline, candidate]`, or the single run.
    pub runs: Vec<String>,
}

/// Errors of [`report`]; each names the dataset, run or file concerned.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("dataset {}: no runs found (no `runs` table); ingest logs into it first", dataset.display())]
    NoRuns { dataset: PathBuf },
    #[error("dataset {}: unknown {role} run `{run}`; known runs: {known}", dataset.display())]
    UnknownRun { dataset: PathBuf, role: &'static str, run: String, known: String },
    #[error("baseline and candidate are the same run `{0}`: pick two different runs")]
    SameRun(String),
    #[error("dataset {}: listing runs: {source}", dataset.display())]
    ListRuns { dataset: PathBuf, source: model::ModelError },
    #[error("dataset {}: completing an interrupted commit: {source}", dataset.display())]
    Recover { dataset: PathBuf, source: model::ModelError },
    #[error("dataset {}: locking it for reading: {source}", dataset.display())]
    Lock { dataset: PathBuf, source: model::ModelError },
    #[error("reading table `{table}` of run `{run}`: {source}")]
    Read { table: &'static str, run: String, source: model::ModelError },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("rendering template `{template}`: {source:#}")]
    Template { template: String, source: minijinja::Error },
    #[error("drawing {}: {message}", path.display())]
    Plot { path: PathBuf, message: String },
}

/// The runs a report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// One run only.
    Single(String),
    /// Baseline and candidate.
    Compare { baseline: String, candidate: String },
}

/// Picks the runs: with two or more runs the first-ingested is the default baseline and the
/// last-ingested (other than the baseline) the default candidate; a single run is reported alone.
pub fn select_runs(
    dataset: &Path,
    known: &[String],
    baseline: Option<&str>,
    candidate: Option<&str>,
) -> Result<Selection, ReportError> {
    if known.is_empty() {
        return Err(ReportError::NoRuns { dataset: dataset.to_path_buf() });
    }
    let check = |role: &'static str, run: Option<&str>| -> Result<Option<String>, ReportError> {
        match run {
            Some(r) if !known.iter().any(|k| k == r) => Err(ReportError::UnknownRun {
                dataset: dataset.to_path_buf(),
                role,
                run: r.to_string(),
                known: known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
            }),
            other => Ok(other.map(str::to_string)),
        }
    };
    let baseline = check("baseline", baseline)?;
    let candidate = check("candidate", candidate)?;
    if known.len() == 1 {
        return Ok(Selection::Single(known[0].clone()));
    }
    let (baseline, candidate) = match (baseline, candidate) {
        (Some(b), Some(c)) => (b, c),
        (Some(b), None) => {
            let c = known.iter().rev().find(|k| **k != b).cloned().unwrap_or_else(|| b.clone());
            (b, c)
        }
        (None, Some(c)) => {
            let b = known.iter().find(|k| **k != c).cloned().unwrap_or_else(|| c.clone());
            (b, c)
        }
        (None, None) => (known[0].clone(), known[known.len() - 1].clone()),
    };
    if baseline == candidate {
        return Err(ReportError::SameRun(baseline));
    }
    Ok(Selection::Compare { baseline, candidate })
}

/// Writes `out_dir/report.md` and its SVG figures for the dataset in `opts`.
pub fn report(opts: &ReportOptions) -> Result<ReportSummary, ReportError> {
    // A commit that a killed ingest left half done is finished first: each run is all old or all new.
    model::write::recover(&opts.dataset)
        .map_err(|source| ReportError::Recover { dataset: opts.dataset.clone(), source })?;
    let known = model::read::list_runs(&opts.dataset)
        .map_err(|source| ReportError::ListRuns { dataset: opts.dataset.clone(), source })?;
    let selection = select_runs(&opts.dataset, &known, opts.baseline.as_deref(), opts.candidate.as_deref())?;
    let names: Vec<String> = match &selection {
        Selection::Single(r) => vec![r.clone()],
        Selection::Compare { baseline, candidate } => vec![baseline.clone(), candidate.clone()],
    };
    // Read under a shared lock of the dataset: no ingest swaps a run in while it is read.
    let read_lock = model::write::lock_dataset(&opts.dataset, true)
        .map_err(|source| ReportError::Lock { dataset: opts.dataset.clone(), source })?;
    let runs = names.iter().map(|r| RunData::load(&opts.dataset, r)).collect::<Result<Vec<_>, _>>()?;
    drop(read_lock);

    if opts.out_dir.exists() && !opts.out_dir.is_dir() {
        let why = "not a directory; --out names the directory for report.md and its images";
        let source = std::io::Error::new(std::io::ErrorKind::NotADirectory, why);
        return Err(ReportError::Io { path: opts.out_dir.clone(), source });
    }
    std::fs::create_dir_all(&opts.out_dir).map_err(|source| ReportError::Io { path: opts.out_dir.clone(), source })?;

    let mut images = Vec::new();
    let mut figures = context::Figures::default();
    for run in &runs {
        let file = format!("pauses-{}.svg", run.name);
        let path = opts.out_dir.join(&file);
        let plot_err = |e: plot::PlotError| ReportError::Plot { path: path.clone(), message: e.to_string() };
        if let Some(fig) = plot::pauses_figure(run).map_err(plot_err)? {
            write_atomic(&path, fig.svg.as_bytes())?;
            images.push(path.clone());
            figures.pauses.insert(run.name.clone(), (file, fig.notes));
        }
        let file = format!("cgroup-{}.svg", run.name);
        let path = opts.out_dir.join(&file);
        let plot_err = |e: plot::PlotError| ReportError::Plot { path: path.clone(), message: e.to_string() };
        if let Some(fig) = plot::cgroup_figure(run).map_err(plot_err)? {
            write_atomic(&path, fig.svg.as_bytes())?;
            images.push(path.clone());
            figures.cgroups.insert(run.name.clone(), (file, fig.notes));
        }
    }
    let curves: Vec<plot::MmuCurve> = runs
        .iter()
        .zip(context::roles(&selection))
        .map(|(r, role)| plot::MmuCurve {
            label: format!("{role}: {}", r.name),
            points: r.mmu.iter().map(|m| (m.window_ns, m.mmu)).collect(),
        })
        .collect();
    let mmu_path = opts.out_dir.join("mmu.svg");
    let mmu =
        plot::mmu_figure(&curves).map_err(|e| ReportError::Plot { path: mmu_path.clone(), message: e.to_string() })?;
    if let Some(fig) = mmu {
        write_atomic(&mmu_path, fig.svg.as_bytes())?;
        images.push(mmu_path);
        figures.mmu = Some("mmu.svg".to_string());
    }
    let compare = matches!(selection, Selection::Compare { .. });
    figures.perf = flame::write_profiles(&opts.dataset, &opts.out_dir, &runs, compare, &mut images)?;
    figures.perf_gc = perf_gc::sections(&opts.dataset, &opts.out_dir, &runs, &mut images)?;
    for run in &runs {
        if let Some(section) = epoll::section(&opts.dataset, &run.name)? {
            figures.epoll.insert(run.name.clone(), section);
        }
    }
    figures.bpftrace = bpftrace::sections(&opts.dataset, &opts.out_dir, &runs, compare, &mut images)?;

    let other_runs: Vec<String> = known.iter().filter(|k| !names.contains(k)).cloned().collect();
    let ctx = context::build(&opts.dataset, &selection, &runs, &other_runs, &figures);
    let markdown = render(&ctx)?;
    let report_path = opts.out_dir.join("report.md");
    write_atomic(&report_path, markdown.as_bytes())?;
    Ok(ReportSummary { report_path, images, runs: names })
}

const TEMPLATES: [(&str, &str); 7] = [
    ("report.md.j2", include_str!("../templates/report.md.j2")),
    ("run.md.j2", include_str!("../templates/run.md.j2")),
    ("cgroup.md.j2", include_str!("../templates/cgroup.md.j2")),
    ("perf.md.j2", include_str!("../templates/perf.md.j2")),
    ("perf_gc.md.j2", include_str!("../templates/perf_gc.md.j2")),
    ("epoll.md.j2", include_str!("../templates/epoll.md.j2")),
    ("bpftrace.md.j2", include_str!("../templates/bpftrace.md.j2")),
];

fn render(ctx: &context::Report) -> Result<String, ReportError> {
    let template_err = |template: &str| {
        let template = template.to_string();
        move |source| ReportError::Template { template, source }
    };
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(template_err("syntax"))?;
    env.set_syntax(syntax);
    for (name, source) in TEMPLATES {
        env.add_template(name, source).map_err(template_err(name))?;
    }
    let tmpl = env.get_template("report.md.j2").map_err(template_err("report.md.j2"))?;
    tmpl.render(minijinja::value::Serde(ctx)).map_err(template_err("report.md.j2"))
}

/// Writes `bytes` to `path` through a temporary name in the same directory and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    std::fs::write(&tmp, bytes).map_err(|source| ReportError::Io { path: tmp.clone(), source })?;
    std::fs::rename(&tmp, path).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        ReportError::Io { path: path.to_path_buf(), source }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_selection() {
        let ds = Path::new("ds");
        let known = runs(&["a", "b", "c"]);
        assert_eq!(
            select_runs(ds, &known, None, None).unwrap(),
            Selection::Compare { baseline: "a".into(), candidate: "c".into() }
        );
        assert_eq!(
            select_runs(ds, &known, Some("c"), None).unwrap(),
            Selection::Compare { baseline: "c".into(), candidate: "b".into() }
        );
        assert_eq!(
            select_runs(ds, &known, None, Some("a")).unwrap(),
            Selection::Compare { baseline: "b".into(), candidate: "a".into() }
        );
        assert_eq!(select_runs(ds, &runs(&["x"]), None, None).unwrap(), Selection::Single("x".into()));
    }

    #[test]
    fn selection_errors() {
        let ds = Path::new("ds");
        let known = runs(&["a", "b"]);
        let err = select_runs(ds, &known, Some("nope"), None).unwrap_err().to_string();
        assert!(err.contains("unknown baseline run `nope`"), "{err}");
        assert!(err.contains("known runs: `a`, `b`"), "{err}");
        assert!(err.contains("dataset ds"), "{err}");
        assert!(matches!(select_runs(ds, &known, Some("a"), Some("a")), Err(ReportError::SameRun(_))));
        assert!(matches!(select_runs(ds, &[], None, None), Err(ReportError::NoRuns { .. })));
    }
}
