//! TODO: resolver (being written).
