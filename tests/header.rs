//! The checked-in C header must be exactly what the pinned cbindgen generates from src/ffi.
//! `VDK_UPDATE_HEADER=1 cargo test --test header` rewrites it.

use std::path::Path;

#[test]
fn header_is_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = root.join("include/vdk_secrets.h");
    if std::env::var_os("VDK_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("write header");
        return;
    }
    let checked_in = std::fs::read(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "include/vdk_secrets.h is stale: run `VDK_UPDATE_HEADER=1 cargo test --test header` and commit it"
    );
}
