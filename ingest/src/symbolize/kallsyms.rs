//! Kernel symbols from a `/proc/kallsyms` copy (plain text or `.xz`), loaded as perf 6.1 does
//! (`dso__load_kallsyms`): only `T`/`W`/`D`/`B` symbols (either case), `$`-prefixed ARM mapping
//! symbols dropped, ends fixed up (`symbols__fixup_end`, kallsyms mode) then duplicates resolved
//! (`choose_best_symbol`). Module symbols (`name\t[module]`) keep the bare name, as perf prints
//! them; the module is kept apart.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use super::symtab::{Binding, RawSymbols, SymbolTable};

/// Parsed kernel symbol table.
#[derive(Debug, Default)]
pub(crate) struct Kallsyms {
    table: SymbolTable,
    /// Module names (without brackets), indexed by `module_of`.
    modules: Vec<Box<str>>,
    /// For each table entry, 0 = core kernel, i = `modules[i - 1]`.
    module_of: Vec<u32>,
    /// Addresses of the symbols perf takes as the kernel's relocation reference (`_text`,
    /// `_stext`), as listed: the fix-ups may drop them in favour of another name at the same
    /// address.
    references: Vec<(&'static str, u64)>,
}

/// Symbols perf records as the kernel's relocation reference (`ref_reloc_sym`).
const REFERENCE_SYMBOLS: [&str; 2] = ["_text", "_stext"];

/// Reads the file, decompressing `.xz` (detected by magic, not by name).
pub(crate) fn read_text(path: &Path) -> std::io::Result<Vec<u8>> {
    let raw = std::fs::read(path)?;
    if raw.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0x00]) {
        let mut out = Vec::with_capacity(raw.len() * 10);
        liblzma::read::XzDecoder::new(&raw[..]).read_to_end(&mut out).map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: xz: {e}", path.display()))
        })?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// perf's `symbol_type__filter`.
fn wanted_type(t: u8) -> bool {
    matches!(t.to_ascii_uppercase(), b'T' | b'W' | b'D' | b'B')
}

/// perf's `kallsyms2elf_binding`.
fn binding_of(t: u8) -> Binding {
    if t == b'W' || t == b'w' {
        Binding::Weak
    } else if t.is_ascii_uppercase() {
        Binding::Global
    } else {
        Binding::Local
    }
}

/// Parses one line: `ADDR TYPE NAME[\t[MODULE]]`. `None` for malformed lines.
fn parse_line(line: &[u8]) -> Option<(u64, u8, &str)> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let sp = memchr::memchr(b' ', line)?;
    let addr = u64::from_str_radix(std::str::from_utf8(&line[..sp]).ok()?, 16).ok()?;
    let rest = &line[sp + 1..];
    let (&ty, rest) = rest.split_first()?;
    let name = rest.strip_prefix(b" ")?;
    if name.is_empty() {
        return None;
    }
    Some((addr, ty, std::str::from_utf8(name).ok()?))
}

impl Kallsyms {
    /// Parses kallsyms text. Symbols at address 0 (a copy taken with `kptr_restrict`) are
    /// dropped, so such a file yields an empty table.
    pub fn parse(text: &[u8]) -> Kallsyms {
        let mut raw = RawSymbols::with_capacity(text.len() / 40);
        let mut references = Vec::new();
        for line in text.split(|&b| b == b'\n') {
            let Some((addr, ty, name)) = parse_line(line) else { continue };
            if addr == 0 || !wanted_type(ty) || name.starts_with('$') {
                continue;
            }
            if let Some(r) = REFERENCE_SYMBOLS.iter().find(|&&r| r == name) {
                references.push((*r, addr));
            }
            raw.push(addr, 0, binding_of(ty), name);
        }
        let mut fixed = SymbolTable::build_perf(raw, true, &|n| Cow::Borrowed(n));
        // Split "name\t[module]" after the fix-ups (perf splits in dso__split_kallsyms, after).
        let mut modules: Vec<Box<str>> = Vec::new();
        let mut module_of = Vec::with_capacity(fixed.len());
        let (syms, names) = fixed.split_mut();
        for s in syms.iter_mut() {
            let mut m = 0u32;
            let name = names.get(s.name);
            if let Some(tab) = name.find('\t') {
                let module = name[tab + 1..].trim().trim_start_matches('[').trim_end_matches(']');
                m = match modules.iter().position(|x| &**x == module) {
                    Some(i) => i as u32 + 1,
                    None => {
                        modules.push(module.into());
                        modules.len() as u32
                    }
                };
                s.name = s.name.prefix(tab);
            }
            module_of.push((s.start, m));
        }
        // `from_raw` re-sorts stably: the order is already sorted, so indexes line up.
        let table = SymbolTable::from_raw(fixed, super::symtab::Duplicates::KeepAll);
        let module_of = module_of.into_iter().map(|(_, m)| m).collect();
        Kallsyms { table, modules, module_of, references }
    }

