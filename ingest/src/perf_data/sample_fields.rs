//! The fields of a SAMPLE record read in place: ip, pid / tid, time, cpu, period and the
//! callchain, straight from the record's bytes, for the common sample formats (those fields
//! and `ADDR`, `ID`, `STREAM_ID`, `IDENTIFIER`, nothing else: `perf record [-g]` of one or more
//! events without raw payloads). linux-perf-event-reader's `SampleRecord::parse` copies each
//! field out through `RawData` reads and hands back a callchain read element by element; on a
//! large profile that was a fifth of the reading thread. Any other record (other fields, a
//! record split across buffers, a length that does not add up) gives `None`, and the crate's
//! parser reads it as before: both read the same values where both apply (tested).

use linux_perf_data::linux_perf_event_reader::{CpuMode, Endianness, RawData, RawEventRecord, SampleFormat};

/// What the ingest keeps of a SAMPLE record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleFields<'a> {
    pub ip: Option<u64>,
    pub pid: Option<i32>,
    pub tid: Option<i32>,
    pub time: Option<u64>,
    pub cpu: Option<u32>,
    pub period: Option<u64>,
    pub cpu_mode: CpuMode,
    /// The callchain's addresses, 8 bytes each in the record's byte order.
    pub callchain: Option<&'a [u8]>,
    little_endian: bool,
}

impl SampleFields<'_> {
    /// Appends the callchain's addresses to `out`.
    pub fn callchain_into(&self, out: &mut Vec<u64>) {
        let Some(bytes) = self.callchain else { return };
        out.extend(bytes.chunks_exact(8).map(|c| word(c.try_into().unwrap_or_default(), self.little_endian)));
    }
}

/// An 8-byte value of a record, in the record's byte order.
fn word(bytes: [u8; 8], little_endian: bool) -> u64 {
    if little_endian {
        u64::from_le_bytes(bytes)
    } else {
        u64::from_be_bytes(bytes)
    }
}

/// Sample format bits this reader handles; a record whose format has any other is left to the
/// crate's parser.
fn handled() -> SampleFormat {
    SampleFormat::IDENTIFIER
        | SampleFormat::IP
        | SampleFormat::TID
        | SampleFormat::TIME
        | SampleFormat::ADDR
        | SampleFormat::ID
        | SampleFormat::STREAM_ID
        | SampleFormat::CPU
        | SampleFormat::PERIOD
        | SampleFormat::CALLCHAIN
}

/// The fields of SAMPLE record `record`, read in place; `None` when this reader does not
/// handle it (see the module doc).
pub fn read<'a>(record: &RawEventRecord<'a>) -> Option<SampleFields<'a>> {
    let RawData::Single(bytes) = record.data else { return None };
    let format = record.parse_info.sample_format;
    if !handled().contains(format) {
        return None;
    }
    let little_endian = matches!(record.parse_info.endian, Endianness::LittleEndian);
    let mut at = 0usize;
    let mut u64_at = || -> Option<u64> {
        let b: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
        at += 8;
        Some(word(b, little_endian))
    };
    // Two 32-bit values in one 8-byte slot (pid and tid, cpu and reserved), in the record's
    // byte order.
    let halves = |w: u64| if little_endian { (w as u32, (w >> 32) as u32) } else { ((w >> 32) as u32, w as u32) };
    let has = |f: SampleFormat| format.contains(f);
    if has(SampleFormat::IDENTIFIER) {
        u64_at()?;
    }
    let ip = if has(SampleFormat::IP) { Some(u64_at()?) } else { None };
    let (pid, tid) = if has(SampleFormat::TID) {
        let (pid, tid) = halves(u64_at()?);
        (Some(pid as i32), Some(tid as i32))
    } else {
        (None, None)
    };
    let time = if has(SampleFormat::TIME) { Some(u64_at()?) } else { None };
    for skipped in [SampleFormat::ADDR, SampleFormat::ID, SampleFormat::STREAM_ID] {
        if has(skipped) {
            u64_at()?;
        }
    }
    let cpu = if has(SampleFormat::CPU) { Some(halves(u64_at()?).0) } else { None };
    let period = if has(SampleFormat::PERIOD) { Some(u64_at()?) } else { None };
    let callchain = if has(SampleFormat::CALLCHAIN) {
        let n = usize::try_from(u64_at()?).ok()?;
        let len = n.checked_mul(8)?;
        let chain = bytes.get(at..at.checked_add(len)?)?;
        at += len;
        Some(chain)
    } else {
        None
    };
    // The record holds these fields and nothing more (else the crate's parser decides).
    if at != bytes.len() {
        return None;
    }
    Some(SampleFields {
        ip,
        pid,
        tid,
        time,
        cpu,
        period,
        cpu_mode: CpuMode::from_misc(record.misc),
        callchain,
        little_endian,
    })
}

