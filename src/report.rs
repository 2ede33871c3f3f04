//! TODO: report (being written).
