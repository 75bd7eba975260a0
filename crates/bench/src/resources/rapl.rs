//! CPU package energy from RAPL through the Linux powercap sysfs interface.
//!
//! Each package domain is a directory `<root>/intel-rapl:N` (AMD processors use the same
//! name) holding `name` (`package-N`), `energy_uj` (a cumulative counter in µJ) and
//! `max_energy_range_uj` (the value after which the counter wraps to 0). Subdomains
//! (`intel-rapl:N:M`: cores, uncore, DRAM) are inside the package's figure and are skipped,
//! as are `psys` domains and the `intel-rapl-mmio` copies of the same counters.

use std::io;
use std::path::{Path, PathBuf};

use super::{note_once, CpuPackage};

/// The package domains under a powercap root, all readable when opened.
pub(super) struct RaplProbe {
    packages: Vec<CpuPackage>,
}

impl RaplProbe {
    /// Finds the package domains under `root` and checks each counter can be read. `Err` is
    /// the note saying why CPU package energy cannot be measured; a partial set of packages
    /// is refused, since its sum would not be the CPU's energy.
    pub(super) fn open(root: &Path) -> Result<RaplProbe, String> {
        let not_measured = |why: String| format!("CPU package energy: not measured: {why}");
        let entries = std::fs::read_dir(root).map_err(|error| {
            not_measured(if error.kind() == io::ErrorKind::NotFound {
                format!(
                    "{} does not exist (no RAPL powercap interface)",
                    root.display()
                )
            } else {
                format!("cannot list {}: {error}", root.display())
            })
        })?;
        let mut domains: Vec<(u32, PathBuf)> = entries
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let number = entry
                    .file_name()
                    .to_str()?
                    .strip_prefix("intel-rapl:")?
                    .parse::<u32>()
                    .ok()?;
                Some((number, entry.path()))
            })
            .collect();
        domains.sort();
        let mut packages = Vec::new();
        for (_, path) in domains {
            let name = read_trimmed(&path.join("name")).map_err(&not_measured)?;
            if !name.starts_with("package") {
                continue;
            }
            let max_energy_range_uj =
                read_counter(&path.join("max_energy_range_uj")).map_err(&not_measured)?;
            read_counter(&path.join("energy_uj")).map_err(&not_measured)?;
            packages.push(CpuPackage {
                path,
                name,
                max_energy_range_uj,
            });
        }
        if packages.is_empty() {
            return Err(not_measured(format!(
                "no RAPL package domain (intel-rapl:N named package-N) under {}",
                root.display()
            )));
        }
        Ok(RaplProbe { packages })
    }

    pub(super) fn packages(&self) -> &[CpuPackage] {
        &self.packages
    }

    /// Each package's counter (µJ), `None` where the read failed (with a note).
    pub(super) fn read(&self, notes: &mut Vec<String>) -> Vec<Option<u64>> {
        self.packages
            .iter()
            .map(
                |package| match read_counter(&package.path.join("energy_uj")) {
                    Ok(energy) => Some(energy),
                    Err(error) => {
                        note_once(
                            notes,
                            format!("CPU package energy: some samples missing: {error}"),
                        );
                        None
                    }
                },
            )
            .collect()
    }
}

/// The energy (µJ) a counter that wraps to 0 after `max_energy_range_uj` advanced over
/// `readings`, in time order: the sum of the steps between consecutive readings that are
/// present, a step down counting as one wrap. `None` with fewer than two readings. The
/// readings must be closer in time than one wrap (minutes at full power).
pub(super) fn counter_energy_uj(
    readings: impl IntoIterator<Item = Option<u64>>,
    max_energy_range_uj: u64,
) -> Option<u64> {
    let mut readings = readings.into_iter().flatten();
    let mut previous = readings.next()?;
    let mut total: Option<u64> = None;
    for reading in readings {
        let step = if reading >= previous {
            reading - previous
        } else {
            max_energy_range_uj.saturating_sub(previous) + reading
        };
        total = Some(total.unwrap_or(0) + step);
        previous = reading;
    }
    total
}

fn read_trimmed(path: &Path) -> Result<String, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text.trim().to_string()),
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => Err(format!(
            "{}: permission denied (since Linux 5.10 RAPL counters are readable by root only)",
            path.display()
        )),
        Err(error) => Err(format!("cannot read {}: {error}", path.display())),
    }
}

fn read_counter(path: &Path) -> Result<u64, String> {
    let text = read_trimmed(path)?;
    text.parse::<u64>()
        .map_err(|_| format!("{}: `{text}` is not a counter", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_add_up_across_wraps() {
        let max = 1_000;
        let readings = [Some(900), Some(950), None, Some(50), Some(60), Some(10)];
        // 50 + (50 + 50) + 10 + (940 + 10)
        assert_eq!(counter_energy_uj(readings, max), Some(1_110));
        assert_eq!(counter_energy_uj([Some(5)], max), None);
        assert_eq!(counter_energy_uj([None, Some(5), None], max), None);
        assert_eq!(counter_energy_uj([Some(5), Some(5)], max), Some(0));
    }

    #[test]
    fn packages_only_in_numeric_order() -> Result<(), Box<dyn std::error::Error>> {
        let root = tempfile::tempdir()?;
        for (domain, name) in [
            ("intel-rapl:10", "package-10"),
            ("intel-rapl:2", "package-2"),
            ("intel-rapl:2:0", "core"),
            ("intel-rapl:3", "psys"),
            ("intel-rapl-mmio:2", "package-2"),
        ] {
            let path = root.path().join(domain);
            std::fs::create_dir(&path)?;
            std::fs::write(path.join("name"), format!("{name}\n"))?;
            std::fs::write(path.join("energy_uj"), "7\n")?;
            std::fs::write(path.join("max_energy_range_uj"), "100\n")?;
        }
        let probe = RaplProbe::open(root.path())?;
        let names: Vec<&str> = probe.packages().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["package-2", "package-10"]);
        assert_eq!(probe.read(&mut Vec::new()), [Some(7), Some(7)]);
        Ok(())
    }

    #[test]
    fn absent_root_or_unreadable_counter_is_a_note() -> Result<(), Box<dyn std::error::Error>> {
        let root = tempfile::tempdir()?;
        let absent = root.path().join("powercap");
        let note = RaplProbe::open(&absent).err().unwrap_or_default();
        assert!(note.contains("does not exist"), "{note}");
        assert!(
            note.starts_with("CPU package energy: not measured"),
            "{note}"
        );

        let package = root.path().join("intel-rapl:0");
        std::fs::create_dir(&package)?;
        std::fs::write(package.join("name"), "package-0\n")?;
        std::fs::write(package.join("max_energy_range_uj"), "100\n")?;
        let note = RaplProbe::open(root.path()).err().unwrap_or_default();
        assert!(note.contains("energy_uj"), "{note}");

        let empty = tempfile::tempdir()?;
        let note = RaplProbe::open(empty.path()).err().unwrap_or_default();
        assert!(note.contains("no RAPL package domain"), "{note}");
        Ok(())
    }
}
