//! Sorted symbol tables: perf's end and duplicate fix-ups (`symbols__fixup_end`,
//! `symbols__fixup_duplicate`, `choose_best_symbol` in perf 6.1 `util/symbol.c`) and lookup by
//! binary search. A table's names are kept together ([`Names`], in `names.rs`), each symbol
//! holding where its name lies.

use std::cmp::Ordering;

use super::names::{NameRef, Names};

/// The name perf compares when it chooses among symbols at one address (the demangled name for
/// ELF symbols).
pub(crate) type NameForChoice<'f> = &'f dyn Fn(&str) -> std::borrow::Cow<'_, str>;

/// ELF-style binding of a symbol (kallsyms types map onto it: upper case = global, `W` = weak).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Binding {
    Local,
    Global,
    Weak,
    /// Anything else (e.g. `STB_GNU_UNIQUE`): neither global nor weak for perf's preferences.
    Other,
}

/// A symbol before the table is built: `end == start` means "size unknown" (fixed up later).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawSymbol {
    pub start: u64,
    pub end: u64,
    pub name: NameRef,
    pub binding: Binding,
}

/// Symbols before the table is built, their names kept together ([`Names`]): a large library
/// has 258K symbols, and a string each would be as many allocations (and a larger item to sort).
#[derive(Debug, Clone, Default)]
pub(crate) struct RawSymbols {
    pub syms: Vec<RawSymbol>,
    names: Names,
}

impl RawSymbols {
    /// Room for about `n` symbols.
    pub fn with_capacity(n: usize) -> Self {
        RawSymbols { syms: Vec::with_capacity(n), names: Names::default() }
    }

    /// Room for `n` more symbols.
    pub fn reserve(&mut self, n: usize) {
        self.syms.reserve(n);
    }

    /// Adds a symbol of `size` bytes (0 = unknown) at `start`.
    pub fn push(&mut self, start: u64, size: u64, binding: Binding, name: &str) {
        self.push_span(start, start.saturating_add(size), binding, name);
    }

    /// Adds a symbol covering `start..end`; false (nothing added) when the names would pass
    /// 4 GiB (a table no file has: the largest libraries have some 20 MB of names).
    pub fn push_span(&mut self, start: u64, end: u64, binding: Binding, name: &str) -> bool {
        let Some(name) = self.names.add(name) else { return false };
        self.syms.push(RawSymbol { start, end, name, binding });
        true
    }

    /// Adds the symbols of `other`, in order.
    pub fn append(&mut self, other: &RawSymbols) {
        for s in &other.syms {
            self.push_span(s.start, s.end, s.binding, other.name(s.name));
        }
    }

    /// The name `r` (of a symbol of this list).
    pub fn name(&self, r: NameRef) -> &str {
        self.names.get(r)
    }

    /// The symbols (to change) and their names.
    pub fn split_mut(&mut self) -> (&mut [RawSymbol], &Names) {
        (&mut self.syms, &self.names)
    }

    pub fn len(&self) -> usize {
        self.syms.len()
    }
}

/// One entry of a built table (its name in the table's names: [`SymbolTable::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub start: u64,
    pub end: u64,
    name: NameRef,
}

/// Symbols sorted by start, `end` exclusive; lookups by binary search.
#[derive(Debug, Default)]
pub(crate) struct SymbolTable {
    entries: Vec<Entry>,
    /// `max_end[i]` = greatest `end` among `entries[..=i]`: bounds the backward scan for
    /// enclosing symbols when entries overlap.
    max_end: Vec<u64>,
    /// The entries' names.
    names: Names,
}

/// How the table treats symbols that share a start address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Duplicates {
    /// Keep one per address, chosen as perf's `choose_best_symbol` does. `name_for_choice`
    /// maps a raw name to the (demangled) name perf compares.
    PerfChoice,
    /// Keep all (perf maps: perf never de-duplicates them).
    KeepAll,
}

impl SymbolTable {
    /// perf's sequence for ELF and kallsyms: sort (stable: equal starts keep insertion order, as
    /// perf's rb-tree inserts equal keys to the right), `symbols__fixup_end`, then
    /// `symbols__fixup_duplicate`.
    pub fn build_perf(mut raw: RawSymbols, is_kallsyms: bool, name_for_choice: NameForChoice<'_>) -> RawSymbols {
        raw.syms.sort_by_key(|s| s.start);
        fixup_end(&mut raw, is_kallsyms);
        fixup_duplicate(raw, name_for_choice)
    }

