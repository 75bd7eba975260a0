//! yardstick-store (being built).