#[cfg(test)]
mod tests {
    use linux_perf_data::linux_perf_event_reader::{EventRecord, RecordType};
    use linux_perf_data::{PerfFileReader, PerfFileRecord};

    use super::*;

    /// A reader of fixture `fixtures/perf/data/<name>` (pipe mode when its name says so).
    fn open(name: &str) -> PerfFileReader<std::io::BufReader<std::fs::File>> {
        let path = model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../fixtures/perf/data").join(name);
        let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
        if name.contains("pipe") {
            PerfFileReader::parse_pipe(file).unwrap()
        } else {
            PerfFileReader::parse_file(file).unwrap()
        }
    }

    /// (samples read in place, samples left to the crate's parser) of a fixture; every sample
    /// read in place has the values the crate's parser reads.
    fn compare(name: &str) -> (usize, usize) {
        let PerfFileReader { mut perf_file, mut record_iter } = open(name);
        let (mut fast, mut slow) = (0, 0);
        while let Some(record) = record_iter.next_record(&mut perf_file).unwrap() {
            let PerfFileRecord::EventRecord { record, .. } = record else { continue };
            let Ok(EventRecord::Sample(s)) = record.parse() else { continue };
            let Some(f) = read(&record) else {
                slow += 1;
                continue;
            };
            fast += 1;
            let mut chain = Vec::new();
            f.callchain_into(&mut chain);
            let theirs: Option<Vec<u64>> = s.callchain.map(|c| (0..c.len()).map_while(|i| c.get(i)).collect());
            assert_eq!(
                (f.ip, f.pid, f.tid, f.time, f.cpu, f.period, f.cpu_mode, f.callchain.map(|_| chain)),
                (s.ip, s.pid, s.tid, s.timestamp, s.cpu, s.period, s.cpu_mode, theirs),
                "{name}: sample {fast}"
            );
        }
        (fast, slow)
    }

    /// Frame-pointer recordings (file and pipe mode, zstd-compressed, Go and Java) are read in
    /// place, with the crate parser's values; samples with a raw payload (sched_switch) or user
    /// registers and stack (`--call-graph dwarf`) are left to the crate.
    #[test]
    fn samples_read_in_place_match_the_crate_parser() {
        for name in ["c_fp.data", "c_fp_zstd.data", "mt_fp.data", "mt_pipe.data", "go_http.data", "java_fp.data"] {
            let (fast, slow) = compare(name);
            assert!(fast > 100 && slow == 0, "{name}: {fast} read in place, {slow} not");
        }
        let (fast, slow) = compare("mt_sched.data");
        assert!(fast > 0 && slow > 0, "mt_sched.data: cpu-clock in place ({fast}), sched_switch not ({slow})");
        let (fast, slow) = compare("c_dwarf.data");
        assert!(fast == 0 && slow > 100, "c_dwarf.data: {fast} read in place, {slow} not");
    }

