//! Go function names from `.gopclntab` (the runtime's own PC table, kept by `strip`), used for
//! Go binaries without `.symtab`. Formats: Go 1.2–1.15 (magic `0xfffffffb`), 1.16–1.17
//! (`0xfffffffa`), 1.18–1.19 (`0xfffffff0`) and 1.20+ (`0xfffffff1`). Function ranges are exact
//! (each ends where the next entry starts). Names are the runtime's: assembly functions lack the
//! `.abi0` suffix that the ELF symbol table adds (`crypto/sha256.block`, not `…block.abi0`).

use super::symtab::{Binding, RawSymbols};

struct Reader<'a> {
    data: &'a [u8],
    big_endian: bool,
    ptr: usize,
}

impl Reader<'_> {
    fn u32(&self, off: usize) -> Option<u32> {
        let b: [u8; 4] = self.data.get(off..off.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    }

    fn uptr(&self, off: usize) -> Option<u64> {
        if self.ptr == 4 {
            return self.u32(off).map(u64::from);
        }
        let b: [u8; 8] = self.data.get(off..off.checked_add(8)?)?.try_into().ok()?;
        Some(if self.big_endian { u64::from_be_bytes(b) } else { u64::from_le_bytes(b) })
    }

    fn cstr(&self, off: usize) -> Option<&str> {
        let rest = self.data.get(off..)?;
        let end = memchr::memchr(0, rest)?;
        std::str::from_utf8(&rest[..end]).ok()
    }
}

/// Function symbols from the bytes of `.gopclntab`; `text_start` is the `.text` address (used by
/// Go 1.18+ tables whose header holds 0 there, e.g. before relocation).
pub(crate) fn parse(data: &[u8], big_endian: bool, text_start: u64) -> Option<RawSymbols> {
    if data.len() < 16 || data[4] != 0 || data[5] != 0 {
        return None;
    }
    let ptr = data[7] as usize;
    if ptr != 4 && ptr != 8 {
        return None;
    }
    let r = Reader { data, big_endian, ptr };
    let magic = r.u32(0)?;
    let nfunc = usize::try_from(r.uptr(8)?).ok()?;
    if nfunc > data.len() {
        return None;
    }
    let mut out = RawSymbols::with_capacity(nfunc);
    match magic {
        0xffff_fff0 | 0xffff_fff1 => {
            // nfunc, nfiles, textStart, funcnameOffset, cuOffset, filetabOffset, pctabOffset,
            // pclnOffset (functab).
            let field = |i: usize| r.uptr(8 + i * ptr);
            let text = match field(2)? {
                0 => text_start,
                t => t,
            };
            let funcnames = usize::try_from(field(3)?).ok()?;
            let functab = usize::try_from(field(7)?).ok()?;
            // functab: nfunc + 1 pairs of (entryoff u32, funcoff u32).
            let entry = |i: usize| r.u32(functab + i * 8);
            for i in 0..nfunc {
                let start = u64::from(entry(i)?);
                let end = u64::from(entry(i + 1)?);
                let funcoff = r.u32(functab + i * 8 + 4)? as usize;
                // _func: entryOff u32, nameOff i32.
                let name_off = r.u32(functab + funcoff + 4)? as usize;
                let name = r.cstr(funcnames + name_off)?;
                symbol(&mut out, text + start, text + end, name);
            }
        }
        0xffff_fffa => {
            // nfunc, nfiles, funcnameOffset, cuOffset, filetabOffset, pctabOffset, pclnOffset.
            let field = |i: usize| r.uptr(8 + i * ptr);
            let funcnames = usize::try_from(field(2)?).ok()?;
            let functab = usize::try_from(field(6)?).ok()?;
            let entry = |i: usize| r.uptr(functab + i * 2 * ptr);
            for i in 0..nfunc {
                let (start, end) = (entry(i)?, entry(i + 1)?);
                let funcoff = usize::try_from(r.uptr(functab + i * 2 * ptr + ptr)?).ok()?;
                let name_off = r.u32(functab + funcoff + ptr)? as usize;
                symbol(&mut out, start, end, r.cstr(funcnames + name_off)?);
            }
        }
        0xffff_fffb => {
            // functab right after the header: (pc uintptr, funcoff uintptr) pairs; names are
            // offsets from the table start.
            let functab = 8 + ptr;
            let entry = |i: usize| r.uptr(functab + i * 2 * ptr);
            for i in 0..nfunc {
                let (start, end) = (entry(i)?, entry(i + 1)?);
                let funcoff = usize::try_from(r.uptr(functab + i * 2 * ptr + ptr)?).ok()?;
                let name_off = r.u32(funcoff + ptr)? as usize;
                symbol(&mut out, start, end, r.cstr(name_off)?);
            }
        }
        _ => return None,
    }
    Some(out)
}

fn symbol(out: &mut RawSymbols, start: u64, end: u64, name: &str) {
    out.push_span(start, end.max(start), Binding::Global, name);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Go 1.18+ table built by hand: two functions.
    #[test]
    fn parses_go118_layout() {
        let mut t = vec![0u8; 0x100];
        t[..4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        t[6] = 1;
        t[7] = 8;
        let put = |t: &mut Vec<u8>, off: usize, v: u64| t[off..off + 8].copy_from_slice(&v.to_le_bytes());
        put(&mut t, 8, 2); // nfunc
        put(&mut t, 24, 0x401000); // textStart
        put(&mut t, 32, 0x60); // funcnameOffset
        put(&mut t, 64, 0x80); // pclnOffset (functab)
        t[0x60..0x66].copy_from_slice(b"main.a");
        t[0x67..0x6d].copy_from_slice(b"main.b");
        let put32 = |t: &mut Vec<u8>, off: usize, v: u32| t[off..off + 4].copy_from_slice(&v.to_le_bytes());
        // functab at 0x80: (0x0, f0) (0x40, f1) (0x90 end)
        put32(&mut t, 0x80, 0);
        put32(&mut t, 0x84, 0x20);
        put32(&mut t, 0x88, 0x40);
        put32(&mut t, 0x8c, 0x30);
        put32(&mut t, 0x90, 0x90);
        // _func at functab + funcoff: entryOff, nameOff
        put32(&mut t, 0xa0 + 4, 0);
        put32(&mut t, 0xb0 + 4, 7);
        let syms = parse(&t, false, 0).unwrap();
        let v: Vec<(u64, u64, &str)> = syms.syms.iter().map(|s| (s.start, s.end, syms.name(s.name))).collect();
        assert_eq!(v, vec![(0x401000, 0x401040, "main.a"), (0x401040, 0x401090, "main.b")]);
        // Garbage and truncation give None, not a panic.
        assert!(parse(&t[..0x90], false, 0).is_none());
        assert!(parse(b"\xf1\xff\xff\xff\0\0\x01\x08", false, 0).is_none());
    }
}
