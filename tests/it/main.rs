//! grail's integration tests, in one test binary (one link instead of one
//! per file). Each module is one story; `support` holds what they share: a
//! temporary Chalice project that runs the `grail` binary, a loopback
//! package index, zip readers and the snapshot settings.
//!
//! The oracle tests (against a real `chalice package`) and the network test
//! (PyPI) are `#[ignore]`d; `scripts/test` runs them with `--include-ignored`.
//! `cargo test --test it MODULE` runs one module.

mod support;

mod cli_package;
mod dropin;
mod dropin_deps;
mod help;
mod hostile;
mod hostile_messages;
mod index_client;
mod layer_fetch;
mod layer_show;
mod layers_story;
mod lock;
mod network_pypi;
mod oracle_chalice;
mod progress;
mod public_layers;
mod rebuild;
mod report_html;
mod report_outcomes;
mod resolve_index;
mod sdist_choice;
mod suggest_layers;
mod upload_limit;
mod vendor_wheels;
mod verify;
mod verify_qemu;
mod why_and_vendor;
