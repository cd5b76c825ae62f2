//! The `tracefold` binary: parses flags into the library option structs and calls one library
//! function per subcommand (`run` calls them in child processes of itself, [`phases`]). Exit
//! codes: 0 ok, 1 completed with findings, 2 error.

mod args;
mod commands;
mod phases;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

/// mimalloc instead of glibc malloc: ingest builds millions of short-lived rows and strings, and
/// glibc's consolidation and chunk unlinking took a third of the CPU on large perf.data and
/// bpftrace inputs. mimalloc 2 (the crate's `v2`), not 3: as fast here, and its peak RSS is
/// lower (175 MB perf.data: 266 vs 335-367 MB; 48 MB bpftrace text: 170 vs 222 MB).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What a command concluded.
pub enum Outcome {
    /// Nothing to flag.
    Ok,
    /// Completed, with findings the user asked to fail on.
    Findings,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Ingest(a) => commands::ingest(&cli, a),
        Command::Analyze(a) => commands::analyze(&cli, a),
        Command::Report(a) => commands::report(&cli, a),
        Command::Run(a) => commands::run(&cli, a),
        Command::Formats => commands::formats(&cli),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::from(0),
        Ok(Outcome::Findings) => ExitCode::from(1),
        // The child said why it failed; a context added here says what that means for the
        // whole command (e.g. which runs `run` had saved before).
        Err(e) if e.downcast_ref::<phases::ChildFailed>().is_some() => {
            if e.chain().count() > 1 {
                eprintln!("error: {e}");
            }
            ExitCode::from(e.downcast_ref::<phases::ChildFailed>().map_or(2, |c| c.0))
        }
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, `: `-joined, leaving out a cause that its parent's message
/// already quotes (library errors name the file and then say why, `{path}: {source}`).
fn error_chain(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}
