//! yardstick-tasks (being built).
