//! TODO: cache (being written).
