//! yardstick-models (being built).
