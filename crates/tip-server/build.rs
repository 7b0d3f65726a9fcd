//! Generates the tonic services of `proto/tip/v1` (server and client) against the message
//! types of `tip-model`, so every crate shares one set of types; and lists the files of the
//! built page, `web/dist`, for `web.rs` to embed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::{env, fs};

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let files: Vec<PathBuf> =
        fs::read_dir(proto_root.join("tip/v1"))?.map(|entry| entry.map(|e| e.path())).collect::<Result<_, _>>()?;
    println!("cargo:rerun-if-changed={}", proto_root.display());

    let descriptors = protox::compile(&files, [&proto_root])?;
    tonic_prost_build::configure().extern_path(".tip.v1", "::tip_model::pb").compile_fds(descriptors)?;
    embed_page(&PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../web/dist"))
}

/// Writes `web_assets.rs`: `EMBEDDED`, every file under `dist` with its ETag (a digest of its
/// bytes) and, where it comes out smaller, a gzip copy, made here once rather than at every start.
fn embed_page(dist: &Path) -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={}", dist.display());
    let out = PathBuf::from(env::var("OUT_DIR")?);
    let mut files = Vec::new();
    collect_files(dist, dist, &mut files)?;
    files.sort();
    let mut table = String::from("static EMBEDDED: &[EmbeddedFile] = &[\n");
    for (relative, absolute) in &files {
        println!("cargo:rerun-if-changed={}", absolute.display());
        let bytes = fs::read(absolute)?;
        let digest = Sha256::digest(&bytes);
        let etag = format!("\"{}\"", digest[..12].iter().map(|b| format!("{b:02x}")).collect::<String>());
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&bytes)?;
        let gzipped = encoder.finish()?;
        let gzipped = if gzipped.len() < bytes.len() {
            let path = out.join("web").join(format!("{relative}.gz"));
            fs::create_dir_all(path.parent().expect("a file has a folder"))?;
            fs::write(&path, gzipped)?;
            format!("Some(include_bytes!({:?}))", path.display().to_string())
        } else {
            "None".to_owned()
        };
        let bytes = format!("include_bytes!({:?})", absolute.display().to_string());
        table.push_str(&format!(
            "    EmbeddedFile {{ path: {relative:?}, etag: {etag:?}, bytes: {bytes}, gzipped: {gzipped} }},\n"
        ));
    }
    table.push_str("];\n");
    fs::write(out.join("web_assets.rs"), table)?;
    Ok(())
}

fn collect_files(root: &Path, folder: &Path, files: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    for entry in fs::read_dir(folder)? {
        let path = entry?.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect_files(root, &path, files)?;
        } else {
            let relative = path.strip_prefix(root).expect("under the root").to_string_lossy().replace('\\', "/");
            files.push((relative, path));
        }
    }
    Ok(())
}
