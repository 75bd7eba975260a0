//! `yardstick probe`, and the endpoint flags every serving command shares.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::json;
use yardstick_backend_openai::{Api, Endpoint, OpenAiClient};

use super::Outcome;
use crate::args::{EndpointArgs, Format, ProbeArgs};

/// The endpoint the flags describe, asking the server for its first model when
/// `--served-model` is not given. `None` without `--endpoint`.
pub async fn endpoint_from_args(args: &EndpointArgs) -> Result<Option<Endpoint>> {
    let Some(base_url) = &args.endpoint else {
        return Ok(None);
    };
    let api: Api = args
        .api
        .parse()
        .map_err(|error| anyhow::anyhow!("--api: {error}"))?;
    if !(args.request_timeout.is_finite() && args.request_timeout > 0.0) {
        bail!(
            "--request-timeout {} must be a positive number of seconds",
            args.request_timeout
        );
    }
    let mut endpoint = Endpoint::new(base_url.clone(), String::new(), api);
    endpoint.api_key = args.api_key.clone();
    endpoint.timeout = Duration::from_secs_f64(args.request_timeout);
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':') else {
            bail!("--header `{header}` is not `Name: value`");
        };
        endpoint
            .headers
            .push((name.trim().to_string(), value.trim().to_string()));
    }
    endpoint.served_model = match &args.served_model {
        Some(model) => model.clone(),
        None => {
            let client = OpenAiClient::new(endpoint.clone())?;
            let models = client
                .list_models()
                .await
                .with_context(|| format!("asking {base_url} which models it serves"))?;
            match models.into_iter().next() {
                Some(model) => model,
                None => bail!("{base_url}/models lists no model; name one with --served-model"),
            }
        }
    };
    Ok(Some(endpoint))
}

pub async fn run(args: ProbeArgs) -> Result<Outcome> {
    let Some(endpoint) = endpoint_from_args(&args.endpoint).await? else {
        bail!("probe needs --endpoint URL (e.g. http://127.0.0.1:8080/v1)");
    };
    let report = yardstick_backend_openai::probe(&endpoint)
        .await
        .with_context(|| format!("probing {}", endpoint.base_url))?;
    // What `eval --endpoint` checks before scoring, and what it would refuse.
    let client = OpenAiClient::new(endpoint.clone())?;
    let scoring = yardstick_backend_openai::probe_scoring(&client)
        .await
        .with_context(|| format!("probing {} for scoring", endpoint.base_url))?;
    match args.format {
        Format::Json => {
            let findings: serde_json::Map<String, serde_json::Value> = report
                .findings()
                .into_iter()
                .chain(scoring.findings())
                .map(|(label, finding)| {
                    (
                        label.to_string(),
                        json!({ "support": finding.support.as_str(), "reason": finding.reason }),
                    )
                })
                .collect();
            let value = json!({
                "endpoint": endpoint.base_url,
                "served_model": endpoint.served_model,
                "api": endpoint.api.as_str(),
                "findings": findings,
                "eval_refuses": scoring.settings.unavailable.iter().map(|gap| {
                    json!({ "capability": gap.need.as_str(), "reason": gap.reason })
                }).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
        _ => {
            print!("{report}");
            println!("\nfor quality evaluation (eval --endpoint):");
            for (label, finding) in scoring.findings() {
                println!(
                    "  {label:34}  {:7}  {}",
                    finding.support.as_str(),
                    finding.reason
                );
            }
            for gap in &scoring.settings.unavailable {
                println!("  refused: {} tasks: {}", gap.need, gap.reason);
            }
        }
    }
    Ok(Outcome::Success)
}
