//! TODO: wheel (being written).
