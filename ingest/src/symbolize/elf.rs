//! ELF symbol tables read as perf 6.1 reads them (`dso__load_sym`, `dso__synthesize_plt_symbols`
//! in `util/symbol-elf.c`): `.symtab` of a debug file with the same build-id if there is one,
//! else the binary's `.symtab`, else its `.dynsym`; functions, objects and text labels; each
//! symbol placed by the PT_LOAD segment containing it; zero-size symbols extended to the next
//! one; one symbol kept per address (`choose_best_symbol`); PLT entries synthesized as `name@plt`.
//!
//! Lookups take the file offset perf prints (`ip - map.start + map.pgoff`) and convert it to a
//! virtual address through the PT_LOAD program headers (`ET_EXEC` and `ET_DYN` alike).

use std::borrow::Cow;
use std::fs::File;
use std::path::Path;

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader, Rel, Rela, SectionHeader, SectionTable, Sym};
use object::read::{ReadCache, ReadRef};
use object::Endianness;

use super::demangle::demangle;
use super::symtab::{Binding, Duplicates, RawSymbols, SymbolTable};

/// A PT_LOAD segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub offset: u64,
    pub filesz: u64,
    pub vaddr: u64,
    pub memsz: u64,
    pub exec: bool,
}

/// The virtual address of a file offset: the PT_LOAD whose file range holds it (an executable
/// one first when file ranges overlap, as they can when segments share a page).
pub fn file_offset_to_vaddr(segments: &[Segment], offset: u64) -> Option<u64> {
    let holds = |s: &&Segment| offset >= s.offset && offset - s.offset < s.filesz;
    let seg = segments.iter().filter(holds).find(|s| s.exec).or_else(|| segments.iter().find(holds))?;
    Some(offset - seg.offset + seg.vaddr)
}

/// What a quick look at a file tells (for the build-id index and the choice of symbol source).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probe {
    pub build_id: Option<Vec<u8>>,
    /// Has a non-empty `.symtab`.
    pub has_symtab: bool,
    /// `.text` is NOBITS (a separate debug file: symbols but no code).
    pub debug_only: bool,
}

/// Reads only the ELF headers, section headers and notes (not the whole file).
pub fn probe_file(path: &Path) -> Option<Probe> {
    let file = File::open(path).ok()?;
    let cache = ReadCache::new(file);
    probe(&cache)
}

fn probe<'a, R: ReadRef<'a>>(data: R) -> Option<Probe> {
    let ident = data.read_bytes_at(0, 16).ok()?;
    if &ident[..4] != b"\x7fELF" {
        return None;
    }
    match ident[4] {
        1 => probe_generic::<elf::FileHeader32<Endianness>, R>(data),
        2 => probe_generic::<elf::FileHeader64<Endianness>, R>(data),
        _ => None,
    }
}

fn probe_generic<'a, Elf: FileHeader<Endian = Endianness>, R: ReadRef<'a>>(data: R) -> Option<Probe> {
    let header = Elf::parse(data).ok()?;
    let endian = header.endian().ok()?;
    let sections = header.sections(endian, data).ok()?;
    let mut p = Probe { build_id: build_id_of(header, endian, &sections, data), ..Probe::default() };
    for s in sections.iter() {
        if s.sh_type(endian) == elf::SHT_SYMTAB && s.sh_size(endian).into() > s.sh_entsize(endian).into() {
            p.has_symtab = true;
        }
        if sections.section_name(endian, s).ok() == Some(b".text") {
            p.debug_only = s.sh_type(endian) == elf::SHT_NOBITS;
        }
    }
    Some(p)
}

fn build_id_of<'a, Elf: FileHeader<Endian = Endianness>, R: ReadRef<'a>>(
    header: &Elf,
    endian: Endianness,
    sections: &SectionTable<'a, Elf, R>,
    data: R,
) -> Option<Vec<u8>> {
    let is_gnu_build_id = |name: &[u8], ty: elf::NoteType| name == b"GNU" && ty == elf::NT_GNU_BUILD_ID;
    for s in sections.iter() {
        if let Ok(Some(mut notes)) = s.notes(endian, data) {
            while let Ok(Some(n)) = notes.next() {
                if is_gnu_build_id(n.name(), n.n_type(endian)) && !n.desc().is_empty() {
                    return Some(n.desc().to_vec());
                }
            }
        }
    }
    for ph in header.program_headers(endian, data).ok()? {
        if let Ok(Some(mut notes)) = ph.notes(endian, data) {
            while let Ok(Some(n)) = notes.next() {
                if is_gnu_build_id(n.name(), n.n_type(endian)) && !n.desc().is_empty() {
                    return Some(n.desc().to_vec());
                }
            }
        }
    }
    None
}

