//! The `*.dist-info/RECORD` file: every file of the wheel with its hash and size.

use base64::Engine;

/// One `RECORD` row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordEntry {
    /// Path inside the wheel. Ex) `six.py`
    pub path: String,
    /// `(algorithm, digest bytes)`; `None` for RECORD itself and its signatures.
    pub hash: Option<(String, Vec<u8>)>,
    /// Size in bytes, if given.
    pub size: Option<u64>,
}

/// The `*.dist-info/RECORD` file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// Rows in file order.
    pub entries: Vec<RecordEntry>,
}

/// A malformed `RECORD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("RECORD line {line}: {message}")]
pub struct RecordError {
    /// 1-based row number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Split CSV text into rows of fields (RFC 4180 quoting, as Python's csv writes).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (in_quotes, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => in_quotes = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => in_quotes = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

pub(super) fn is_record_file(path: &str) -> bool {
    path.ends_with("/RECORD") || path.ends_with("/RECORD.jws") || path.ends_with("/RECORD.p7s")
}

impl Record {
    /// Parse `RECORD` text. Hashes are `<algorithm>=<urlsafe base64, no padding>`.
    pub fn parse(bytes: &[u8]) -> Result<Record, RecordError> {
        let text = std::str::from_utf8(bytes).map_err(|e| RecordError {
            line: 0,
            message: format!("not UTF-8: {e}"),
        })?;
        let mut entries = Vec::new();
        for (i, row) in csv_rows(text).into_iter().enumerate() {
            let line = i + 1;
            let err = |message: String| RecordError { line, message };
            if row.iter().all(|f| f.is_empty()) {
                continue;
            }
            if row.len() != 3 {
                return Err(err(format!("expected 3 fields, got {}", row.len())));
            }
            let hash = if row[1].is_empty() {
                None
            } else {
                let (algo, b64) = row[1]
                    .split_once('=')
                    .ok_or_else(|| err(format!("hash {:?} is not ALGO=DIGEST", row[1])))?;
                let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(b64.trim_end_matches('='))
                    .map_err(|e| err(format!("hash {:?} is not base64: {e}", row[1])))?;
                Some((algo.to_ascii_lowercase(), digest))
            };
            let size = if row[2].is_empty() {
                None
            } else {
                Some(
                    row[2]
                        .parse::<u64>()
                        .map_err(|_| err(format!("size {:?} is not a number", row[2])))?,
                )
            };
            entries.push(RecordEntry {
                path: row[0].clone(),
                hash,
                size,
            });
        }
        Ok(Record { entries })
    }
}

/// Hash `bytes` with a RECORD algorithm; `None` if the algorithm is not allowed.
pub(super) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_parsing() {
        let r = Record::parse(
            b"foo/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n\"a,b.py\",sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\r\nfoo-1.0.dist-info/RECORD,,\n",
        )
        .unwrap();
        assert_eq!(r.entries.len(), 3);
        assert_eq!(r.entries[1].path, "a,b.py");
        assert_eq!(
            r.entries[0].hash.as_ref().unwrap().1,
            <sha2::Sha256 as sha2::Digest>::digest(b"").to_vec()
        );
        assert_eq!(r.entries[2].hash, None);
        let e = Record::parse(b"x.py,sha256=abc\n").unwrap_err();
        assert_eq!(e.line, 1);
        let e = Record::parse(b"ok,,\nx.py,sha256=abc,big\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }
}
