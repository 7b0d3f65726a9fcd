//! Compiles `proto/tip/v1` into the message types (no services: the server crate generates
//! those against these types) and writes the descriptor set that reflection serves.

use std::{env, fs, path::PathBuf};

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let files: Vec<PathBuf> =
        fs::read_dir(proto_root.join("tip/v1"))?.map(|entry| entry.map(|e| e.path())).collect::<Result<_, _>>()?;
    println!("cargo:rerun-if-changed={}", proto_root.display());

    let descriptors = protox::compile(&files, [&proto_root])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(out_dir.join("tip_descriptor.bin"), descriptors.encode_to_vec())?;

    tonic_prost_build::configure().build_server(false).build_client(false).compile_fds(descriptors)?;
    Ok(())
}