/// Symbols of one binary, in its virtual address space.
#[derive(Debug, Default)]
pub struct ElfSymbols {
    pub segments: Vec<Segment>,
    table: SymbolTable,
    pub build_id: Option<Vec<u8>>,
}

impl ElfSymbols {
    /// Loads from the binary's bytes and, optionally, a debug file's bytes (used for `.symtab`
    /// when it has one).
    #[cfg(test)]
    pub fn load(runtime: &[u8], debug: Option<&[u8]>) -> Result<ElfSymbols, String> {
        Self::load_from(runtime, debug)
    }

    /// Loads from the binary file and, optionally, a debug file (used for `.symtab` when it has
    /// one), read in place: only the headers and the sections used (symbol and string tables,
    /// PLT, Go PC table), not the whole file (a `libLLVM.so` is 200 MB, its `.symtab` and
    /// `.strtab` 24 MB).
    pub fn load_files(runtime: &Path, debug: Option<&Path>) -> Result<ElfSymbols, String> {
        let open = |p: &Path| File::open(p).map(ReadCache::new).map_err(|e| format!("{}: {e}", p.display()));
        let runtime = open(runtime)?;
        let debug = debug.and_then(|d| open(d).ok());
        Self::load_from(&runtime, debug.as_ref())
    }

    fn load_from<'a, R: ReadRef<'a>, D: ReadRef<'a>>(runtime: R, debug: Option<D>) -> Result<ElfSymbols, String> {
        match runtime.read_bytes_at(4, 1).ok().and_then(|b| b.first().copied()) {
            Some(1) => load_generic::<elf::FileHeader32<Endianness>, R, D>(runtime, debug),
            Some(2) => load_generic::<elf::FileHeader64<Endianness>, R, D>(runtime, debug),
            _ => Err("not an ELF file".into()),
        }
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// (raw name, offset into the symbol) at a virtual address.
    pub fn find_vaddr(&self, vaddr: u64) -> Option<(&str, u64)> {
        self.table.find(vaddr).map(|e| (self.table.name(e), vaddr - e.start))
    }

    /// (demangled name, offset) at a file offset (perf's DSO-relative address).
    pub fn find_file_offset(&self, offset: u64) -> Option<(Cow<'_, str>, u64)> {
        self.find_file_offset_mangled(offset).map(|(n, o)| (demangle(n), o))
    }

    /// (name as in the file, offset) at a file offset.
    pub fn find_file_offset_mangled(&self, offset: u64) -> Option<(&str, u64)> {
        let vaddr = file_offset_to_vaddr(&self.segments, offset)?;
        self.find_vaddr(vaddr)
    }

    /// The index of the symbol at a file offset (for [`ElfSymbols::entry_name`]): the symbol
    /// [`ElfSymbols::find_file_offset_mangled`] names.
    pub fn find_file_offset_entry(&self, offset: u64) -> Option<usize> {
        self.table.find_index(file_offset_to_vaddr(&self.segments, offset)?)
    }

    /// The name, as in the file, of the symbol of index `i`.
    pub fn entry_name(&self, i: usize) -> &str {
        self.table.entry_name(i)
    }
}

fn binding(b: elf::SymbolBind) -> Binding {
    match b {
        elf::STB_LOCAL => Binding::Local,
        elf::STB_GLOBAL => Binding::Global,
        elf::STB_WEAK => Binding::Weak,
        _ => Binding::Other,
    }
}

/// ARM/AArch64 mapping symbols (`$a`, `$d`, `$t`, `$x`, optionally followed by `.…`).
fn is_mapping_symbol(name: &[u8]) -> bool {
    name.len() >= 2
        && name[0] == b'$'
        && matches!(name[1], b'a' | b'd' | b't' | b'x')
        && (name.len() == 2 || name[2] == b'.')
}