    pub fn load(path: &Path) -> std::io::Result<Kallsyms> {
        Ok(Kallsyms::parse(&read_text(path)?))
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// The address of relocation reference `name` (`_text` or `_stext`) in this copy.
    pub fn reference(&self, name: &str) -> Option<u64> {
        self.references.iter().find(|r| r.0 == name).map(|r| r.1)
    }

    /// (name, offset, module) for a kernel address.
    pub fn find(&self, addr: u64) -> Option<(&str, u64, Option<&str>)> {
        let idx = self.table.find_index(addr)?;
        let e = &self.table.entries()[idx];
        let m = self.module_of.get(idx).copied().unwrap_or(0);
        let module = if m == 0 { None } else { self.modules.get(m as usize - 1).map(|s| &**s) };
        Some((self.table.name(e), addr - e.start, module))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
0000000000000000 A fixed_percpu_data
ffffffff81000000 T _stext
ffffffff81000000 T _text
ffffffff81000000 T srso_alias_untrain_ret
ffffffff81000100 t local_fn
ffffffff81000180 W weak_fn
ffffffff81000180 T strong_fn
ffffffff81000200 r some_rodata
ffffffff81000300 T __x64_sys_read
ffffffff81000300 T ksys_read
ffffffff81000400 T last_core
garbage line
ffffffffc0001000 t mod_fn\t[nf_tables]
ffffffffc0001100 T mod_fn2\t[nf_tables]
";

    #[test]
    fn parses_filters_and_resolves() {
        let k = Kallsyms::parse(TEXT.as_bytes());
        // Duplicates: same-start group {_stext,_text,srso_alias_untrain_ret}: after fix-up only
        // the last has a length, so perf keeps it.
        assert_eq!(k.find(0xffff_ffff_8100_0010), Some(("srso_alias_untrain_ret", 0x10, None)));
        assert_eq!(k.find(0xffff_ffff_8100_0101), Some(("local_fn", 1, None)));
        // Weak vs strong at one address: the last one in the group has the length (strong here).
        assert_eq!(k.find(0xffff_ffff_8100_0190).map(|x| x.0), Some("strong_fn"));
        // `r` (rodata) is not loaded: its range belongs to the previous text symbol.
        assert_eq!(k.find(0xffff_ffff_8100_0210).map(|x| x.0), Some("strong_fn"));
        assert_eq!(k.find(0xffff_ffff_8100_0301).map(|x| x.0), Some("ksys_read"));
        // Last core symbol before the module boundary: roundup(start + 4096, 4096).
        assert_eq!(k.find(0xffff_ffff_8100_1fff).map(|x| x.0), Some("last_core"));
        assert_eq!(k.find(0xffff_ffff_8100_2000), None);
        assert_eq!(k.find(0xffff_ffff_c000_1001), Some(("mod_fn", 1, Some("nf_tables"))));
        assert_eq!(k.find(0xffff_ffff_c000_1101), Some(("mod_fn2", 1, Some("nf_tables"))));
        assert_eq!(k.find(0xffff_ffff_8000_0000), None);
    }

    /// Same-address groups from the recording kernel: perf 6.1 prints the LAST of each group
    /// (only it gets a length from `symbols__fixup_end`, which runs before
    /// `symbols__fixup_duplicate`); the opposite order would pick `__ia32_…` / `do_compat_…`
    /// (fewer leading underscores / longer name) and disagrees with perf on go_http.
    #[test]
    fn alias_groups_resolve_as_perf() {
        let k = Kallsyms::parse(
            b"ffffffff813cd150 T __ia32_sys_sched_yield\n\
              ffffffff813cd150 T __x64_sys_sched_yield\n\
              ffffffff813cd170 T next\n\
              ffffffff81730320 t do_compat_epoll_pwait.part.0\n\
              ffffffff81730320 t do_epoll_pwait.part.0\n\
              ffffffff81730400 t next2\n",
        );
        assert_eq!(k.find(0xffff_ffff_813c_d15a), Some(("__x64_sys_sched_yield", 10, None)));
        assert_eq!(k.find(0xffff_ffff_8173_032e), Some(("do_epoll_pwait.part.0", 14, None)));
    }

    /// The shipped copy of the recording kernel's kallsyms (xz) loads and resolves.
    #[test]
    fn shipped_xz_copy() {
        let p = model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../fixtures/perf/symbols/kallsyms.xz");
        let k = Kallsyms::load(&p).unwrap();
        assert!(k.len() > 120_000, "{}", k.len());
        assert_eq!(k.find(0xffff_ffff_821f_2fa7).map(|x| x.0), Some("exc_page_fault"));
        // A truncated .xz is an error, not a panic.
        let raw = std::fs::read(&p).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cut = dir.path().join("cut.xz");
        std::fs::write(&cut, &raw[..raw.len() / 2]).unwrap();
        assert!(Kallsyms::load(&cut).is_err());
    }

    #[test]
    #[ignore]
    fn timing_probe() {
        let p = model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../fixtures/perf/symbols/kallsyms.xz");
        let t = std::time::Instant::now();
        let text = read_text(&p).unwrap();
        let t1 = t.elapsed();
        let k = Kallsyms::parse(&text);
        eprintln!("decompress {:?} parse {:?} ({} syms)", t1, t.elapsed() - t1, k.len());
    }

    #[test]
    fn restricted_copy_is_empty() {
        let k = Kallsyms::parse(b"0000000000000000 T _text\n0000000000000000 t foo\n");
        assert!(k.is_empty());
    }

    #[test]
    fn crlf_and_missing_fields() {
        let k = Kallsyms::parse(b"ffffffff81000000 T a\r\nffffffff81000010 T\nzz T b\nffffffff81000020 T c\n");
        assert_eq!(k.len(), 2);
        assert_eq!(k.find(0xffff_ffff_8100_0011).map(|x| x.0), Some("a"));
    }
}
