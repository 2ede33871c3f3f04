//! TODO: project (being written).
