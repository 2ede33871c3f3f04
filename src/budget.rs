//! TODO: budget (being written).
