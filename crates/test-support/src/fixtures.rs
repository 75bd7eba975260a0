//! Paths to real models and datasets, with skip reasons.
