//! Sorted symbol tables: perf's end and duplicate fix-ups (`symbols__fixup_end`,
//! `symbols__fixup_duplicate`, `choose_best_symbol` in perf 6.1 `util/symbol.c`) and lookup by
//! binary search.

use std::cmp::Ordering;

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
#[derive(Debug, Clone)]
pub(crate) struct RawSymbol {
    pub start: u64,
    pub end: u64,
    pub binding: Binding,
    pub name: Box<str>,
}

impl RawSymbol {
    pub fn new(start: u64, size: u64, binding: Binding, name: impl Into<Box<str>>) -> Self {
        RawSymbol { start, end: start.saturating_add(size), binding, name: name.into() }
    }
}

/// One entry of a built table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub start: u64,
    pub end: u64,
    pub name: Box<str>,
}

/// Symbols sorted by start, `end` exclusive; lookups by binary search.
#[derive(Debug, Default)]
pub(crate) struct SymbolTable {
    entries: Vec<Entry>,
    /// `max_end[i]` = greatest `end` among `entries[..=i]`: bounds the backward scan for
    /// enclosing symbols when entries overlap.
    max_end: Vec<u64>,
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
    pub fn build_perf(
        mut syms: Vec<RawSymbol>,
        is_kallsyms: bool,
        name_for_choice: &dyn Fn(&str) -> std::borrow::Cow<'_, str>,
    ) -> Vec<RawSymbol> {
        syms.sort_by_key(|s| s.start);
        fixup_end(&mut syms, is_kallsyms);
        fixup_duplicate(syms, name_for_choice)
    }