fn load_generic<'a, Elf: FileHeader<Endian = Endianness>, R: ReadRef<'a>, D: ReadRef<'a>>(
    runtime: R,
    debug: Option<D>,
) -> Result<ElfSymbols, String> {
    let err = |e: object::read::Error| e.to_string();
    let header = Elf::parse(runtime).map_err(err)?;
    let endian = header.endian().map_err(err)?;
    let machine = header.e_machine(endian);
    let is_arm = machine == elf::EM_ARM;
    let is_arm_family = is_arm || machine == elf::EM_AARCH64;
    let segments: Vec<Segment> = header
        .program_headers(endian, runtime)
        .map_err(err)?
        .iter()
        .filter(|ph| ph.p_type(endian) == elf::PT_LOAD)
        .map(|ph| Segment {
            offset: ph.p_offset(endian).into(),
            filesz: ph.p_filesz(endian).into(),
            vaddr: ph.p_vaddr(endian).into(),
            memsz: ph.p_memsz(endian).into(),
            exec: ph.p_flags(endian).contains(elf::PF_X),
        })
        .collect();
    let sections = header.sections(endian, runtime).map_err(err)?;
    let build_id = build_id_of(header, endian, &sections, runtime);

    // The symbol source: a debug file's .symtab, else ours, else .dynsym.
    let mut raw = RawSymbols::default();
    let mut loaded = false;
    let runtime_class = runtime.read_bytes_at(4, 1).ok();
    if let Some(dbg) = debug.filter(|d| d.read_bytes_at(4, 1).ok() == runtime_class) {
        if let Some(dsections) = Elf::parse(dbg).ok().and_then(|dh| dh.sections(endian, dbg).ok()) {
            loaded = collect_symbols::<Elf, D, R>(
                endian,
                dbg,
                &dsections,
                elf::SHT_SYMTAB,
                &sections,
                &segments,
                is_arm,
                is_arm_family,
                &mut raw,
            );
        }
    }
    let collect = |kind: elf::SectionType, raw: &mut RawSymbols| {
        collect_symbols::<Elf, R, R>(endian, runtime, &sections, kind, &sections, &segments, is_arm, is_arm_family, raw)
    };
    if !loaded {
        loaded = collect(elf::SHT_SYMTAB, &mut raw);
    }
    if !loaded {
        collect(elf::SHT_DYNSYM, &mut raw);
        // A Go binary stripped of .symtab still has its runtime PC table.
        if let Some(go) = go_pclntab::<Elf, R>(endian, runtime, &sections) {
            raw.append(&go);
        }
    }
    let mut fixed = SymbolTable::build_perf(raw, false, &|n| demangle(n));
    synthesize_plt::<Elf, R>(endian, machine, runtime, &sections, &mut fixed);
    Ok(ElfSymbols { segments, table: SymbolTable::from_raw(fixed, Duplicates::KeepAll), build_id })
}

/// Function symbols from `.gopclntab`, if the file has one.
fn go_pclntab<'a, Elf: FileHeader<Endian = Endianness>, R: ReadRef<'a>>(
    endian: Endianness,
    data: R,
    sections: &SectionTable<'a, Elf, R>,
) -> Option<RawSymbols> {
    let (_, sec) = sections.section_by_name(endian, b".gopclntab")?;
    let bytes = sec.data(endian, data).ok()?;
    let text: u64 = sections.section_by_name(endian, b".text").map_or(0, |(_, t)| t.sh_addr(endian).into());
    super::gopclntab::parse(bytes, endian == Endianness::Big, text)
}

