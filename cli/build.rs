//! Links the `tracefold` binary as a position-dependent executable on Linux: a PIE binary of this
//! size has some 155,000 relative relocations that the loader applies at every start (about 670
//! pages copied on write, several milliseconds — more than `grep` takes to start), while a
//! non-PIE one has them resolved at link time. The code is the same position-independent code.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
