//! The resource sampler against this process, a fake powercap directory and a missing NVML.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use yardstick_bench::resources::{ResourceError, ResourceSampler, SamplerConfig};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Settings that read no real GPU or RAPL counters, so results do not depend on the machine.
fn isolated(interval: Duration, powercap_root: &Path) -> SamplerConfig {
    SamplerConfig {
        pid: None,
        interval,
        gpu: false,
        nvml_library: None,
        powercap_root: powercap_root.to_path_buf(),
    }
}

/// Writes a RAPL package domain; the counter is replaced atomically, as the sampler may be
/// reading it.
fn write_package(root: &Path, index: u32, max_energy_range_uj: u64, energy_uj: u64) -> TestResult {
    let domain = root.join(format!("intel-rapl:{index}"));
    std::fs::create_dir_all(&domain)?;
    std::fs::write(domain.join("name"), format!("package-{index}\n"))?;
    std::fs::write(
        domain.join("max_energy_range_uj"),
        format!("{max_energy_range_uj}\n"),
    )?;
    let staged = domain.join("energy_uj.new");
    std::fs::write(&staged, format!("{energy_uj}\n"))?;
    std::fs::rename(staged, domain.join("energy_uj"))?;
    Ok(())
}

#[test]
fn samples_this_process() -> TestResult {
    let interval = Duration::from_millis(20);
    let before = Instant::now();
    let sampler = ResourceSampler::start(isolated(interval, Path::new("/nonexistent")))?;
    // Keep a core busy so CPU time advances.
    let mut spin: u64 = 0;
    while before.elapsed() < Duration::from_millis(300) {
        spin = std::hint::black_box(spin.wrapping_add(1));
    }
    let report = sampler.stop();
    let elapsed = before.elapsed();

    assert_eq!(report.pid, std::process::id());
    // One at start, one at stop, and at most one per interval between.
    let most = (elapsed.as_nanos() / interval.as_nanos()) as usize + 2;
    assert!(
        (2..=most).contains(&report.samples.len()),
        "{} samples in {elapsed:?}",
        report.samples.len()
    );
    assert!(report
        .samples
        .windows(2)
        .all(|pair| pair[0].at < pair[1].at));
    assert!(report.samples.iter().all(|sample| sample.at <= elapsed));
    assert!(report
        .samples
        .iter()
        .all(|sample| sample.process.is_some_and(|process| process.rss_bytes > 0)));
    assert!(report
        .notes
        .iter()
        .any(|note| note.contains("does not exist")));

    let records = report.records(0);
    let value = |name: &str| {
        records
            .iter()
            .find(|record| record.name == name)
            .map(|record| record.value)
    };
    assert!(value("rss_mib.max").is_some_and(|mib| mib > 0.0));
    assert!(value("cpu_percent.mean").is_some_and(|percent| percent > 0.0));
    assert!(!records
        .iter()
        .any(|record| record.name.starts_with("energy")));
    Ok(())
}

#[test]
fn rapl_packages_with_a_wrap_give_exact_joules() -> TestResult {
    let root = tempfile::tempdir()?;
    write_package(root.path(), 0, 262_143_328_850, 262_143_000_000)?;
    write_package(root.path(), 1, 65_532_610_987, 1_000_000)?;
    let sampler = ResourceSampler::start(isolated(Duration::from_millis(10), root.path()))?;
    std::thread::sleep(Duration::from_millis(50));
    // Package 0 wraps: 328_850 µJ to the top, then 1_671_150 µJ.
    write_package(root.path(), 0, 262_143_328_850, 1_671_150)?;
    write_package(root.path(), 1, 65_532_610_987, 4_500_000)?;
    std::thread::sleep(Duration::from_millis(50));
    let report = sampler.stop();

    assert_eq!(report.cpu_packages.len(), 2);
    let records = report.records(11);
    let energy = records
        .iter()
        .find(|record| record.name == "energy_cpu_package_j.measured")
        .map(|record| record.value);
    assert_eq!(energy, Some(5.5));
    let per_token = records
        .iter()
        .find(|record| record.name == "energy_per_output_token_j.measured")
        .map(|record| record.value);
    assert_eq!(per_token, Some(0.5));
    assert_eq!(report.power_sources().len(), 1);
    Ok(())
}

#[test]
fn a_missing_nvml_is_a_note() -> TestResult {
    let root = tempfile::tempdir()?;
    let config = SamplerConfig {
        gpu: true,
        nvml_library: Some(PathBuf::from("/nonexistent/libnvidia-ml.so.1")),
        ..isolated(Duration::from_millis(10), root.path())
    };
    let report = ResourceSampler::start(config)?.stop();
    assert!(report.gpus.is_empty());
    assert!(report.samples.iter().all(|sample| sample.gpus.is_empty()));
    assert!(report
        .notes
        .iter()
        .any(|note| note.starts_with("GPU: not sampled") && note.contains("could not be loaded")));
    assert!(!report
        .records(100)
        .iter()
        .any(|record| record.name.starts_with("gpu") || record.name.contains("energy")));
    Ok(())
}

#[test]
fn the_system_nvml_never_fails_the_sampler() -> TestResult {
    let root = tempfile::tempdir()?;
    let config = SamplerConfig {
        gpu: true,
        ..isolated(Duration::from_millis(10), root.path())
    };
    let report = ResourceSampler::start(config)?.stop();
    // With a GPU every sample has a reading per device; without, a note says why.
    if report.gpus.is_empty() {
        assert!(report
            .notes
            .iter()
            .any(|note| note.starts_with("GPU: not sampled")));
    } else {
        assert!(report
            .samples
            .iter()
            .all(|sample| sample.gpus.len() == report.gpus.len()));
    }
    Ok(())
}

#[test]
fn a_nonexistent_pid_is_an_error() {
    // Above the kernel's largest pid (2^22).
    let config = SamplerConfig {
        pid: Some(4_194_305),
        ..SamplerConfig::default()
    };
    match ResourceSampler::start(config) {
        Err(error @ ResourceError::NoSuchProcess { pid: 4_194_305 }) => {
            assert!(error.to_string().contains("4194305"), "{error}");
        }
        other => panic!("expected NoSuchProcess, got {other:?}"),
    }
}

#[test]
fn a_too_short_interval_is_an_error() {
    let config = SamplerConfig {
        interval: Duration::from_millis(1),
        ..SamplerConfig::default()
    };
    assert!(matches!(
        ResourceSampler::start(config),
        Err(ResourceError::IntervalTooShort { .. })
    ));
}

#[test]
fn reports_round_trip_through_json() -> TestResult {
    let root = tempfile::tempdir()?;
    write_package(root.path(), 0, 1_000_000, 10)?;
    let report = ResourceSampler::start(isolated(Duration::from_millis(10), root.path()))?.stop();
    let json = serde_json::to_string(&report)?;
    let back: yardstick_bench::resources::ResourceReport = serde_json::from_str(&json)?;
    assert_eq!(back, report);
    Ok(())
}
