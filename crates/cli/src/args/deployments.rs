//! Deployment flags of the measuring commands, and `yardstick deployments`.

use clap::{Args, Subcommand};
use yardstick_runner::DeploymentFlags;

use super::Format;

/// `--deployment NAME` and `--hardware TEXT` of `eval` and `bench`.
#[derive(Debug, Args)]
pub struct DeploymentArgs {
    /// Name the deployment these results belong to (created, matched by what was measured,
    /// or renamed); a name another deployment has is refused [default: model, quantization,
    /// engine and hardware].
    #[arg(long = "deployment")]
    pub deployment: Option<String>,
    /// With --endpoint: the server's hardware, which yardstick cannot see
    /// (e.g. "1x H100 80GB") [default: unknown].
    #[arg(long)]
    pub hardware: Option<String>,
}

impl DeploymentArgs {
    pub fn flags(&self) -> DeploymentFlags {
        DeploymentFlags {
            name: self.deployment.clone(),
            hardware: self.hardware.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum DeploymentsCommand {
    /// List deployments: model, engine, quantization, hardware, serving settings, units and
    /// latest run.
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Rename a deployment (by name or id); a name another deployment has is refused.
    Rename { name: String, new_name: String },
    /// Show one deployment (by name or id): its identity and its runs.
    Show {
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}
