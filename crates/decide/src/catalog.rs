//! The hardware and price catalog: accelerators (memory, bandwidth, TDP, indicative purchase
//! price), cloud instance types (accelerator × count, on-demand and optional spot $/hour,
//! each price with its date and source), grid carbon intensity per region, and defaults
//! (electricity price, PUE, amortisation). The built-in catalog is `data/catalog.yaml`; a
//! user's file in the same format overrides entries by id and adds new ones
//! ([`Catalog::merged_with`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::DecideError;

const BUILTIN: &str = include_str!("../data/catalog.yaml");

/// Electricity, PUE and amortisation assumptions for owned hardware.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    pub electricity_usd_per_kwh: f64,
    pub electricity_source: String,
    pub pue: f64,
    pub pue_source: String,
    pub amortization_months: f64,
}

/// One accelerator model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accelerator {
    pub id: String,
    pub name: String,
    /// Substrings of the device name a driver reports (NVML) that identify this model.
    #[serde(default)]
    pub r#match: Vec<String>,
    pub memory_gb: f64,
    pub memory_bandwidth_gbs: f64,
    pub tdp_watts: f64,
    #[serde(default)]
    pub purchase_usd: Option<f64>,
    pub source: String,
}

impl Accelerator {
    /// Whether a device name as a driver reports it (`NVIDIA H100 80GB HBM3`) is this model.
    pub fn matches(&self, device_name: &str) -> bool {
        self.r#match
            .iter()
            .any(|pattern| device_name.contains(pattern.as_str()))
    }
}

/// One rentable instance type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    pub id: String,
    pub provider: String,
    pub region: String,
    /// Accelerator id; absent for a CPU-only instance.
    #[serde(default)]
    pub accelerator: Option<String>,
    #[serde(default)]
    pub accelerator_count: u32,
    pub vcpus: u32,
    pub memory_gb: f64,
    /// The instance's power draw at full load when it is not the accelerators' TDP sum
    /// (CPU instances), with where the figure comes from.
    #[serde(default)]
    pub power_watts: Option<f64>,
    #[serde(default)]
    pub power_source: Option<String>,
    pub on_demand_usd_hour: f64,
    #[serde(default)]
    pub spot_usd_hour: Option<f64>,
    /// Expected fraction of spot instances interrupted per month.
    #[serde(default)]
    pub spot_interruptions_per_month: Option<f64>,
    /// The date the prices applied (YYYY-MM-DD) and the page they come from.
    pub price_date: String,
    pub price_source: String,
}

/// Grid carbon intensity of a region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarbonIntensity {
    pub region: String,
    pub g_co2e_per_kwh: f64,
    pub source: String,
}

/// The whole catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub defaults: Defaults,
    #[serde(default)]
    pub accelerators: Vec<Accelerator>,
    #[serde(default)]
    pub instances: Vec<Instance>,
    #[serde(default)]
    pub carbon: Vec<CarbonIntensity>,
}

/// A user's catalog file: every part optional; entries replace built-in ones with their id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogOverride {
    #[serde(default)]
    pub defaults: Option<Defaults>,
    #[serde(default)]
    pub accelerators: Vec<Accelerator>,
    #[serde(default)]
    pub instances: Vec<Instance>,
    #[serde(default)]
    pub carbon: Vec<CarbonIntensity>,
}

impl Catalog {
    /// The built-in catalog (`data/catalog.yaml`).
    pub fn builtin() -> Result<Catalog, DecideError> {
        Catalog::from_yaml(BUILTIN, "the built-in catalog")
    }

    /// Parses and checks a whole catalog.
    pub fn from_yaml(text: &str, source_name: &str) -> Result<Catalog, DecideError> {
        let catalog: Catalog =
            serde_yaml_ng::from_str(text).map_err(|error| DecideError::Document {
                source_name: source_name.to_string(),
                reason: error.to_string(),
            })?;
        catalog.validate(source_name)?;
        Ok(catalog)
    }

