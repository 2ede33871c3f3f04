//! Warm hints: which index pages a previous resolution of the same
//! requirements needed, so the next run fetches them all at once.
//!
//! The resolver discovers packages level by level (alpaca-py, then pandas,
//! then numpy…), and each level waits for the pages of the one before. When
//! the index sends no caching headers (some mirrors and proxies strip them),
//! every run revalidates every page, and that chain of round trips is most
//! of a warm build. A hint lists the packages the last resolution of these
//! requirements for this target needed; prefetching them in parallel before
//! resolving turns the chain into one round.
//!
//! A hint never changes a result: it only decides which pages are in the
//! client's memo early. A stale hint costs a wasted fetch; a damaged or
//! hostile one is ignored (names are checked, their number capped), and
//! resolution fetches what it needs as always.
//!
//! ```
//! use grail::dependencies::warm_hint::{decode, encode};
//! let names = vec!["numpy".to_string(), "pandas".to_string()];
//! assert_eq!(decode(&encode(&names)), names);
//! // Anything that is not a package name is dropped.
//! assert_eq!(decode(b"numpy\n../etc\n\xff\n"), vec!["numpy".to_string()]);
//! ```

use crate::cache::{Cache, Record};
use crate::requirements::RequirementsFile;
use crate::target::LambdaTarget;

/// Payload format of a hint record; bump when the payload changes.
const FORMAT: u32 = 1;

/// The most names a hint holds (more than any real project resolves; a
/// damaged or hostile hint cannot make grail fetch the whole index).
const MAX_NAMES: usize = 2_000;

/// The cache key of a hint: the requirements and constraints as written
/// (sorted, so reordering lines keeps the hint) and the target.
pub fn key(requirements: &RequirementsFile, target: &LambdaTarget) -> String {
    let mut lines: Vec<String> = requirements
        .requirements
        .iter()
        .map(|e| format!("r {}", e.requirement))
        .chain(
            requirements
                .constraints
                .iter()
                .map(|e| format!("c {}", e.requirement)),
        )
        .collect();
    lines.sort();
    lines.push(format!("t {} {}", target.runtime(), target.arch.machine()));
    lines.join("\n")
}

/// The names in a hint payload: one per line, each a plausible normalised
/// package name, at most [`MAX_NAMES`].
pub fn decode(payload: &[u8]) -> Vec<String> {
    payload
        .split(|&b| b == b'\n')
        .filter_map(|line| std::str::from_utf8(line).ok())
        .filter(|n| is_name(n))
        .take(MAX_NAMES)
        .map(str::to_string)
        .collect()
}

/// A hint payload for `names`.
pub fn encode(names: &[String]) -> Vec<u8> {
    names.join("\n").into_bytes()
}

/// The names stored for `key` (empty when there is no intact hint).
pub fn load(cache: &Cache, key: &str) -> Vec<String> {
    cache
        .hint(key, FORMAT)
        .map(|r| decode(r.payload()))
        .unwrap_or_default()
}

/// Remember `names` for `key` when they differ from `previous`. Best
/// effort: a hint that cannot be written only costs the next run speed.
pub fn store(cache: &Cache, key: &str, previous: &[String], names: &[String]) {
    if previous == names {
        return;
    }
    if let Err(e) = cache.set_hint(key, &Record::seal(FORMAT, &encode(names))) {
        tracing::debug!(error = %e, "warm hint not stored");
    }
}

/// Plausibly a package name: 1–200 lowercase ASCII letters, digits, `-`,
/// `.` and `_`, starting with a letter or digit (hints hold normalised
/// names; this only keeps anything else out of a URL).
fn is_name(s: &str) -> bool {
    (1..=200).contains(&s.len())
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.' || b == b'_'
        })
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_payloads_give_only_names() {
        let long = "a".repeat(201);
        let payload = format!("ok\n\n-lead\n{long}\nUPPER\nfine.name_2\n");
        assert_eq!(decode(payload.as_bytes()), vec!["ok", "fine.name_2"]);
        let many = "x\n".repeat(MAX_NAMES + 10);
        assert_eq!(decode(many.as_bytes()).len(), MAX_NAMES);
    }

    #[test]
    fn hints_round_trip_through_the_cache_and_damage_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path()).unwrap();
        let names = vec!["pandas".to_string(), "numpy".to_string()];
        assert!(load(&cache, "k").is_empty());
        store(&cache, "k", &[], &names);
        assert_eq!(load(&cache, "k"), names);
        let file = std::fs::read_dir(cache.root().join("hints"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mut bytes = std::fs::read(&file).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&file, bytes).unwrap();
        assert!(load(&cache, "k").is_empty());
    }
}
