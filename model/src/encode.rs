//! Parquet encoding of a table's record batches into its file, in the caller's thread or on a
//! thread of its own beside it (so a parser producing batches and the Parquet encoder, with its
//! dictionary building and zstd, run on two cores). Either way the file's bytes are the same:
//! batches are encoded in the order given, by one `ArrowWriter`.

use std::fs::File;
use std::path::Path;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::errors::ParquetError;

use crate::write::parquet_err;
use crate::ModelError;

/// Batches handed to an encoding thread and not yet encoded, at most (memory: this many
/// batches beyond the one being built and the one being encoded).
const QUEUE_BATCHES: usize = 1;

/// Where a table's batches go: an `ArrowWriter` in this thread, or one on its own thread.
pub(crate) enum Encoder {
    Inline(Box<ArrowWriter<File>>),
    Thread { tx: Option<SyncSender<RecordBatch>>, thread: Option<JoinHandle<Result<ArrowWriter<File>, ParquetError>>> },
}

impl Encoder {
    /// Moves the writer to a thread of its own (named after the file, for profiles).
    pub(crate) fn into_thread(self, path: &Path) -> Self {
        let Encoder::Inline(writer) = self else { return self };
        let writer = *writer;
        let (tx, rx) = sync_channel::<RecordBatch>(QUEUE_BATCHES);
        // The writer is handed over once the thread runs: if no thread can be had, it stays here.
        let (hand_tx, hand_rx) = sync_channel::<ArrowWriter<File>>(1);
        let name =
            format!("encode {}", path.parent().and_then(|p| p.file_name()).unwrap_or_default().to_string_lossy());
        let spawned = std::thread::Builder::new().name(name).spawn(move || {
            let mut writer = hand_rx.recv().map_err(|_| ParquetError::General("no writer handed over".into()))?;
            for batch in rx {
                writer.write(&batch)?;
            }
            Ok(writer)
        });
        match spawned {
            Ok(thread) => {
                hand_tx.send(writer).expect("the encoding thread waits for its writer");
                Encoder::Thread { tx: Some(tx), thread: Some(thread) }
            }
            Err(_) => Encoder::Inline(Box::new(writer)),
        }
    }

    /// Encodes `batch` (or hands it to the encoding thread).
    pub(crate) fn write(&mut self, batch: RecordBatch, path: &Path) -> Result<(), ModelError> {
        match self {
            Encoder::Inline(w) => w.write(&batch).map_err(parquet_err(path)),
            Encoder::Thread { tx, thread } => {
                if tx.as_ref().is_some_and(|tx| tx.send(batch).is_ok()) {
                    return Ok(());
                }
                // The thread stopped on an error: report it.
                tx.take();
                Err(join(thread.take(), path)
                    .err()
                    .unwrap_or_else(|| parquet_err(path)(ParquetError::General("encoder stopped".into()))))
            }
        }
    }

    /// Waits for every batch to be encoded, and writes the footer.
    pub(crate) fn close(self, path: &Path) -> Result<(), ModelError> {
        let writer = match self {
            Encoder::Inline(w) => *w,
            Encoder::Thread { tx, thread } => {
                drop(tx);
                join(thread, path)?
            }
        };
        writer.close().map(drop).map_err(parquet_err(path))
    }
}

fn join(
    thread: Option<JoinHandle<Result<ArrowWriter<File>, ParquetError>>>,
    path: &Path,
) -> Result<ArrowWriter<File>, ModelError> {
    let thread = thread.ok_or_else(|| parquet_err(path)(ParquetError::General("encoder already stopped".into())))?;
    match thread.join() {
        Ok(r) => r.map_err(parquet_err(path)),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

#[cfg(test)]
mod tests {
    use crate::tables::gc_pauses::GcPauseRow;
    use crate::write::TableWriter;

    fn rows(n: usize) -> Vec<GcPauseRow> {
        (0..n)
            .map(|i| GcPauseRow {
                source: format!("gc-{}.log", i % 3),
                line: i as i64,
                duration_ns: (i as i64 * 7919) % 100_000,
                cause: Some(["G1 Evacuation Pause", "Allocation Failure"][i % 2].to_string()),
                ..Default::default()
            })
            .collect()
    }

    /// A table encoded on its own thread is the same file, byte for byte, as one encoded inline
    /// (several batches, rows and batches mixed).
    #[test]
    fn background_encoding_writes_the_same_file() {
        let tmp = tempfile::tempdir().unwrap();
        let all = rows(150_000);
        let mut files = Vec::new();
        for (name, background) in [("inline", false), ("thread", true)] {
            let dir = tmp.path().join(name);
            let mut w = TableWriter::<GcPauseRow>::create(&dir, 0, "r", "test").unwrap();
            if background {
                w = w.in_background();
            }
            w.extend(all[..100_000].iter().cloned()).unwrap();
            w.write_batch(&<GcPauseRow as crate::Table>::to_batch(&all[100_000..])).unwrap();
            assert_eq!(w.finish().unwrap(), 150_000);
            files.push(std::fs::read(dir.join("part-0.parquet")).unwrap());
        }
        assert!(files[0] == files[1], "inline and background files differ");
    }

    /// A write error on the encoding thread comes back to the caller, naming the file.
    #[test]
    fn background_errors_reach_the_caller() {
        let tmp = tempfile::tempdir().unwrap();
        let w = TableWriter::<GcPauseRow>::create(tmp.path(), 0, "r", "test").unwrap().in_background();
        // A batch of another table's schema: the encoder refuses it.
        let wrong = <crate::tables::runs::SourceRow as crate::Table>::to_batch(&[Default::default()]);
        let mut w = w;
        let mut result = w.write_batch(&wrong);
        for _ in 0..3 {
            result = result.and_then(|()| w.write_batch(&wrong));
        }
        let err = result.err().map(|e| e.to_string()).or_else(|| w.finish().err().map(|e| e.to_string()));
        let err = err.expect("the wrong batch is reported");
        assert!(err.contains("part-0.parquet.tmp"), "{err}");
    }
}
