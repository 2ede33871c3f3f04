//! Parsed index pages as the cache keeps them: a compact binary listing of
//! every file a page names, with the HTTP validators needed to revalidate
//! it.
//!
//! A project page is parsed once, when it is fetched (or revalidated from a
//! cache that still holds the raw page of an older grail). Warm runs then
//! read the listing — no JSON or HTML, no URL parsing — and build
//! [`DistFile`]s only for the files the caller keeps (see
//! [`super::for_target`]). The payload is [postcard], sealed in a
//! checksummed [`Record`] tagged with [`FORMAT`], so a listing from another
//! grail version, or a damaged one, reads as a miss.
//!
//! ```text
//! let bytes = encode(&validators, &files)?;           // after a fetch
//! let listing = decode(&bytes, url).expect("intact"); // on a warm run
//! let files: Vec<DistFile> = listing.files.iter().filter_map(|f| f.to_dist(&origin)).collect();
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use url::Url;

use super::{DistFile, DistOrigin};
use crate::cache::Record;

/// The payload format; bump when [`Listing`] or [`ListedFile`] changes.
pub(super) const FORMAT: u32 = 2;

/// What a listing records about the response it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Validators {
    /// The page URL (the cache key), without credentials.
    pub(super) url: String,
    /// `ETag`, sent back as `If-None-Match`.
    pub(super) etag: Option<String>,
    /// `Last-Modified`, sent back as `If-Modified-Since`.
    pub(super) last_modified: Option<String>,
    /// When the response was generated, as far as grail can tell (seconds
    /// since the Unix epoch): the time it arrived minus its `Age`.
    pub(super) fetched_at: u64,
    /// `Cache-Control: max-age`, when the server allows reuse without asking.
    pub(super) max_age: Option<u64>,
    /// The server answered 404/410: the project does not exist there.
    pub(super) not_found: bool,
    /// The sha256 of the body the files were parsed from: a page that
    /// comes back byte for byte the same (from an index that sends no
    /// validators, every page on every run) is not parsed again.
    pub(super) body_sha256: Option<String>,
}

impl Validators {
    /// Whether the page may be used without asking the server, at `now`.
    pub(super) fn fresh(&self, now: u64) -> bool {
        self.max_age
            .is_some_and(|age| now.saturating_sub(self.fetched_at) < age)
    }
}

/// One listed file, borrowed from the payload: what the target filter
/// reads (the name, whether it is yanked) up front, the rest encoded apart
/// so that only the files kept are decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ListedFile<'a> {
    pub(super) filename: &'a str,
    pub(super) yanked: bool,
    #[serde(borrow)]
    details: Bytes<'a>,
}

/// The rest of a [`ListedFile`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Details<'a> {
    /// Absolute, without credentials or fragment (as [`Url`] wrote it).
    url: &'a str,
    #[serde(borrow)]
    hashes: Vec<(&'a str, &'a str)>,
    #[serde(borrow)]
    requires_python: Option<&'a str>,
    #[serde(borrow)]
    yanked: Option<&'a str>,
    #[serde(borrow)]
    core_metadata: Option<Option<&'a str>>,
    size: Option<u64>,
}

impl ListedFile<'_> {
    fn new(f: &DistFile) -> ListedFile<'_> {
        let details = Details {
            url: f.url.as_str(),
            hashes: f
                .hashes
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            requires_python: f.requires_python.as_deref(),
            yanked: f.yanked.as_deref(),
            core_metadata: f.core_metadata.as_ref().map(Option::as_deref),
            size: f.size,
        };
        ListedFile {
            filename: &f.filename,
            yanked: f.yanked.is_some(),
            details: Bytes(Cow::Owned(to_vec(&details))),
        }
    }

    /// The file as the resolver sees it, listed by `origin`; `None` if its
    /// details do not decode or its URL does not parse (a record that
    /// passed its checksum holds what grail wrote, so only a forged one
    /// gets here).
    pub(super) fn to_dist(&self, origin: &DistOrigin) -> Option<DistFile> {
        let (d, rest): (Details<'_>, &[u8]) = postcard::take_from_bytes(&self.details.0).ok()?;
        if !rest.is_empty() {
            return None;
        }
        Some(DistFile {
            filename: self.filename.to_string(),
            url: Url::parse(d.url).ok()?,
            hashes: d
                .hashes
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            requires_python: d.requires_python.map(str::to_string),
            yanked: d.yanked.map(str::to_string),
            core_metadata: d.core_metadata.map(|c| c.map(str::to_string)),
            size: d.size,
            origin: origin.clone(),
        })
    }
}

/// A byte string, borrowed from the payload when decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Bytes<'a>(Cow<'a, [u8]>);

impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Bytes<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Bytes<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(Bytes(Cow::Borrowed(v)))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(Bytes(Cow::Owned(v.to_vec())))
            }
        }
        deserializer.deserialize_bytes(Visit)
    }
}

/// A decoded listing: validators and files, borrowed from the payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Listing<'a> {
    url: &'a str,
    #[serde(borrow)]
    etag: Option<&'a str>,
    #[serde(borrow)]
    last_modified: Option<&'a str>,
    fetched_at: u64,
    max_age: Option<u64>,
    not_found: bool,
    #[serde(borrow)]
    body_sha256: Option<&'a str>,
    #[serde(borrow)]
    pub(super) files: Vec<ListedFile<'a>>,
}

