//! Messages other threads print into any line: `Total time for which application threads were
//! stopped: X seconds[, Stopping threads took: Y seconds]` (`-XX:+PrintGCApplicationStoppedTime`)
//! and `Application time: X seconds` (`-XX:+PrintGCApplicationConcurrentTime`).

use super::stamps::{self, Stamps};
use crate::units;

/// A message embedded in a line: the stopped-time or application-time message of
/// `-XX:+PrintGCApplicationStoppedTime` / `-XX:+PrintGCApplicationConcurrentTime`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `Total time for which application threads were stopped: X seconds[, Stopping threads took: Y seconds]`.
    Stopped { stamps: Stamps, total_ns: i64, reaching_ns: Option<i64> },
    /// `Application time: X seconds`.
    ApplicationTime,
    /// A stopped-time message whose figures could not be read.
    Malformed,
}

const STOPPED: &str = "Total time for which application threads were stopped: ";
const APP_TIME: &str = "Application time: ";

/// Takes the stopped-time and application-time messages out of `line`, with the stamps just
/// before them.
pub fn take_messages(line: &mut String) -> Vec<Message> {
    let mut found = Vec::new();
    for marker in [STOPPED, APP_TIME] {
        while let Some(i) = line.find(marker) {
            let (before, st) = stamps::trailing(&line[..i]);
            let start = before.len();
            let mut end = i + marker.len();
            let (secs, len) = seconds(&line[end..]);
            end += len;
            let msg = if marker == APP_TIME {
                Message::ApplicationTime
            } else {
                let mut reaching = None;
                if let Some(r) = line[end..].strip_prefix(", Stopping threads took: ") {
                    let (y, len) = seconds(r);
                    if y.is_some() {
                        reaching = y;
                        end += ", Stopping threads took: ".len() + len;
                    }
                }
                match secs {
                    Some(total_ns) => Message::Stopped { stamps: st, total_ns, reaching_ns: reaching },
                    None => Message::Malformed,
                }
            };
            line.replace_range(start..end, "");
            found.push(msg);
        }
    }
    found
}

/// `0.0038240 seconds` at the start of `s`: ns and the length read.
fn seconds(s: &str) -> (Option<i64>, usize) {
    let n = s.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.' || *b == b',').count();
    let num = &s[..n];
    match s[n..].strip_prefix(" seconds") {
        Some(_) => (units::decimal_scaled(num, 9), n + " seconds".len()),
        None => (None, n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_cut_out() {
        // garbagecat dataset135.txt line 2 (two threads writing into one line).
        let mut l = "2017-06-18T05:23:03.452-0500: 2.182: 2017-06-18T05:23:03.452-0500: [CMS-concurrent-preclean: 0.016/0.048 secs]2.182: Application time: 0.0055079 seconds".to_string();
        assert_eq!(take_messages(&mut l), vec![Message::ApplicationTime]);
        assert_eq!(l, "2017-06-18T05:23:03.452-0500: 2.182: 2017-06-18T05:23:03.452-0500: [CMS-concurrent-preclean: 0.016/0.048 secs]");
        // garbagecat dataset208.txt style.
        let mut l = "4.483: Total time for which application threads were stopped: 0.0018237 seconds, Stopping threads took: 0.0000271 seconds".to_string();
        let m = take_messages(&mut l);
        assert_eq!(
            m,
            vec![Message::Stopped {
                stamps: Stamps { uptime_ns: Some(4_483_000_000), ..Default::default() },
                total_ns: 1_823_700,
                reaching_ns: Some(27_100)
            }]
        );
        assert_eq!(l, "");
    }
}
