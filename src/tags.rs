//! TODO: tags (being written).
