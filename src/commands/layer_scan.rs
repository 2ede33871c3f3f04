//! `grail layer scan LAYER.zip [--arn ARN] [-o FILE]`: write a
//! grail-layer-manifest/1 describing what a layer zip provides.

use std::path::{Path, PathBuf};

use crate::error::{Context, ExitKind, Kind, Result};
use crate::options::ScanOptions;

/// `grail layer scan LAYER.zip [--arn ARN] [-o FILE]`.
pub fn run(args: &ScanOptions) -> Result<()> {
    let arn = args
        .arn
        .as_deref()
        .map(str::parse::<crate::layers::LayerArn>)
        .transpose()
        .kind(ExitKind::Usage)
        .context("--arn")?;
    let scanned = crate::layers::scan_layer_zip(&args.layer_zip, arn.as_ref())?;
    for w in &scanned.warnings {
        eprintln!("warning: {w}");
    }
    let json = scanned.manifest.to_json();
    match &args.output {
        None => print!("{json}"),
        Some(path) => {
            write_manifest(path, &json)?;
            eprintln!(
                "Wrote {} ({} packages, {} bytes unzipped).",
                path.display(),
                scanned.manifest.packages.len(),
                crate::budget::group_digits(scanned.manifest.unzipped_bytes)
            );
        }
    }
    Ok(())
}

/// Write a manifest through a temporary file in the same directory, so a
/// reader never sees half of it (`layer scan -o` and `layer fetch -o`).
pub(crate) fn write_manifest(path: &Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".grail-manifest-")
            .tempfile_in(&dir)?;
        std::io::Write::write_all(&mut tmp, text.as_bytes())?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    };
    write()
        .kind(ExitKind::Usage)
        .with_context(|| format!("cannot write {}", path.display()))
}
