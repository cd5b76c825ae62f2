//! The hash maps of the parsers: foldhash with a fixed seed. Several times faster than std's
//! SipHash on the lookups made per input line, sample or address (the keys come from the
//! files: collisions only cost time), and the same work, and iteration order, every run.

/// A `HashMap` hashed with foldhash, seeded the same every run.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

/// A `HashSet` hashed with foldhash, seeded the same every run.
pub type HashSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;
