//! `grail layer scan LAYER.zip [--arn ARN] [-o FILE]`: write a
//! grail-layer-manifest/1 describing what a layer zip provides.

use std::path::PathBuf;

use crate::options::ScanOptions;

/// `grail layer scan LAYER.zip [--arn ARN] [-o FILE]`.
pub fn run(args: &ScanOptions) -> anyhow::Result<()> {
    let arn = args
        .arn
        .as_deref()
        .map(str::parse::<crate::layers::LayerArn>)
        .transpose()
        .map_err(|e| crate::error::usage(anyhow::anyhow!("--arn: {e}")))?;
    let scanned = crate::layers::scan_layer_zip(&args.layer_zip, arn.as_ref())
        .map_err(|e| crate::error::Failure::new(e.exit_kind(), e))?;
    for w in &scanned.warnings {
        eprintln!("warning: {w}");
    }
    let json = scanned.manifest.to_json();
    match &args.output {
        None => print!("{json}"),
        Some(path) => {
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let write = || -> std::io::Result<()> {
                std::fs::create_dir_all(&dir)?;
                let mut tmp = tempfile::Builder::new()
                    .prefix(".grail-manifest-")
                    .tempfile_in(&dir)?;
                std::io::Write::write_all(&mut tmp, json.as_bytes())?;
                tmp.persist(path).map_err(|e| e.error)?;
                Ok(())
            };
            anyhow::Context::with_context(write(), || format!("cannot write {}", path.display()))
                .map_err(crate::error::usage)?;
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
