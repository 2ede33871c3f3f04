//! TODO: audit (being written).
