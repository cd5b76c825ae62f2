//! Where a value comes from: a file path (`/sys/fs/cgroup/cpu/tracebench_a/cpu.stat`, or
//! `cpu/tracebench_a/cpu.stat` inside a directory capture) → hierarchy, cgroup, file; and the
//! split of a `grep -H` line into path and content.

use super::files;

/// The hierarchy, cgroup and file a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// `v2` or `v1:<controllers>`.
    pub hierarchy: String,
    /// Cgroup path relative to the mount root, `/` for the root.
    pub cgroup: String,
    /// File name.
    pub file: String,
    /// The file's line shape (`files::shape(&file)`, looked up once per path).
    pub shape: files::Shape,
}

impl Location {
    /// Whether the file is in a v1 hierarchy.
    pub fn is_v1(&self) -> bool {
        self.hierarchy.starts_with("v1")
    }
}

/// The mount root of cgroupfs.
const MOUNT_ROOT: &str = "/sys/fs/cgroup";

/// Locates a path. Absolute paths are taken relative to `/sys/fs/cgroup` (a path elsewhere is
/// taken as a whole); relative paths are relative to the mount root. The first directory names
/// a v1 hierarchy when it is a controller list (`cpu`, `cpu,cpuacct`, `memory`), `unified` is
/// the v2 hierarchy of a hybrid host, anything else is a v2 cgroup. v1-only files found outside
/// a controller directory are given the hierarchy of their controller.
pub fn locate(path: &str) -> Location {
    let rel = match path.find(MOUNT_ROOT) {
        Some(i) if path[i + MOUNT_ROOT.len()..].starts_with('/') => &path[i + MOUNT_ROOT.len() + 1..],
        _ => path.trim_start_matches("./"),
    };
    let rel = rel.trim_start_matches('/');
    let (dirs, file) = match rel.rfind('/') {
        Some(i) => (&rel[..i], &rel[i + 1..]),
        None => ("", rel),
    };
    let mut parts = dirs.split('/').filter(|s| !s.is_empty() && *s != ".");
    let first = parts.clone().next();
    let (hierarchy, rest): (String, Vec<&str>) = match first {
        Some("unified") => {
            parts.next();
            ("v2".into(), parts.collect())
        }
        Some(m) if files::is_v1_mount_dir(m) => {
            parts.next();
            (format!("v1:{m}"), parts.collect())
        }
        _ if files::v1_only(file) => (format!("v1:{}", files::controller_of(file)), parts.collect()),
        _ => ("v2".into(), parts.collect()),
    };
    let cgroup = format!("/{}", rest.join("/"));
    Location { hierarchy, cgroup, file: file.to_string(), shape: files::shape(file) }
}

/// Splits a data line `path:content` (or `grep -Z` `path\0content`). The split is at the first
/// `:` whose preceding path ends in a cgroupfs file name (directory names may contain `:`,
/// file names never do); failing that, at the first `:` when the path has a `/`. `None` when the
/// line is not a data line.
pub fn split_data_line(line: &str) -> Option<(&str, &str)> {
    if let Some(i) = memchr::memchr(0, line.as_bytes()) {
        return Some((&line[..i], &line[i + 1..]));
    }
    let first = memchr::memchr(b':', line.as_bytes())?;
    if names_file(&line[..first]) {
        return Some((&line[..first], &line[first + 1..]));
    }
    for (j, _) in line.match_indices(':').skip(1) {
        if names_file(&line[..j]) {
            return Some((&line[..j], &line[j + 1..]));
        }
    }
    let path = &line[..first];
    (path.contains('/') && !path.contains(char::is_whitespace)).then(|| (path, &line[first + 1..]))
}

/// Whether [`split_data_line`] splits every line that starts with `path` + `:` and holds no NUL
/// right after `path`: `path` names a cgroupfs file and holds no `:` or NUL.
pub fn splits_at_path(path: &str) -> bool {
    !path.contains([':', '\0']) && names_file(path)
}