    /// A table from symbols already fixed up (or to be used as they are).
    pub fn from_raw(mut raw: RawSymbols, dups: Duplicates) -> Self {
        raw.syms.sort_by_key(|s| s.start);
        if dups == Duplicates::PerfChoice {
            raw = fixup_duplicate(raw, &|n| std::borrow::Cow::Borrowed(n));
        }
        let RawSymbols { syms, names } = raw;
        let entries: Vec<Entry> =
            syms.into_iter().map(|s| Entry { start: s.start, end: s.end.max(s.start), name: s.name }).collect();
        let mut max_end = Vec::with_capacity(entries.len());
        let mut m = 0u64;
        for e in &entries {
            m = m.max(e.end);
            max_end.push(m);
        }
        SymbolTable { entries, max_end, names }
    }

    /// The name of entry `e` (of this table).
    pub fn name(&self, e: &Entry) -> &str {
        self.names.get(e.name)
    }

    /// The name of the entry of index `i`.
    pub fn entry_name(&self, i: usize) -> &str {
        self.entries.get(i).map_or("", |e| self.name(e))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The symbol covering `addr`: the entry with the greatest start ≤ `addr` whose end is past
    /// `addr`; when entries overlap, the covering entry with the greatest start (the innermost).
    pub fn find(&self, addr: u64) -> Option<&Entry> {
        self.find_index(addr).map(|i| &self.entries[i])
    }

    /// Index (into `entries()`) of the symbol `find` returns.
    pub fn find_index(&self, addr: u64) -> Option<usize> {
        // Index of the first entry with start > addr.
        let mut i = self.entries.partition_point(|e| e.start <= addr);
        while i > 0 {
            i -= 1;
            if self.max_end[i] <= addr {
                return None;
            }
            if addr < self.entries[i].end {
                return Some(i);
            }
        }
        None
    }

    /// The entries (sorted by start).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

fn roundup_page(x: u64) -> u64 {
    x.div_ceil(4096).saturating_mul(4096)
}

/// perf 6.1 `symbols__fixup_end`: a symbol without size ends where the next one starts; in
/// kallsyms the last symbol before a kernel/module boundary ends at the next page; the very last
/// symbol ends one page past its start's page.
pub(crate) fn fixup_end(raw: &mut RawSymbols, is_kallsyms: bool) {
    let (syms, names) = raw.split_mut();
    let n = syms.len();
    if n == 0 {
        return;
    }
    for i in 1..n {
        let (head, tail) = syms.split_at_mut(i);
        let prev = &mut head[i - 1];
        let curr = &tail[0];
        if prev.end == prev.start {
            if is_kallsyms && (names.get(prev.name).contains('[') != names.get(curr.name).contains('[')) {
                prev.end = roundup_page(prev.end.saturating_add(4096));
            } else {
                prev.end = curr.start;
            }
        }
    }
    let last = &mut syms[n - 1];
    if last.end == last.start {
        last.end = roundup_page(last.start).saturating_add(4096);
    }
}

/// perf 6.1 `symbols__fixup_duplicate`: of the symbols sharing a start address keep the one
/// `choose_best_symbol` prefers. `raw` must be sorted by start (stable).
/// A name is made for the choice (demangled: most of the cost of a C++ library's table) only
/// when sizes and bindings tie, and once for the best symbol of a start however many it is
/// compared with. The kept symbols are moved to the front, in place, the rest dropped (their
/// names stay in the list's names, unused).
pub(crate) fn fixup_duplicate(mut raw: RawSymbols, name_for_choice: NameForChoice<'_>) -> RawSymbols {
    let (syms, names) = raw.split_mut();
    let key = |s: &RawSymbol| NameKey::of(&name_for_choice(names.get(s.name)));
    // `syms[..kept]` are the symbols kept so far, the last the best of its start so far, and
    // `best_key` the key of its name once made; `syms[next]` is the next one to place.
    let mut kept = 0;
    let mut best_key: Option<NameKey> = None;
    for next in 0..syms.len() {
        if kept == 0 || syms[kept - 1].start != syms[next].start {
            syms[kept] = syms[next];
            kept += 1;
            best_key = None;
            continue;
        }
        let next_wins = match choose_by_kind(&syms[kept - 1], &syms[next]) {
            Some(order) => {
                if order == Ordering::Less {
                    best_key = None;
                }
                order == Ordering::Less
            }
            None => {
                let kb = *best_key.get_or_insert_with(|| key(&syms[kept - 1]));
                let kn = key(&syms[next]);
                let wins = choose_by_name(kb, kn) == Ordering::Less;
                if wins {
                    best_key = Some(kn);
                }
                wins
            }
        };
        if next_wins {
            syms[kept - 1] = syms[next];
        }
    }
    raw.syms.truncate(kept);
    raw
}

/// What perf compares of two names: leading underscores (fewer wins), then length (longer wins).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NameKey {
    underscores: usize,
    len: usize,
}

impl NameKey {
    fn of(name: &str) -> NameKey {
        NameKey { underscores: name.bytes().take_while(|&b| b == b'_').count(), len: name.len() }
    }
}

/// perf's `choose_best_symbol(a, b)` up to the names: `Greater` keeps `a`, `Less` keeps `b`,
/// `None` when the names decide ([`choose_by_name`]). Prefers a non-zero length, then non-weak,
/// then global.
pub(crate) fn choose_by_kind(a: &RawSymbol, b: &RawSymbol) -> Option<Ordering> {
    let (la, lb) = (a.end - a.start, b.end - b.start);
    if lb == 0 && la > 0 {
        return Some(Ordering::Greater);
    }
    if la == 0 && lb > 0 {
        return Some(Ordering::Less);
    }
    let (wa, wb) = (a.binding == Binding::Weak, b.binding == Binding::Weak);
    if wb && !wa {
        return Some(Ordering::Greater);
    }
    if wa && !wb {
        return Some(Ordering::Less);
    }
    let (ga, gb) = (a.binding == Binding::Global, b.binding == Binding::Global);
    if ga && !gb {
        return Some(Ordering::Greater);
    }
    if gb && !ga {
        return Some(Ordering::Less);
    }
    None
}

/// The rest of perf's `choose_best_symbol(a, b)`, from the keys of their names: fewer leading
/// underscores, then the longer name; on a tie keeps `a` (the one inserted first).
pub(crate) fn choose_by_name(ka: NameKey, kb: NameKey) -> Ordering {
    if kb.underscores > ka.underscores {
        return Ordering::Greater;
    }
    if ka.underscores > kb.underscores {
        return Ordering::Less;
    }
    if kb.len > ka.len {
        return Ordering::Less;
    }
    Ordering::Greater
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn raws(list: &[(u64, u64, Binding, &str)]) -> RawSymbols {
        let mut r = RawSymbols::default();
        for &(start, size, b, name) in list {
            r.push(start, size, b, name);
        }
        r
    }

    fn same(n: &str) -> Cow<'_, str> {
        Cow::Borrowed(n)
    }

