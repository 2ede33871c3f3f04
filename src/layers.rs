//! TODO: layers (being written).
