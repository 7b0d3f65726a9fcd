//! Generates the tonic services of `proto/tip/v1` (server and client) against the message
//! types of `tip-model`, so every crate shares one set of types.

use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let files: Vec<PathBuf> =
        fs::read_dir(proto_root.join("tip/v1"))?.map(|entry| entry.map(|e| e.path())).collect::<Result<_, _>>()?;
    println!("cargo:rerun-if-changed={}", proto_root.display());

    let descriptors = protox::compile(&files, [&proto_root])?;
    tonic_prost_build::configure().extern_path(".tip.v1", "::tip_model::pb").compile_fds(descriptors)?;
    Ok(())
}