    /// A record shorter or longer than its fields add up to is left to the crate's parser (a
    /// sample of c_fp.data, cut by 8 bytes and grown by 8).
    #[test]
    fn records_whose_length_does_not_add_up_are_left_to_the_crate() {
        let PerfFileReader { mut perf_file, mut record_iter } = open("c_fp.data");
        let sample = loop {
            let Some(PerfFileRecord::EventRecord { record, .. }) = record_iter.next_record(&mut perf_file).unwrap()
            else {
                continue;
            };
            if record.record_type == RecordType::SAMPLE {
                break record;
            }
        };
        let mut body = sample.data.as_slice().to_vec();
        let with = |data: &[u8]| {
            let r = RawEventRecord::new(RecordType::SAMPLE, sample.misc, RawData::Single(data), sample.parse_info);
            read(&r).map(|f| f.callchain.map(<[u8]>::len))
        };
        let chain = with(&body).expect("read in place").expect("a callchain");
        assert!(chain > 0 && chain % 8 == 0);
        assert_eq!(with(&body[..body.len() - 8]), None, "callchain cut short");
        body.extend_from_slice(&[0; 8]);
        assert_eq!(with(&body), None, "bytes after the fields");
    }

    /// A big-endian recording (another machine's) is read in place too: each sample of
    /// mt_fp.data (threads of one process, on several CPUs) rewritten big-endian, field by
    /// field, reads as the crate parser reads it, and as the little-endian original.
    #[test]
    fn big_endian_samples_read_like_the_crate_reads_them() {
        let PerfFileReader { mut perf_file, mut record_iter } = open("mt_fp.data");
        let (mut checked, mut threads, mut cpus) =
            (0, std::collections::HashSet::new(), std::collections::HashSet::new());
        while let Some(record) = record_iter.next_record(&mut perf_file).unwrap() {
            let PerfFileRecord::EventRecord { record, .. } = record else { continue };
            if record.record_type != RecordType::SAMPLE {
                continue;
            }
            let little = record.data.as_slice().to_vec();
            let format = record.parse_info.sample_format;
            // Each 8-byte slot in order; TID and CPU hold two 32-bit values each.
            let mut pairs = vec![];
            for (bit, pair) in [
                (SampleFormat::IDENTIFIER, false),
                (SampleFormat::IP, false),
                (SampleFormat::TID, true),
                (SampleFormat::TIME, false),
                (SampleFormat::ADDR, false),
                (SampleFormat::ID, false),
                (SampleFormat::STREAM_ID, false),
                (SampleFormat::CPU, true),
                (SampleFormat::PERIOD, false),
                (SampleFormat::CALLCHAIN, false),
            ] {
                if format.contains(bit) {
                    pairs.push(pair);
                }
            }
            let mut big = Vec::with_capacity(little.len());
            for (slot, word) in little.chunks_exact(8).enumerate() {
                if pairs.get(slot) == Some(&true) {
                    for half in word.chunks_exact(4) {
                        big.extend(u32::from_le_bytes(half.try_into().unwrap()).to_be_bytes());
                    }
                } else {
                    big.extend(u64::from_le_bytes(word.try_into().unwrap()).to_be_bytes());
                }
            }
            let mut info = record.parse_info;
            info.endian = Endianness::BigEndian;
            let be = RawEventRecord::new(RecordType::SAMPLE, record.misc, RawData::Single(&big), info);
            let fields = |r: &RawEventRecord<'_>| {
                let f = read(r).expect("read in place");
                let mut chain = Vec::new();
                f.callchain_into(&mut chain);
                (f.ip, f.pid, f.tid, f.time, f.cpu, f.period, chain)
            };
            let Ok(EventRecord::Sample(s)) = be.parse() else { panic!("the crate reads the big-endian sample") };
            let theirs = s.callchain.map(|c| (0..c.len()).map_while(|i| c.get(i)).collect()).unwrap_or_default();
            assert_eq!(fields(&be), (s.ip, s.pid, s.tid, s.timestamp, s.cpu, s.period, theirs), "sample {checked}");
            assert_eq!(fields(&be), fields(&record), "sample {checked}: as the little-endian original");
            threads.insert(s.tid);
            cpus.insert(s.cpu);
            checked += 1;
        }
        assert!(checked > 100 && threads.len() > 1 && cpus.len() > 1, "{checked} samples, {threads:?}, {cpus:?}");
    }
}
