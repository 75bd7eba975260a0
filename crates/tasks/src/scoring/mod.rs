//! Metric functions for generated and classified outputs (filled in by the scoring work).
