//! A runnable task: its resolved config, the items it yields (streamed from the data files,
//! with few-shot examples, rendered exactly as lm-eval renders them), how an item's model
//! outputs become per-item metrics, and the fingerprint inputs.
//!
//! - `definition`: the task definition — config, origin, hash, the checks that refuse what
//!   cannot run faithfully, and the scoring entry points;
//! - `scoring_plan`: what is scored and how (metrics, filters, aggregation), resolved
//!   once when the task is built, and the per-item scoring that follows it;
//! - `sources`: where the docs come from (data files, hub datasets, `process_docs`,
//!   few-shot docs);
//! - `render`: prompt rendering, one doc to one item;
//! - `items`: the items streamed, and the fingerprint;
//! - `item`: an item and the selection of items.

mod definition;
mod item;
mod items;
mod render;
mod scoring_plan;
mod sources;

pub use definition::TaskDefinition;
pub use item::{ItemKind, SamplingSpec, Selection, TaskItem};
pub use items::TaskItems;
pub use scoring_plan::ScoringPlan;
