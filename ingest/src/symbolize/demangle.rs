//! Demangling as perf prints names: C++ Itanium names without parameters or return type
//! (perf demangles with `DMGL_NO_OPTS`: `G1ParScanThreadState::trim_queue_to_threshold`,
//! `G1ScanCardClosure::do_oop_work<narrowOop>`), Rust legacy names without the hash
//! (`core::fmt::write`), Rust v0 names without crate disambiguators; anything else unchanged
//! (C, Go, versioned names such as `pthread_mutex_lock@@GLIBC_2.2.5`).

use std::borrow::Cow;

/// The name perf would print for an ELF symbol name.
pub fn demangle(name: &str) -> Cow<'_, str> {
    if name.starts_with("_R") || (name.starts_with("_ZN") && is_rust_legacy(name)) {
        if let Ok(d) = rustc_demangle::try_demangle(name) {
            return Cow::Owned(format!("{d:#}"));
        }
    }
    if name.starts_with("_Z") {
        if let Some(d) = demangle_cpp(name) {
            return Cow::Owned(d);
        }
    }
    Cow::Borrowed(name)
}

/// Rust legacy mangling ends its path with a `17h<16 hex digits>E` hash segment.
fn is_rust_legacy(name: &str) -> bool {
    let base = name.split_once('.').map_or(name, |(b, _)| b);
    base.len() > 20 && base.ends_with('E') && {
        let h = &base[base.len() - 20..base.len() - 1];
        h.starts_with("17h") && h[3..].bytes().all(|b| b.is_ascii_hexdigit())
    }
}

fn demangle_cpp(name: &str) -> Option<String> {
    // GCC clones (`_ZN12StubRoutines11initialize2Ev.part.0`, `.constprop.1`, `.cold`):
    // libiberty parses clone suffixes only with DMGL_PARAMS, so perf (no params) prints the bare
    // `StubRoutines::initialize2` (checked against perf on libjvm.so frames of java_fp).
    let base = name.find('.').map_or(name, |i| &name[..i]);
    if let Some(t) = thunk(base) {
        return Some(t);
    }
    let sym = cpp_demangle::Symbol::new(base.as_bytes()).ok()?;
    let opts = cpp_demangle::DemangleOptions::new().no_params().no_return_type();
    sym.demangle_with_options(&opts).ok()
}

/// Thunks (`_ZTh…`, `_ZTv…`, `_ZTc…`): libiberty prints the target with its parameters even
/// without DMGL_PARAMS (`non-virtual thunk to UseCountComputer::block_do(BlockBegin*)`, as perf
/// printed for libjvm.so).
fn thunk(name: &str) -> Option<String> {
    let rest = name.strip_prefix("_ZT")?;
    let (prefix, offsets) = match rest.as_bytes().first()? {
        b'h' => ("non-virtual thunk to ", 1),
        b'v' => ("virtual thunk to ", 1),
        b'c' => ("covariant return thunk to ", 2),
        _ => return None,
    };
    let mut s = if offsets == 2 { &rest[1..] } else { rest };
    for _ in 0..offsets {
        s = call_offset(s)?;
    }
    let target = format!("_Z{s}");
    let sym = cpp_demangle::Symbol::new(target.as_bytes()).ok()?;
    let opts = cpp_demangle::DemangleOptions::new().no_return_type();
    Some(format!("{prefix}{}", sym.demangle_with_options(&opts).ok()?))
}

/// Skips an Itanium `<call-offset>`: `h <number> _` or `v <number> _ <number> _`.
fn call_offset(s: &str) -> Option<&str> {
    fn number(s: &str) -> Option<&str> {
        let s = s.strip_prefix('n').unwrap_or(s);
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        (digits > 0).then(|| &s[digits..])?.strip_prefix('_')
    }
    match s.as_bytes().first()? {
        b'h' => number(&s[1..]),
        b'v' => number(number(&s[1..])?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpp_without_params() {
        assert_eq!(
            demangle("_ZN20G1ParScanThreadState23trim_queue_to_thresholdEj"),
            "G1ParScanThreadState::trim_queue_to_threshold"
        );
        assert_eq!(
            demangle("_ZN28G1ConcurrentRefineOopClosure11do_oop_workI9narrowOopEEvPT_"),
            "G1ConcurrentRefineOopClosure::do_oop_work<narrowOop>"
        );
        assert_eq!(demangle("_ZN2os14reserve_memoryEmbm"), "os::reserve_memory");
        assert_eq!(demangle("_ZN12StubRoutines11initialize2Ev.part.0"), "StubRoutines::initialize2");
        assert_eq!(
            demangle("_ZThn8_N16UseCountComputer8block_doEP10BlockBegin"),
            "non-virtual thunk to UseCountComputer::block_do(BlockBegin*)"
        );
        assert_eq!(demangle("_ZTv0_n24_N1B1fEv"), "virtual thunk to B::f()");
        assert_eq!(demangle("_ZTch0_h16_N1D1gEv"), "covariant return thunk to D::g()");
        assert_eq!(demangle("_ZL17jni_invoke_staticP7JNIEnv_P9JavaValueP8_jobject11JNICallTypeP10_jmethodIDP18JNI_ArgumentPusherP10JavaThread.constprop.1"), "jni_invoke_static");
    }

    #[test]
    fn rust_without_hash() {
        assert_eq!(demangle("_ZN4core3fmt5write17h0123456789abcdefE"), "core::fmt::write");
        assert_eq!(demangle("_RNvCs1234_7mycrate3foo"), "mycrate::foo");
    }

    #[test]
    fn others_unchanged() {
        for n in ["msort_with_tmp.part.0", "pthread_mutex_lock@@GLIBC_2.2.5", "crypto/sha256.block.abi0", "_start"] {
            assert_eq!(demangle(n), n);
        }
    }
}
