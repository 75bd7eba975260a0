//! yardstick's decisions over what the other crates measured: paired comparisons with
//! bootstrap confidence intervals, McNemar's exact test and Holm's correction ([`paired`],
//! [`bootstrap`]), category scores ([`categories`]), regression verdicts ([`regress`]),
//! cost, energy and carbon from measured throughput with a hardware and price catalog
//! ([`catalog`], [`cost`]), Pareto fronts ([`pareto`]), TOPSIS ranking ([`topsis`]) and
//! recommendations with their confidence ([`recommend`]). What they read — typed results,
//! their pairing and comparability — comes from `yardstick_evidence`.
//!
//! Everything here is a pure function over numbers handed in: no I/O (the built-in catalog
//! is compiled in; a user's override is passed as text), no clock, and every random draw
//! comes from a seed passed in. Reading runs from the store and printing belong to callers.

pub mod bootstrap;
pub mod candidates;
pub mod catalog;
pub mod categories;
pub mod compare;
pub mod cost;
pub mod costing;
mod error;
pub mod family;
pub mod leaderboard;
pub mod paired;
pub mod pareto;
pub mod recommend;
pub mod regress;
pub mod regression;
pub mod report;
pub mod topsis;
pub mod views;

pub use error::DecideError;
