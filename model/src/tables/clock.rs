//! Names of the clocks event timestamps are expressed in.
//!
//! A clock name is `<kind>` or `<kind>@<scope>`, where the scope names the process or file set
//! whose clock it is (two JVMs have two uptime clocks). Kinds:
//! - `wall`: nanoseconds since the Unix epoch (UTC).
//! - `jvm_uptime`: nanoseconds since JVM start (unified logging `uptime*`, legacy uptime stamps).
//! - `go_uptime`: nanoseconds since Go process start (`gctrace`'s `@<s>s`).
//! - `monotonic`: Linux CLOCK_MONOTONIC (perf, bpftrace `nsecs`).

/// Wall clock (Unix epoch, UTC).
pub const WALL: &str = "wall";
/// JVM uptime clock kind.
pub const JVM_UPTIME: &str = "jvm_uptime";
/// Go process uptime clock kind.
pub const GO_UPTIME: &str = "go_uptime";
/// CLOCK_MONOTONIC kind.
pub const MONOTONIC: &str = "monotonic";

/// `kind@scope`.
pub fn scoped(kind: &str, scope: &str) -> String {
    format!("{kind}@{scope}")
}