/// The content of `line` when it is `path:content` and [`split_data_line`] would split it at
/// `path` (`path` must pass [`splits_at_path`]), without searching the line for the split.
pub fn content_after<'a>(line: &'a str, path: &str) -> Option<&'a str> {
    let content = line.strip_prefix(path)?.strip_prefix(':')?;
    memchr::memchr(0, content.as_bytes()).is_none().then_some(content)
}

fn names_file(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    files::is_cgroup_file(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(h: &str, c: &str, f: &str) -> Location {
        Location { hierarchy: h.into(), cgroup: c.into(), file: f.into(), shape: files::shape(f) }
    }

    #[test]
    fn locates_v1_v2_and_relative_paths() {
        assert_eq!(locate("/sys/fs/cgroup/cpu/tracebench_a/cpu.stat"), loc("v1:cpu", "/tracebench_a", "cpu.stat"));
        assert_eq!(locate("/sys/fs/cgroup/unified/cgroup.procs"), loc("v2", "/", "cgroup.procs"));
        assert_eq!(
            locate("/sys/fs/cgroup/cpu,cpuacct/a/b/cpuacct.usage"),
            loc("v1:cpu,cpuacct", "/a/b", "cpuacct.usage")
        );
        assert_eq!(
            locate("/sys/fs/cgroup/system.slice/my.service/cpu.max"),
            loc("v2", "/system.slice/my.service", "cpu.max")
        );
        assert_eq!(locate("memory/memory.stat"), loc("v1:memory", "/", "memory.stat"));
        assert_eq!(locate("cpu.cfs_quota_us"), loc("v1:cpu", "/", "cpu.cfs_quota_us"));
        assert_eq!(locate("cpu.stat"), loc("v2", "/", "cpu.stat"));
    }

    #[test]
    fn splits_at_the_file_name() {
        assert_eq!(
            split_data_line("/sys/fs/cgroup/a/cpu.stat:usage_usec 5"),
            Some(("/sys/fs/cgroup/a/cpu.stat", "usage_usec 5"))
        );
        assert_eq!(
            split_data_line("/sys/fs/cgroup/we:ird/io.stat:8:0 rbytes=1"),
            Some(("/sys/fs/cgroup/we:ird/io.stat", "8:0 rbytes=1"))
        );
        assert_eq!(split_data_line("/x/cpu.stat\0a:b"), Some(("/x/cpu.stat", "a:b")));
        assert_eq!(split_data_line("/x/unknown_file:1"), Some(("/x/unknown_file", "1")));
        assert_eq!(split_data_line("hello: world"), None);
        assert_eq!(split_data_line("no colon"), None);
    }

    #[test]
    fn known_paths_split_the_same() {
        let lines = [
            "/sys/fs/cgroup/a/cpu.stat:usage_usec 5",
            "/sys/fs/cgroup/a/cpu.stat:x:y",
            "/sys/fs/cgroup/a/cpu.stat:a\0b",
            "/sys/fs/cgroup/a/cpu.stat\0a:b",
            "/sys/fs/cgroup/a/cpu.statx:1",
            "/sys/fs/cgroup/we:ird/io.stat:8:0 rbytes=1",
            "/x/unknown_file:1",
        ];
        for path in ["/sys/fs/cgroup/a/cpu.stat", "/sys/fs/cgroup/we:ird/io.stat", "/x/unknown_file"] {
            for line in lines {
                if splits_at_path(path) {
                    if let Some(content) = content_after(line, path) {
                        assert_eq!(split_data_line(line), Some((path, content)), "{path} {line}");
                    }
                }
            }
        }
        assert!(splits_at_path("/sys/fs/cgroup/a/cpu.stat"));
        assert!(!splits_at_path("/sys/fs/cgroup/we:ird/io.stat") && !splits_at_path("/x/unknown_file"));
    }
}