impl Listing<'_> {
    /// The validators, owned.
    pub(super) fn validators(&self) -> Validators {
        Validators {
            url: self.url.to_string(),
            etag: self.etag.map(str::to_string),
            last_modified: self.last_modified.map(str::to_string),
            fetched_at: self.fetched_at,
            max_age: self.max_age,
            not_found: self.not_found,
            body_sha256: self.body_sha256.map(str::to_string),
        }
    }

    /// The same files under new validators (after a 304).
    pub(super) fn reencode(&self, validators: &Validators) -> Record {
        let listing = Listing {
            files: self.files.clone(),
            ..header(validators)
        };
        to_bytes(&listing)
    }
}

fn header(v: &Validators) -> Listing<'_> {
    Listing {
        url: &v.url,
        etag: v.etag.as_deref(),
        last_modified: v.last_modified.as_deref(),
        fetched_at: v.fetched_at,
        max_age: v.max_age,
        not_found: v.not_found,
        body_sha256: v.body_sha256.as_deref(),
        files: Vec::new(),
    }
}

fn to_bytes(listing: &Listing<'_>) -> Record {
    Record::seal(FORMAT, &to_vec(listing))
}

fn to_vec(value: &impl Serialize) -> Vec<u8> {
    // Serialising strings, integers and options into a Vec cannot fail.
    postcard::to_allocvec(value).unwrap_or_default()
}

/// The record for `files` under `validators` (origins are not stored: the
/// reader knows where it asked).
pub(super) fn encode(validators: &Validators, files: &[DistFile]) -> Record {
    let listing = Listing {
        files: files.iter().map(ListedFile::new).collect(),
        ..header(validators)
    };
    to_bytes(&listing)
}

/// The listing in `record`, if it decodes completely and is the one stored
/// for `url`; anything else (trailing bytes, a different page) is `None`: a
/// cache miss, never a panic.
pub(super) fn decode<'a>(record: &'a Record, url: &str) -> Option<Listing<'a>> {
    decode_payload(record.payload(), url)
}

fn decode_payload<'a>(payload: &'a [u8], url: &str) -> Option<Listing<'a>> {
    let (listing, rest): (Listing<'a>, &[u8]) = postcard::take_from_bytes(payload).ok()?;
    (rest.is_empty() && listing.url == url).then_some(listing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str) -> DistFile {
        DistFile {
            filename: name.to_string(),
            url: Url::parse(&format!("https://files.example.org/x/{name}")).unwrap(),
            hashes: [("sha256".to_string(), "ab".repeat(32))].into(),
            requires_python: Some(">=3.9".into()),
            yanked: Some(String::new()),
            core_metadata: Some(None),
            size: Some(42),
            origin: DistOrigin::FindLinks("here".into()),
        }
    }

    fn validators() -> Validators {
        Validators {
            url: "https://example.org/simple/x/".into(),
            etag: Some("\"e\"".into()),
            last_modified: None,
            fetched_at: 100,
            max_age: Some(600),
            not_found: false,
            body_sha256: Some("ef".repeat(32)),
        }
    }

    #[test]
    fn round_trip_keeps_every_field() {
        let mut plain = file("x-1.0.tar.gz");
        plain.hashes.clear();
        plain.requires_python = None;
        plain.yanked = None;
        plain.core_metadata = Some(Some("cd".repeat(32)));
        plain.size = None;
        let files = vec![file("x-1.0-py3-none-any.whl"), plain];
        let bytes = encode(&validators(), &files);
        let listing = decode(&bytes, &validators().url).unwrap();
        assert_eq!(listing.validators(), validators());
        let origin = DistOrigin::FindLinks("here".into());
        let back: Vec<DistFile> = listing
            .files
            .iter()
            .filter_map(|f| f.to_dist(&origin))
            .collect();
        assert_eq!(back, files);

        let mut newer = validators();
        newer.fetched_at = 200;
        newer.etag = None;
        let again = listing.reencode(&newer);
        let relisted = decode(&again, &newer.url).unwrap();
        assert_eq!(relisted.validators(), newer);
        assert_eq!(relisted.files, listing.files);
    }

    #[test]
    fn damaged_or_foreign_payloads_are_misses() {
        let record = encode(&validators(), &[file("x-1.0-py3-none-any.whl")]);
        assert!(decode(&record, "https://example.org/simple/y/").is_none());
        let bytes = record.payload();
        for cut in 0..bytes.len() {
            assert!(decode_payload(&bytes[..cut], &validators().url).is_none());
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(decode_payload(&longer, &validators().url).is_none());
        // Arbitrary bytes never panic (a huge length prefix included).
        for seed in 0..2000u32 {
            let junk: Vec<u8> = (0..64u32)
                .map(|i| (seed.wrapping_mul(2654435761).wrapping_add(i * 40503) >> 7) as u8)
                .collect();
            let _ = decode_payload(&junk, &validators().url);
        }
        let _ = decode_payload(&[0x1d, 0xff, 0xff, 0xff, 0xff, 0x0f], "x");
    }

    #[test]
    fn freshness_follows_max_age() {
        let v = validators();
        assert!(v.fresh(100));
        assert!(v.fresh(699));
        assert!(!v.fresh(700));
        assert!(!Validators { max_age: None, ..v }.fresh(100));
    }
}
