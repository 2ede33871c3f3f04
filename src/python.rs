//! TODO: python (being written).