/// Collects the symbols of the table of type `sh_type` in `data` (which may be a debug file:
/// section flags come from its headers, NOBITS sections are looked up in `runtime_sections`).
/// Returns whether the table exists and is non-empty.
#[allow(clippy::too_many_arguments)]
fn collect_symbols<'a, Elf: FileHeader<Endian = Endianness>, D: ReadRef<'a>, R: ReadRef<'a>>(
    endian: Endianness,
    data: D,
    sections: &SectionTable<'a, Elf, D>,
    sh_type: elf::SectionType,
    runtime_sections: &SectionTable<'a, Elf, R>,
    segments: &[Segment],
    is_arm: bool,
    is_arm_family: bool,
    out: &mut RawSymbols,
) -> bool {
    let Ok(symtab) = sections.symbols(endian, data, sh_type) else { return false };
    if symtab.len() <= 1 {
        return false;
    }
    // The string table is read once, whole, and names are sliced from it (read name by name
    // through a `ReadCache`, each would be a read call and a buffer of its own: 400K of them
    // for a large library).
    let strtab: &[u8] =
        sections.section(symtab.string_section()).ok().and_then(|s| s.data(endian, data).ok()).unwrap_or(&[]);
    // Room for every symbol (fewer are kept: the list grows once, not by doubling).
    out.reserve(symtab.len());
    let name_at = |at: u32| -> Option<&[u8]> {
        let rest = strtab.get(at as usize..)?;
        Some(&rest[..rest.iter().position(|&b| b == 0)?])
    };
    let in_load = |v: u64| {
        segments.iter().any(|s| {
            let sz = s.memsz.max(s.filesz);
            sz != 0 && v >= s.vaddr && v - s.vaddr < sz
        })
    };
    for (index, sym) in symtab.enumerate() {
        if sym.st_name(endian) == 0 {
            continue;
        }
        let st_type = sym.st_type();
        let shndx = sym.st_shndx(endian);
        if shndx == elf::SHN_UNDEF {
            continue;
        }
        let is_func = st_type == elf::STT_FUNC || st_type == elf::STT_GNU_IFUNC;
        let is_object = st_type == elf::STT_OBJECT;
        let is_label = st_type == elf::STT_NOTYPE
            && shndx != elf::SHN_ABS
            && sym.st_visibility() != elf::STV_HIDDEN
            && sym.st_visibility() != elf::STV_INTERNAL;
        if !(is_func || is_object || is_label) {
            continue;
        }
        let Some(name) = name_at(sym.st_name(endian)) else { continue };
        if is_arm_family && is_mapping_symbol(name) {
            continue;
        }
        let Ok(Some(sec_index)) = symtab.symbol_section(endian, sym, index) else { continue };
        let Ok(sec) = sections.section(sec_index) else { continue };
        if !sec.sh_flags(endian).contains(elf::SHF_ALLOC) {
            continue;
        }
        if is_label {
            // perf keeps labels only in sections named like text.
            let sec_name = if sec.sh_type(endian) == elf::SHT_NOBITS {
                runtime_sections.section(sec_index).ok().and_then(|s| runtime_sections.section_name(endian, s).ok())
            } else {
                sections.section_name(endian, sec).ok()
            };
            if !sec_name.is_some_and(|n| n.windows(4).any(|w| w == b"text")) {
                continue;
            }
        }
        let mut value: u64 = sym.st_value(endian).into();
        if is_arm && is_func {
            value &= !1;
        }
        if !in_load(value) {
            continue;
        }
        let size: u64 = sym.st_size(endian).into();
        // Names are UTF-8 but for the odd one (checked the fast way first).
        let name = std::str::from_utf8(name).map_or_else(|_| String::from_utf8_lossy(name), std::borrow::Cow::Borrowed);
        out.push(value, size, binding(sym.st_bind()), &name);
    }
    true
}

/// perf 6.1 `dso__synthesize_plt_symbols`: one `name@plt` symbol per `.rela.plt`/`.rel.plt`
/// entry (in relocation order; IRELATIVE entries have no symbol and become `@plt`), after the
/// `.plt` header; entry size from `sh_entsize` (fixed sizes on ARM/AArch64).
fn synthesize_plt<'a, Elf: FileHeader<Endian = Endianness>, R: ReadRef<'a>>(
    endian: Endianness,
    machine: elf::Machine,
    data: R,
    sections: &SectionTable<'a, Elf, R>,
    out: &mut RawSymbols,
) {
    let Some((dynsym_index, dynsym_hdr)) = sections.enumerate().find(|(_, s)| s.sh_type(endian) == elf::SHT_DYNSYM)
    else {
        return;
    };
    let rel_plt =
        sections.section_by_name(endian, b".rela.plt").or_else(|| sections.section_by_name(endian, b".rel.plt"));
    let Some((_, rel_hdr)) = rel_plt else { return };
    if rel_hdr.sh_link(endian) as usize != dynsym_index.0 {
        return;
    }
    let Some((_, plt)) = sections.section_by_name(endian, b".plt") else { return };
    let Ok(dynsyms) = sections.symbol_table_by_index(endian, data, dynsym_index) else { return };
    let _ = dynsym_hdr;
    let entsize: u64 = plt.sh_entsize(endian).into();
    let (header_size, entry_size) = match machine {
        elf::EM_ARM => (20, 12),
        elf::EM_AARCH64 => (32, 16),
        elf::EM_SPARCV9 => (128, 32),
        _ => (entsize, entsize),
    };
    if entry_size == 0 {
        return;
    }
    let mut addr: u64 = plt.sh_addr(endian).into();
    addr += header_size;
    let is_mips64el = false;
    let mut sym_indexes: Vec<u32> = Vec::new();
    if let Ok(Some((relas, _))) = rel_hdr.rela(endian, data) {
        sym_indexes.extend(relas.iter().map(|r| r.r_sym(endian, is_mips64el)));
    } else if let Ok(Some((rels, _))) = rel_hdr.rel(endian, data) {
        sym_indexes.extend(rels.iter().map(|r| r.r_sym(endian)));
    }
    for idx in sym_indexes {
        let name = dynsyms
            .symbol(object::SymbolIndex(idx as usize))
            .ok()
            .and_then(|s| dynsyms.symbol_name(endian, s).ok())
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let name = format!("{}@plt", demangle(&name));
        out.push(addr, entry_size, Binding::Global, &name);
        addr += entry_size;
    }
}