    #[test]
    fn fixup_end_fills_gaps_and_last_page() {
        let mut v = raws(&[(0x1000, 0, Binding::Global, "a"), (0x1010, 8, Binding::Global, "b")]);
        v.push(0x1100, 0, Binding::Global, "c");
        fixup_end(&mut v, false);
        let v = &v.syms;
        assert_eq!((v[0].start, v[0].end), (0x1000, 0x1010));
        assert_eq!((v[1].start, v[1].end), (0x1010, 0x1018), "a sized symbol keeps its size");
        assert_eq!(v[2].end, 0x3000, "last: roundup(start, 4096) + 4096");
    }

    #[test]
    fn kallsyms_module_boundary_is_not_filled() {
        let mut v = raws(&[(0xffff_ffff_8100_0000, 0, Binding::Global, "last_kernel")]);
        v.push(0xffff_ffff_c000_0000, 0, Binding::Global, "mod_fn\t[mod]");
        fixup_end(&mut v, true);
        assert_eq!(v.syms[0].end, 0xffff_ffff_8100_1000);
    }

    #[test]
    fn duplicate_choice_follows_perf() {
        // Non-weak beats weak; global beats local; fewer underscores; longer name; first.
        let pick = |a: (u64, u64, Binding, &str), b: (u64, u64, Binding, &str)| {
            let v = fixup_duplicate(raws(&[a, b]), &same);
            assert_eq!(v.len(), 1);
            v.name(v.syms[0].name).to_string()
        };
        assert_eq!(pick((1, 4, Binding::Weak, "w"), (1, 4, Binding::Local, "l")), "l");
        assert_eq!(pick((1, 4, Binding::Local, "l"), (1, 4, Binding::Global, "g")), "g");
        assert_eq!(pick((1, 4, Binding::Global, "__x"), (1, 4, Binding::Global, "_y")), "_y");
        assert_eq!(pick((1, 4, Binding::Global, "ab"), (1, 4, Binding::Global, "abc")), "abc");
        assert_eq!(pick((1, 4, Binding::Global, "ab"), (1, 4, Binding::Global, "cd")), "ab");
        assert_eq!(pick((1, 0, Binding::Global, "zero"), (1, 4, Binding::Weak, "w")), "w");
    }

