//! The hash maps of the parsers: foldhash with a fixed seed. Several times faster than std's
//! SipHash on the lookups made per input line, sample or address (the keys come from the
//! files: collisions only cost time), and the same work, and iteration order, every run.

/// The hasher: foldhash, seeded the same every run (also for hash tables built by hand).
pub type FixedHasher = foldhash::fast::FixedState;

/// A `HashMap` hashed with [`FixedHasher`].
pub type HashMap<K, V> = std::collections::HashMap<K, V, FixedHasher>;

/// A `HashSet` hashed with [`FixedHasher`].
pub type HashSet<K> = std::collections::HashSet<K, FixedHasher>;
