//! The temporary root Lambda would see: `deployment.zip` in `var/task`,
//! `layer-deployment.zip` (whose entries start with `python/`) in `opt/`.

use std::fs::File;
use std::path::Path;

use tempfile::TempDir;

use super::VerifyError;
use crate::error::Result;

/// Unpack the zips into a fresh temporary root (removed on drop).
pub fn unpack(app: &Path, layer: Option<&Path>) -> Result<TempDir> {
    if !app.is_file() {
        return Err(VerifyError::NoArtifact(app.to_path_buf()).into());
    }
    let root = tempfile::Builder::new()
        .prefix("grail-verify-")
        .tempdir()
        .map_err(|e| VerifyError::Io(format!("cannot create a temporary root: {e}")))?;
    extract(app, &root.path().join("var/task"))?;
    let opt = root.path().join("opt");
    if let Some(layer) = layer {
        extract(layer, &opt)?;
    }
    std::fs::create_dir_all(opt.join("python"))
        .map_err(|e| VerifyError::Io(format!("cannot create {}: {e}", opt.display())))?;
    Ok(root)
}

/// Extract `zip` into `dest`; the zip crate refuses entries that escape it.
fn extract(zip: &Path, dest: &Path) -> Result<()> {
    let err = |e: &dyn std::fmt::Display| {
        VerifyError::Io(format!("cannot unpack {}: {e}", zip.display()))
    };
    let file = File::open(zip).map_err(|e| err(&e))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| err(&e))?;
    std::fs::create_dir_all(dest).map_err(|e| err(&e))?;
    archive.extract(dest).map_err(|e| err(&e))?;
    Ok(())
}
