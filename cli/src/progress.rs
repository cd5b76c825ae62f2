//! Progress bars on stderr (indicatif), hidden when stderr is not a terminal or when asked.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A byte progress bar for ingest.
pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    /// A bar, or a hidden one when `enabled` is false or stderr is not a terminal.
    pub fn new(enabled: bool, message: &str) -> Self {
        let bar = if enabled && std::io::stderr().is_terminal() { ProgressBar::new(0) } else { ProgressBar::hidden() };
        bar.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(message.to_string());
        Self { bar }
    }
}

impl ingest::Progress for Bar {
    fn begin(&self, _files: usize, bytes: u64) {
        self.bar.set_length(bytes);
    }
    fn advance(&self, bytes: u64) {
        self.bar.inc(bytes);
    }
    fn end(&self) {
        self.bar.finish_and_clear();
    }
}
