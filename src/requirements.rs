//! TODO: requirements (being written).
