//! What yardstick's decisions read, gathered from the store into typed results: metric
//! identifiers with their unit and direction ([`metric`]), eval units with per-item values
//! and bench units with latency samples ([`results`], read by [`gather`]), whether two
//! results may be compared and what differs ([`comparable`]), the pairing of two sides of a
//! comparison ([`pairing`]), a bench run's operating point ([`operating_point`]), task
//! scores with groups counted once ([`scores`]) and what each decision command selects, by
//! run, model or deployment ([`selection`]).
//!
//! `yardstick_decide` computes every statistic, ranking and price from these; this crate
//! must not: it reads, selects and pairs, nothing more. Only [`gather`] touches the store;
//! everything else is a pure function of the results handed in.

pub mod comparable;
mod error;
pub mod gather;
pub mod metric;
pub mod operating_point;
pub mod pairing;
pub mod results;
pub mod scores;
pub mod selection;
#[cfg(test)]
mod testing;

pub use comparable::ComparisonMode;
pub use error::EvidenceError;
pub use metric::{Direction, Latency, ProfileMetric, ServingMetric};
pub use operating_point::OperatingPoint;
pub use pairing::{PairedItems, Pairing, Refusal};
pub use results::{BenchUnit, EvalUnit, LatencyBounds};