    /// A table from symbols already fixed up (or to be used as they are).
    pub fn from_raw(mut syms: Vec<RawSymbol>, dups: Duplicates) -> Self {
        syms.sort_by_key(|s| s.start);
        if dups == Duplicates::PerfChoice {
            syms = fixup_duplicate(syms, &|n| std::borrow::Cow::Borrowed(n));
        }
        let entries: Vec<Entry> =
            syms.into_iter().map(|s| Entry { start: s.start, end: s.end.max(s.start), name: s.name }).collect();
        let mut max_end = Vec::with_capacity(entries.len());
        let mut m = 0u64;
        for e in &entries {
            m = m.max(e.end);
            max_end.push(m);
        }
        SymbolTable { entries, max_end }
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
pub(crate) fn fixup_end(syms: &mut [RawSymbol], is_kallsyms: bool) {
    let n = syms.len();
    if n == 0 {
        return;
    }
    for i in 1..n {
        let (head, tail) = syms.split_at_mut(i);
        let prev = &mut head[i - 1];
        let curr = &tail[0];
        if prev.end == prev.start {
            if is_kallsyms && (prev.name.contains('[') != curr.name.contains('[')) {
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
/// `choose_best_symbol` prefers. `syms` must be sorted by start (stable).
/// Done in place (a large library has hundreds of thousands of symbols): the kept symbols are
/// moved to the front, the rest dropped.
pub(crate) fn fixup_duplicate(
    mut syms: Vec<RawSymbol>,
    name_for_choice: &dyn Fn(&str) -> std::borrow::Cow<'_, str>,
) -> Vec<RawSymbol> {
    // `syms[..kept]` are the symbols kept so far; `syms[next]` is the next one to place.
    let mut kept = 0;
    for next in 0..syms.len() {
        if kept > 0 && syms[kept - 1].start == syms[next].start {
            if choose_best(&syms[kept - 1], &syms[next], name_for_choice) == Ordering::Less {
                syms.swap(kept - 1, next);
            }
        } else {
            syms.swap(kept, next);
            kept += 1;
        }
    }
    syms.truncate(kept);
    syms
}

fn prefix_underscores(name: &str) -> usize {
    name.bytes().take_while(|&b| b == b'_').count()
}

/// perf's `choose_best_symbol(a, b)`: `Greater` keeps `a`, `Less` keeps `b`.
/// Prefers a non-zero length, then non-weak, then global, then fewer leading underscores, then
/// the longer name; on a tie keeps `a` (the one inserted first).
pub(crate) fn choose_best(
    a: &RawSymbol,
    b: &RawSymbol,
    name_for_choice: &dyn Fn(&str) -> std::borrow::Cow<'_, str>,
) -> Ordering {
    let (la, lb) = (a.end - a.start, b.end - b.start);
    if lb == 0 && la > 0 {
        return Ordering::Greater;
    }
    if la == 0 && lb > 0 {
        return Ordering::Less;
    }
    let (wa, wb) = (a.binding == Binding::Weak, b.binding == Binding::Weak);
    if wb && !wa {
        return Ordering::Greater;
    }
    if wa && !wb {
        return Ordering::Less;
    }
    let (ga, gb) = (a.binding == Binding::Global, b.binding == Binding::Global);
    if ga && !gb {
        return Ordering::Greater;
    }
    if gb && !ga {
        return Ordering::Less;
    }
    let (na, nb) = (name_for_choice(&a.name), name_for_choice(&b.name));
    let (ua, ub) = (prefix_underscores(&na), prefix_underscores(&nb));
    if ub > ua {
        return Ordering::Greater;
    }
    if ua > ub {
        return Ordering::Less;
    }
    if nb.len() > na.len() {
        return Ordering::Less;
    }
    Ordering::Greater
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn raw(start: u64, size: u64, b: Binding, name: &str) -> RawSymbol {
        RawSymbol::new(start, size, b, name)
    }

    fn same(n: &str) -> Cow<'_, str> {
        Cow::Borrowed(n)
    }

    #[test]
    fn fixup_end_fills_gaps_and_last_page() {
        let mut v = vec![raw(0x1000, 0, Binding::Global, "a"), raw(0x1010, 8, Binding::Global, "b")];
        v.push(raw(0x1100, 0, Binding::Global, "c"));
        fixup_end(&mut v, false);
        assert_eq!((v[0].start, v[0].end), (0x1000, 0x1010));
        assert_eq!((v[1].start, v[1].end), (0x1010, 0x1018), "a sized symbol keeps its size");
        assert_eq!(v[2].end, 0x3000, "last: roundup(start, 4096) + 4096");
    }

    #[test]
    fn kallsyms_module_boundary_is_not_filled() {
        let mut v = vec![raw(0xffff_ffff_8100_0000, 0, Binding::Global, "last_kernel")];
        v.push(raw(0xffff_ffff_c000_0000, 0, Binding::Global, "mod_fn\t[mod]"));
        fixup_end(&mut v, true);
        assert_eq!(v[0].end, 0xffff_ffff_8100_1000);
    }

    #[test]
    fn duplicate_choice_follows_perf() {
        // Non-weak beats weak; global beats local; fewer underscores; longer name; first.
        let pick = |a: RawSymbol, b: RawSymbol| {
            let v = fixup_duplicate(vec![a, b], &same);
            assert_eq!(v.len(), 1);
            v[0].name.to_string()
        };
        assert_eq!(pick(raw(1, 4, Binding::Weak, "w"), raw(1, 4, Binding::Local, "l")), "l");
        assert_eq!(pick(raw(1, 4, Binding::Local, "l"), raw(1, 4, Binding::Global, "g")), "g");
        assert_eq!(pick(raw(1, 4, Binding::Global, "__x"), raw(1, 4, Binding::Global, "_y")), "_y");
        assert_eq!(pick(raw(1, 4, Binding::Global, "ab"), raw(1, 4, Binding::Global, "abc")), "abc");
        assert_eq!(pick(raw(1, 4, Binding::Global, "ab"), raw(1, 4, Binding::Global, "cd")), "ab");
        assert_eq!(pick(raw(1, 0, Binding::Global, "zero"), raw(1, 4, Binding::Weak, "w")), "w");
    }

    /// In place, runs of one, two and three symbols at a start keep, in order, the symbol each
    /// run's pairwise choice keeps (perf walks the sorted list comparing neighbours).
    #[test]
    fn duplicates_fixed_in_place_keep_one_per_start_in_order() {
        let syms = vec![
            raw(1, 4, Binding::Weak, "a_weak"),
            raw(1, 4, Binding::Global, "a_global"),
            raw(2, 4, Binding::Global, "b"),
            raw(3, 4, Binding::Local, "c_local"),
            raw(3, 4, Binding::Global, "__c"),
            raw(3, 4, Binding::Global, "c_best"),
            raw(4, 4, Binding::Global, "d"),
        ];
        let names: Vec<String> = fixup_duplicate(syms, &same).iter().map(|s| s.name.to_string()).collect();
        assert_eq!(names, ["a_global", "b", "c_best", "d"]);
    }

    #[test]
    fn find_prefers_innermost_and_respects_ends() {
        let t = SymbolTable::from_raw(
            vec![
                raw(0x100, 0x100, Binding::Global, "outer"),
                raw(0x140, 0x10, Binding::Global, "inner"),
                raw(0x300, 0x10, Binding::Global, "far"),
            ],
            Duplicates::KeepAll,
        );
        assert_eq!(t.find(0x145).map(|e| &*e.name), Some("inner"));
        assert_eq!(t.find(0x150).map(|e| &*e.name), Some("outer"));
        assert_eq!(t.find(0x200), None);
        assert_eq!(t.find(0xff), None);
        assert_eq!(t.find(0x30f).map(|e| &*e.name), Some("far"));
        assert_eq!(t.find(0x310), None);
    }
}
