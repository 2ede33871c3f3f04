//! TODO: assemble (being written).