    /// In place, runs of one, two and three symbols at a start keep, in order, the symbol each
    /// run's pairwise choice keeps (perf walks the sorted list comparing neighbours).
    #[test]
    fn duplicates_fixed_in_place_keep_one_per_start_in_order() {
        let syms = raws(&[
            (1, 4, Binding::Weak, "a_weak"),
            (1, 4, Binding::Global, "a_global"),
            (2, 4, Binding::Global, "b"),
            (3, 4, Binding::Local, "c_local"),
            (3, 4, Binding::Global, "__c"),
            (3, 4, Binding::Global, "c_best"),
            (4, 4, Binding::Global, "d"),
        ]);
        let kept = fixup_duplicate(syms, &same);
        let names: Vec<&str> = kept.syms.iter().map(|s| kept.name(s.name)).collect();
        assert_eq!(names, ["a_global", "b", "c_best", "d"]);
    }

    #[test]
    fn find_prefers_innermost_and_respects_ends() {
        let t = SymbolTable::from_raw(
            raws(&[
                (0x100, 0x100, Binding::Global, "outer"),
                (0x140, 0x10, Binding::Global, "inner"),
                (0x300, 0x10, Binding::Global, "far"),
            ]),
            Duplicates::KeepAll,
        );
        let name = |addr| t.find(addr).map(|e| t.name(e));
        assert_eq!(name(0x145), Some("inner"));
        assert_eq!(name(0x150), Some("outer"));
        assert_eq!(name(0x200), None);
        assert_eq!(name(0xff), None);
        assert_eq!(name(0x30f), Some("far"));
        assert_eq!(name(0x310), None);
    }

    /// Names lie back to back in one string; a prefix of one (kallsyms' module split) and the
    /// symbols appended from another list keep their own names.
    #[test]
    fn names_are_kept_apart() {
        let long = "x".repeat(200_000); // longer than a chunk of names
        let mut a = raws(&[(1, 1, Binding::Global, "ä_one"), (2, 1, Binding::Local, "two\t[mod]")]);
        let (syms, names) = a.split_mut();
        let tab = names.get(syms[1].name).find('\t').unwrap();
        syms[1].name = syms[1].name.prefix(tab);
        a.append(&raws(&[(3, 1, Binding::Weak, "three"), (4, 1, Binding::Weak, &long), (5, 1, Binding::Weak, "five")]));
        for i in 6..20_000u64 {
            a.push(i, 1, Binding::Global, &format!("name_{i}"));
        }
        let got: Vec<&str> = a.syms.iter().take(5).map(|s| a.name(s.name)).collect();
        assert_eq!(got, ["ä_one", "two", "three", &long, "five"]);
        let t = SymbolTable::from_raw(a, Duplicates::KeepAll);
        assert_eq!(
            (t.entry_name(0), t.entry_name(2), t.entry_name(3), t.entry_name(4)),
            ("ä_one", "three", &*long, "five")
        );
        // Names across many chunks (20K names of some 10 bytes) come back whole.
        assert!((6..20_000).all(|i| t.entry_name(i as usize - 1) == format!("name_{i}")));
        assert_eq!(t.entry_name(20_000), "");
    }
}
