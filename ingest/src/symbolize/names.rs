//! The names of a symbol table, back to back in chunks (a large library has 258K names: one
//! allocation per chunk, not per name), and where each name lies ([`NameRef`]).

/// Where a symbol's name lies in the names of its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct NameRef {
    at: u32,
    len: u32,
}

impl NameRef {
    /// The first `len` bytes of this name (`len` at a character boundary of it).
    pub fn prefix(self, len: usize) -> NameRef {
        NameRef { at: self.at, len: (len as u32).min(self.len) }
    }
}

/// Names back to back in chunks of [`NAME_CHUNK`] bytes, a name never across two: one
/// allocation per chunk, not per name (a large library has 258K names), and chunks small
/// enough to be carved from memory the allocator already holds (one block of some tens of
/// megabytes would be fresh pages, on top of the peak).
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    chunks: Vec<String>,
}

/// Bytes of a chunk of [`Names`]; a longer name gets a chunk of its own, followed by empty ones
/// so that a name's chunk is always `at / NAME_CHUNK`.
const NAME_CHUNK: usize = 64 << 10;

impl Names {
    /// Adds `name` (`None`, and nothing stored, when the names would pass 4 GiB).
    pub(crate) fn add(&mut self, name: &str) -> Option<NameRef> {
        let len = u32::try_from(name.len()).ok()?;
        let fits = self.chunks.last().is_some_and(|c| c.len() + name.len() <= NAME_CHUNK);
        let (chunk, offset) = if fits {
            let last = self.chunks.len() - 1;
            (last, self.chunks[last].len())
        } else {
            (self.chunks.len(), 0)
        };
        // Checked before anything is stored (a `NameRef` holds 32 bits).
        let at = u32::try_from(chunk * NAME_CHUNK + offset).ok()?;
        if !fits {
            self.chunks.push(String::with_capacity(NAME_CHUNK.max(name.len())));
            if name.len() > NAME_CHUNK {
                // A chunk of its own, and empty ones after it (the last takes the next names).
                self.chunks[chunk].push_str(name);
                self.chunks.extend((1..name.len().div_ceil(NAME_CHUNK)).map(|_| String::new()));
                return Some(NameRef { at, len });
            }
        }
        self.chunks[chunk].push_str(name);
        Some(NameRef { at, len })
    }

    /// The name `r` (of these names).
    pub fn get(&self, r: NameRef) -> &str {
        let (chunk, at) = (r.at as usize / NAME_CHUNK, r.at as usize % NAME_CHUNK);
        self.chunks.get(chunk).and_then(|c| c.get(at..at + r.len as usize)).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names across many chunks, one longer than a chunk (with names after it), an empty one,
    /// and a prefix at a character boundary come back as stored.
    #[test]
    fn names_come_back_whole_across_chunks() {
        let mut n = Names::default();
        let long = "x".repeat(NAME_CHUNK * 2 + 5);
        let first = n.add("ä_one").unwrap();
        let big = n.add(&long).unwrap();
        let after = n.add("after").unwrap();
        let empty = n.add("").unwrap();
        let many: Vec<NameRef> = (0..20_000).map(|i| n.add(&format!("name_{i}")).unwrap()).collect();
        assert_eq!((n.get(first), n.get(big), n.get(after), n.get(empty)), ("ä_one", &*long, "after", ""));
        assert!(many.iter().enumerate().all(|(i, &r)| n.get(r) == format!("name_{i}")));
        assert_eq!(n.get(first.prefix(2)), "ä", "a prefix at a character boundary");
        assert_eq!(n.get(first.prefix(1)), "", "not at a boundary: empty, no panic");
    }
}
