//! yardstick-runner (being built).
