use tracefold_model::tables::gc_pauses::GcPauseRow;
fn main() {
    let ds = std::path::Path::new("/tmp/dsg");
    let p: Vec<GcPauseRow> = tracefold_model::read::read_table(ds, "big").unwrap();
    let n: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(20);
    let t = std::time::Instant::now();
    for i in 0..n {
        let tmp = std::path::PathBuf::from(format!("/tmp/twx{}-{i}", std::process::id()));
        let st = tracefold_model::write::RunStaging::new(&tmp, "r").unwrap();
        st.write::<GcPauseRow>("x", p.clone()).unwrap();
        drop(st);
        let _ = std::fs::remove_dir_all(&tmp);
    }
    println!("{} rows: {:?} per write", p.len(), t.elapsed() / n as u32);
}