/// The Go PC table's names for the addresses of the unstripped gohttp equal perf's names (taken
/// from the ELF symtab) up to the `.abi0` suffix of assembly functions: checks the table decoding
/// against perf's oracle (skips when ../shared is absent).
#[cfg(test)]
mod go_oracle {
    use super::*;

    #[test]
    fn gopclntab_names_match_perf_script() {
        let gen = model::package_dir(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/perf/generated");
        let (Ok(bin), Ok(text)) =
            (std::fs::read(gen.join("bin/gohttp")), std::fs::read_to_string(gen.join("go_http.script.txt")))
        else {
            eprintln!("skipping: ../shared/corpus/perf/generated is absent");
            return;
        };
        let header = elf::FileHeader64::<Endianness>::parse(&bin[..]).unwrap();
        let endian = header.endian().unwrap();
        let sections = header.sections(endian, &bin[..]).unwrap();
        let raw = go_pclntab(endian, &bin[..], &sections).expect("gohttp has .gopclntab");
        assert!(raw.len() > 3000, "{}", raw.len());
        let table = SymbolTable::from_raw(raw, Duplicates::KeepAll);
        let segs = ElfSymbols::load(&bin, None).unwrap().segments;
        let (mut checked, mut matched) = (0, 0);
        for line in text.lines().filter(|l| l.ends_with(" (/tmp/gen/gohttp/gohttp)")) {
            let body = line.trim();
            let (addr, rest) = body.split_once(' ').unwrap();
            let perf = &rest[..rest.len() - " (/tmp/gen/gohttp/gohttp)".len()];
            let vaddr = file_offset_to_vaddr(&segs, u64::from_str_radix(addr, 16).unwrap()).unwrap();
            checked += 1;
            let ours = table.find(vaddr).map(|e| table.name(e));
            if ours == Some(perf.strip_suffix(".abi0").unwrap_or(perf)) {
                matched += 1;
            } else {
                eprintln!("gopclntab mismatch: {addr} perf={perf} ours={ours:?}");
            }
        }
        eprintln!("gopclntab vs perf: {matched}/{checked}");
        assert!(checked > 15000);
        assert_eq!(matched, checked);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(offset: u64, filesz: u64, vaddr: u64, exec: bool) -> Segment {
        Segment { offset, filesz, vaddr, memsz: filesz, exec }
    }

    #[test]
    fn offset_to_vaddr_pie() {
        // mtwork-like PIE: data segment's file offset 0x2dd0 maps to vaddr 0x3dd0.
        let segs = [
            seg(0, 0x6c0, 0, false),
            seg(0x1000, 0x5a1, 0x1000, true),
            seg(0x2000, 0x1c4, 0x2000, false),
            seg(0x2dd0, 0x270, 0x3dd0, false),
        ];
        assert_eq!(file_offset_to_vaddr(&segs, 0x12b0), Some(0x12b0));
        assert_eq!(file_offset_to_vaddr(&segs, 0x2dd8), Some(0x3dd8));
        assert_eq!(file_offset_to_vaddr(&segs, 0x15a1), None, "past the text segment's file size");
    }

    #[test]
    fn offset_to_vaddr_exec() {
        // Go ET_EXEC: text mapped at 0x400000 from offset 0.
        let segs = [seg(0, 0x24c490, 0x400000, true), seg(0x24d000, 0x234000, 0x64d000, false)];
        assert_eq!(file_offset_to_vaddr(&segs, 0x926e0), Some(0x4926e0));
        assert_eq!(file_offset_to_vaddr(&segs, 0x24d010), Some(0x64d010));
    }

    #[test]
    fn offset_to_vaddr_prefers_exec_on_shared_page() {
        // Old-style layout: two segments whose file ranges overlap on a shared page.
        let segs = [seg(0x1000, 0x800, 0x601000, false), seg(0, 0x1200, 0x400000, true)];
        assert_eq!(file_offset_to_vaddr(&segs, 0x1100), Some(0x401100));
        assert_eq!(file_offset_to_vaddr(&segs, 0x1300), Some(0x601300));
    }

    #[test]
    fn mapping_symbols() {
        assert!(is_mapping_symbol(b"$x"));
        assert!(is_mapping_symbol(b"$d.1"));
        assert!(!is_mapping_symbol(b"$xyz"));
        assert!(!is_mapping_symbol(b"x"));
    }
}
