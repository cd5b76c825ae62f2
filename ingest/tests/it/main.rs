//! Integration tests of tracefold-ingest (one test binary; modules by topic).

mod bpftrace;
mod cgroup;
mod common;
mod dataset;
mod jvm_legacy;
mod netpoll;
mod oracle_go;
mod oracle_jvm;
mod perf_data;
mod perf_script;
mod robustness;
mod symbolize;
mod unified_corpus;
