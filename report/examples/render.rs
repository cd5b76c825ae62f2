//! Renders a report from a dataset without the CLI:
//! `cargo run --release -p tracefold-report --example render -- <dataset> <out_dir> [baseline] [candidate]`.

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 || args.len() > 4 {
        eprintln!("usage: render <dataset> <out_dir> [baseline] [candidate]");
        std::process::exit(2);
    }
    let opts = tracefold_report::ReportOptions {
        dataset: PathBuf::from(&args[0]),
        out_dir: PathBuf::from(&args[1]),
        baseline: args.get(2).filter(|s| !s.is_empty()).cloned(),
        candidate: args.get(3).filter(|s| !s.is_empty()).cloned(),
    };
    match tracefold_report::report(&opts) {
        Ok(summary) => {
            println!("{}", summary.report_path.display());
            for image in &summary.images {
                println!("{}", image.display());
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
