//! `yardstick report --runs A,B --out DIR`: one document over stored runs — what ran, quality
//! scores and categories, pairwise comparisons, trade-offs with their Pareto fronts, cost and
//! energy, serving numbers and latency CDFs, every fingerprint — written as `report.html`
//! (self-contained), `report.pdf`, `report.json` and each plot as `plots/NAME.svg` and
//! `plots/NAME.png`. Nothing is measured again: `yardstick_evidence` reads the runs,
//! `yardstick_decide::report` builds the document, `yardstick_report` renders it.

use std::fs;

use anyhow::{bail, Context, Result};
use yardstick_decide::bootstrap::BootstrapSettings;
use yardstick_decide::catalog::Catalog;
use yardstick_decide::report::serving::Pricing;
use yardstick_decide::report::{build, ReportInputs};
use yardstick_evidence::selection::report_evidence;
use yardstick_runner::Home;

use super::Outcome;
use crate::args::ReportArgs;

pub async fn run(args: ReportArgs, home: &Home, quiet: bool) -> Result<Outcome> {
    if args.runs.is_empty() {
        bail!("--runs needs at least one run id (`yardstick runs list` shows them)");
    }
    let catalog = Catalog::builtin()?;
    let pricing = Pricing::resolve(args.usd_per_hour, args.power_watts, &args.region, &catalog)?;
    let (categories, categories_source) = super::inputs::categories(args.categories.as_deref())?;
    let inputs = ReportInputs {
        pricing,
        settings: BootstrapSettings {
            resamples: args.resamples,
            level: 0.95,
            seed: args.seed,
        },
        categories,
        categories_source,
        generator: format!(
            "yardstick {} ({})",
            env!("CARGO_PKG_VERSION"),
            yardstick_runner::GIT_COMMIT
        ),
    };
    let store = home.open_store().await?;
    let evidence = report_evidence(&store, &args.runs).await?;
    let document = build(&evidence, &inputs)?;
    let plots_dir = args.out.join("plots");
    fs::create_dir_all(&plots_dir).with_context(|| format!("creating {}", plots_dir.display()))?;
    let html = yardstick_report::html::render(&document)?;
    let pdf = yardstick_report::pdf::render(&document)?;
    let json = serde_json::to_string_pretty(&document)?;
    let mut files = vec![
        ("report.html".to_string(), html.into_bytes()),
        ("report.pdf".to_string(), pdf),
        ("report.json".to_string(), json.into_bytes()),
    ];
    for plot in document.plots() {
        files.push((
            format!("plots/{}.svg", plot.name),
            plot.svg.clone().into_bytes(),
        ));
        files.push((format!("plots/{}.png", plot.name), plot.png()?));
    }
    for (name, bytes) in &files {
        let path = args.out.join(name);
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    if !quiet {
        println!(
            "wrote report.html, report.pdf, report.json and {} plot(s) (SVG and PNG) for {} run(s) to {}",
            document.plots().count(),
            evidence.runs.len(),
            args.out.display()
        );
    }
    Ok(Outcome::Success)
}