    /// The built-in catalog with a user's file applied: entries with a known id (instance,
    /// accelerator, carbon region) replace the built-in ones, others are added.
    pub fn merged_with(mut self, text: &str, source_name: &str) -> Result<Catalog, DecideError> {
        let user: CatalogOverride =
            serde_yaml_ng::from_str(text).map_err(|error| DecideError::Document {
                source_name: source_name.to_string(),
                reason: error.to_string(),
            })?;
        if let Some(defaults) = user.defaults {
            self.defaults = defaults;
        }
        for accelerator in user.accelerators {
            replace_or_push(&mut self.accelerators, accelerator, |a| a.id.clone());
        }
        for instance in user.instances {
            replace_or_push(&mut self.instances, instance, |i| i.id.clone());
        }
        for carbon in user.carbon {
            replace_or_push(&mut self.carbon, carbon, |c| c.region.clone());
        }
        self.validate(source_name)?;
        Ok(self)
    }

    pub fn instance(&self, id: &str) -> Result<&Instance, DecideError> {
        self.instances
            .iter()
            .find(|instance| instance.id == id)
            .ok_or_else(|| DecideError::UnknownName {
                kind: "instance type".to_string(),
                name: id.to_string(),
                valid: self
                    .instances
                    .iter()
                    .map(|instance| instance.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    pub fn accelerator(&self, id: &str) -> Result<&Accelerator, DecideError> {
        self.accelerators
            .iter()
            .find(|accelerator| accelerator.id == id)
            .ok_or_else(|| DecideError::UnknownName {
                kind: "accelerator".to_string(),
                name: id.to_string(),
                valid: self
                    .accelerators
                    .iter()
                    .map(|accelerator| accelerator.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The accelerator a driver-reported device name is, if the catalog knows it.
    pub fn accelerator_for_device(&self, device_name: &str) -> Option<&Accelerator> {
        self.accelerators
            .iter()
            .find(|accelerator| accelerator.matches(device_name))
    }

    /// The carbon intensity of a region, if the catalog has one.
    pub fn carbon(&self, region: &str) -> Option<&CarbonIntensity> {
        self.carbon.iter().find(|carbon| carbon.region == region)
    }

    /// The instance's power at full load: its own figure, else the accelerators' TDP sum.
    pub fn instance_power_watts(&self, instance: &Instance) -> Result<f64, DecideError> {
        if let Some(watts) = instance.power_watts {
            return Ok(watts);
        }
        match &instance.accelerator {
            Some(id) => Ok(self.accelerator(id)?.tdp_watts * f64::from(instance.accelerator_count)),
            None => Err(DecideError::InvalidInput {
                what: format!("instance `{}`", instance.id),
                reason: "has neither an accelerator nor power_watts".to_string(),
            }),
        }
    }

    /// Checks the defaults, then the accelerators, the instances and the carbon regions; the
    /// first problem is the error, named with `source_name`.
    fn validate(&self, source_name: &str) -> Result<(), DecideError> {
        let check = Check { source_name };
        check.defaults(&self.defaults)?;
        check.accelerators(&self.accelerators)?;
        check.instances(&self.instances, &self.accelerators)?;
        check.carbon(&self.carbon)
    }
}

/// The checks of one catalog document; errors name the document.
struct Check<'a> {
    source_name: &'a str,
}

impl Check<'_> {
    fn invalid(&self, reason: String) -> DecideError {
        DecideError::Document {
            source_name: self.source_name.to_string(),
            reason,
        }
    }

    fn positive(&self, what: String, value: f64) -> Result<(), DecideError> {
        if value.is_finite() && value > 0.0 {
            Ok(())
        } else {
            Err(self.invalid(format!("{what} is {value}; it must be a positive number")))
        }
    }

    /// A positive electricity price and amortisation, a PUE of at least 1.
    fn defaults(&self, defaults: &Defaults) -> Result<(), DecideError> {
        self.positive(
            "defaults.electricity_usd_per_kwh".to_string(),
            defaults.electricity_usd_per_kwh,
        )?;
        if !(defaults.pue.is_finite() && defaults.pue >= 1.0) {
            return Err(self.invalid(format!(
                "defaults.pue is {}; a power usage effectiveness is at least 1",
                defaults.pue
            )));
        }
        self.positive(
            "defaults.amortization_months".to_string(),
            defaults.amortization_months,
        )
    }

    /// Unique ids; positive memory, bandwidth, TDP and purchase price.
    fn accelerators(&self, accelerators: &[Accelerator]) -> Result<(), DecideError> {
        let mut ids = BTreeSet::new();
        for accelerator in accelerators {
            if !ids.insert(accelerator.id.as_str()) {
                return Err(self.invalid(format!("accelerator `{}` appears twice", accelerator.id)));
            }
            let what = |field: &str| format!("accelerator `{}`: {field}", accelerator.id);
            self.positive(what("memory_gb"), accelerator.memory_gb)?;
            self.positive(
                what("memory_bandwidth_gbs"),
                accelerator.memory_bandwidth_gbs,
            )?;
            self.positive(what("tdp_watts"), accelerator.tdp_watts)?;
            if let Some(price) = accelerator.purchase_usd {
                self.positive(what("purchase_usd"), price)?;
            }
        }
        Ok(())
    }

    /// Unique ids, then each instance ([`Check::instance`]).
    fn instances(
        &self,
        instances: &[Instance],
        accelerators: &[Accelerator],
    ) -> Result<(), DecideError> {
        let mut ids = BTreeSet::new();
        for instance in instances {
            if !ids.insert(instance.id.as_str()) {
                return Err(self.invalid(format!("instance `{}` appears twice", instance.id)));
            }
            self.instance(instance, accelerators)?;
        }
        Ok(())
    }

    /// Positive prices, memory and power; a non-negative interruption rate; a dated, sourced
    /// price; a known accelerator with a count, or power_watts for a CPU-only instance.
    fn instance(
        &self,
        instance: &Instance,
        accelerators: &[Accelerator],
    ) -> Result<(), DecideError> {
        let what = |field: &str| format!("instance `{}`: {field}", instance.id);
        self.positive(what("on_demand_usd_hour"), instance.on_demand_usd_hour)?;
        self.positive(what("memory_gb"), instance.memory_gb)?;
        if let Some(price) = instance.spot_usd_hour {
            self.positive(what("spot_usd_hour"), price)?;
        }
        if let Some(watts) = instance.power_watts {
            self.positive(what("power_watts"), watts)?;
        }
        if let Some(rate) = instance.spot_interruptions_per_month {
            if !(rate.is_finite() && rate >= 0.0) {
                return Err(self.invalid(format!(
                    "{} is {rate}; it must be ≥ 0",
                    what("spot_interruptions_per_month")
                )));
            }
        }
        if chrono_like_date(&instance.price_date).is_none() {
            return Err(self.invalid(format!(
                "{} is `{}`; write the date the price applied as YYYY-MM-DD",
                what("price_date"),
                instance.price_date
            )));
        }
        if instance.price_source.trim().is_empty() {
            return Err(self.invalid(what(
                "price_source is empty; say where the price comes from",
            )));
        }
        match &instance.accelerator {
            Some(id) => {
                if !accelerators.iter().any(|accelerator| &accelerator.id == id) {
                    return Err(self.invalid(format!(
                        "{} names `{id}`, which is not in the accelerators",
                        what("accelerator")
                    )));
                }
                if instance.accelerator_count == 0 {
                    return Err(self.invalid(what("accelerator_count must be at least 1")));
                }
            }
            None if instance.power_watts.is_none() => {
                return Err(self.invalid(what(
                    "a CPU-only instance needs power_watts (and power_source)",
                )));
            }
            None => {}
        }
        Ok(())
    }

    /// Unique regions with a finite, non-negative intensity.
    fn carbon(&self, carbon: &[CarbonIntensity]) -> Result<(), DecideError> {
        let mut regions = BTreeSet::new();
        for carbon in carbon {
            if !regions.insert(carbon.region.as_str()) {
                return Err(
                    self.invalid(format!("carbon region `{}` appears twice", carbon.region))
                );
            }
            if !(carbon.g_co2e_per_kwh.is_finite() && carbon.g_co2e_per_kwh >= 0.0) {
                return Err(self.invalid(format!(
                    "carbon region `{}`: g_co2e_per_kwh is {}",
                    carbon.region, carbon.g_co2e_per_kwh
                )));
            }
        }
        Ok(())
    }
}

fn replace_or_push<T>(entries: &mut Vec<T>, entry: T, key: impl Fn(&T) -> String) {
    let wanted = key(&entry);
    match entries.iter_mut().find(|existing| key(existing) == wanted) {
        Some(existing) => *existing = entry,
        None => entries.push(entry),
    }
}

/// `(year, month, day)` when `text` is a plausible YYYY-MM-DD date.
fn chrono_like_date(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let (year, month, day) = (
        year.parse().ok()?,
        month.parse::<u32>().ok()?,
        day.parse::<u32>().ok()?,
    );
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some((year, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_is_valid_and_covers_the_usual_accelerators() {
        let catalog = Catalog::builtin().expect("accepted");
        for id in ["l4", "a10g", "a100-40gb", "a100-80gb-pcie", "h100-sxm"] {
            catalog.accelerator(id).expect("accepted");
        }
        // ×1, ×2, ×4 and ×8 configurations are all present.
        let counts: BTreeSet<u32> = catalog
            .instances
            .iter()
            .map(|instance| instance.accelerator_count)
            .collect();
        for count in [0, 1, 2, 4, 8] {
            assert!(
                counts.contains(&count),
                "no instance with {count} accelerators"
            );
        }
        // Every instance's carbon region is known.
        for instance in &catalog.instances {
            assert!(
                catalog.carbon(&instance.region).is_some(),
                "{}",
                instance.id
            );
        }
        assert_eq!(
            catalog
                .instance_power_watts(catalog.instance("aws/p5.48xlarge").expect("accepted"))
                .expect("accepted"),
            5600.0
        );
        assert_eq!(
            catalog
                .accelerator_for_device("NVIDIA H100 80GB HBM3")
                .map(|a| a.id.as_str()),
            Some("h100-sxm")
        );
        assert!(catalog.accelerator_for_device("AMD EPYC 7763").is_none());
    }

    #[test]
    fn a_user_file_replaces_and_adds_entries() {
        let user = r#"
instances:
  - { id: aws/g6.xlarge, provider: aws, region: us-east-1, accelerator: l4, accelerator_count: 1, vcpus: 4, memory_gb: 16, on_demand_usd_hour: 0.70, spot_usd_hour: 0.30, spot_interruptions_per_month: 0.05, price_date: 2026-11-01, price_source: "my invoice" }
  - { id: lab/box, provider: owned, region: eu-north-1, vcpus: 16, memory_gb: 64, power_watts: 200, power_source: "wall meter", on_demand_usd_hour: 0.5, price_date: 2026-11-01, price_source: "internal rate" }
"#;
        let builtin = Catalog::builtin().expect("accepted");
        let count = builtin.instances.len();
        let merged = builtin.merged_with(user, "my.yaml").expect("accepted");
        assert_eq!(merged.instances.len(), count + 1);
        let g6 = merged.instance("aws/g6.xlarge").expect("accepted");
        assert_eq!(g6.on_demand_usd_hour, 0.70);
        assert_eq!(g6.spot_usd_hour, Some(0.30));
        assert_eq!(
            merged.instance("lab/box").expect("accepted").power_watts,
            Some(200.0)
        );
    }

    #[test]
    fn bad_catalogs_are_refused_naming_the_entry() {
        let builtin = Catalog::builtin;
        let cases = [
            (
                "instances: [{ id: x, provider: p, region: r, accelerator: tpu, accelerator_count: 1, vcpus: 1, memory_gb: 1, on_demand_usd_hour: 1, price_date: 2025-01-01, price_source: s }]",
                "`tpu`, which is not in the accelerators",
            ),
            (
                "instances: [{ id: x, provider: p, region: r, vcpus: 1, memory_gb: 1, on_demand_usd_hour: 1, price_date: 2025-01-01, price_source: s }]",
                "needs power_watts",
            ),
            (
                "instances: [{ id: x, provider: p, region: r, vcpus: 1, memory_gb: 1, power_watts: 5, on_demand_usd_hour: -1, price_date: 2025-01-01, price_source: s }]",
                "instance `x`: on_demand_usd_hour is -1",
            ),
            (
                "instances: [{ id: x, provider: p, region: r, vcpus: 1, memory_gb: 1, power_watts: 5, on_demand_usd_hour: 1, price_date: last year, price_source: s }]",
                "YYYY-MM-DD",
            ),
            ("instances: [{ id: x, bogus: 1 }]", "bogus"),
        ];
        for (text, expected) in cases {
            let error = builtin()
                .expect("accepted")
                .merged_with(text, "user.yaml")
                .expect_err("refused");
            let message = error.to_string();
            assert!(message.starts_with("user.yaml"), "{message}");
            assert!(message.contains(expected), "{message} lacks {expected}");
        }
        let unknown = Catalog::builtin()
            .expect("accepted")
            .instance("aws/nope")
            .expect_err("refused");
        assert!(unknown.to_string().contains("aws/g6.xlarge"), "{unknown}");
    }
}
