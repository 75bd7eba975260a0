//! A builder for [`Fingerprint`]s (and their [`TaskFingerprint`]) with fixed, readable
//! defaults, so a test names only the fields it is about.
//!
//! ```
//! use yardstick_test_support::fingerprint::fingerprint;
//!
//! let first = fingerprint("gemma", "arc_easy").seed(7).build();
//! assert_eq!(first.model_sha256, "sha-gemma");
//! assert_eq!(first.task.task_hash, "hash-arc_easy");
//! assert_eq!((first.seed, first.task.items), (7, 100));
//! ```

use std::collections::BTreeMap;

use yardstick_core::{Fingerprint, PromptFormat, TaskFingerprint};

/// A [`FingerprintBuilder`] for `model` on `task`, with these defaults:
///
/// | field | default |
/// |---|---|
/// | `model_sha256` | `sha-{model}` |
/// | `task.task_hash` | `hash-{task}` |
/// | `task.dataset_sha256` | `{"test.jsonl": "d"}` |
/// | `task.prompt_hash` | `p` |
/// | `task.limit`, `task.items` | `Some(100)`, `100` |
/// | `task.samples_sha256` | `None` |
/// | `yardstick_version` | `0.1.0` |
/// | `git_commit` | `c0ffee` |
/// | `llama_cpp_version` | `b1` |
/// | `seed` | `1234` |
/// | `batching_scheme` | `one-per-choice` |
/// | `threads` | `2` |
/// | `prompt_format` | `None` |
pub fn fingerprint(model: &str, task: &str) -> FingerprintBuilder {
    FingerprintBuilder {
        fingerprint: Fingerprint {
            model: model.into(),
            model_sha256: format!("sha-{model}"),
            task: TaskFingerprint {
                task: task.into(),
                task_hash: format!("hash-{task}"),
                dataset_sha256: BTreeMap::from([("test.jsonl".into(), "d".into())]),
                prompt_hash: "p".into(),
                limit: Some(100),
                items: 100,
                samples_sha256: None,
            },
            yardstick_version: "0.1.0".into(),
            git_commit: "c0ffee".into(),
            llama_cpp_version: "b1".into(),
            seed: 1234,
            batching_scheme: "one-per-choice".into(),
            threads: 2,
            prompt_format: None,
            endpoint: None,
        },
    }
}

/// Builds a [`Fingerprint`]; start from [`fingerprint`]. Each setter replaces one field.
#[derive(Debug, Clone)]
#[must_use]
pub struct FingerprintBuilder {
    fingerprint: Fingerprint,
}

impl FingerprintBuilder {
    pub fn model_sha256(mut self, sha256: &str) -> Self {
        self.fingerprint.model_sha256 = sha256.into();
        self
    }

    pub fn task_hash(mut self, hash: &str) -> Self {
        self.fingerprint.task.task_hash = hash.into();
        self
    }

    /// The dataset files and their sha256, replacing the default one.
    pub fn dataset_sha256(mut self, files: &[(&str, &str)]) -> Self {
        self.fingerprint.task.dataset_sha256 = files
            .iter()
            .map(|(file, sha256)| (file.to_string(), sha256.to_string()))
            .collect();
        self
    }

    pub fn prompt_hash(mut self, hash: &str) -> Self {
        self.fingerprint.task.prompt_hash = hash.into();
        self
    }

    /// `--limit` as given; `items` is left as it is.
    pub fn limit(mut self, limit: Option<u64>) -> Self {
        self.fingerprint.task.limit = limit;
        self
    }

    /// The number of items selected; `limit` is left as it is.
    pub fn items(mut self, items: u64) -> Self {
        self.fingerprint.task.items = items;
        self
    }

    /// `--limit n` that selected `n` items: sets both `limit` and `items`.
    pub fn limited_to(self, items: u64) -> Self {
        self.limit(Some(items)).items(items)
    }

    pub fn samples_sha256(mut self, sha256: Option<&str>) -> Self {
        self.fingerprint.task.samples_sha256 = sha256.map(str::to_string);
        self
    }

    pub fn yardstick_version(mut self, version: &str) -> Self {
        self.fingerprint.yardstick_version = version.into();
        self
    }

    pub fn git_commit(mut self, commit: &str) -> Self {
        self.fingerprint.git_commit = commit.into();
        self
    }

    pub fn llama_cpp_version(mut self, version: &str) -> Self {
        self.fingerprint.llama_cpp_version = version.into();
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.fingerprint.seed = seed;
        self
    }

    pub fn batching_scheme(mut self, scheme: &str) -> Self {
        self.fingerprint.batching_scheme = scheme.into();
        self
    }

    pub fn threads(mut self, threads: u32) -> Self {
        self.fingerprint.threads = threads;
        self
    }

    pub fn prompt_format(mut self, format: Option<PromptFormat>) -> Self {
        self.fingerprint.prompt_format = format;
        self
    }

    /// The fingerprint.
    pub fn build(self) -> Fingerprint {
        self.fingerprint
    }

    /// Only its task part.
    pub fn build_task(self) -> TaskFingerprint {
        self.fingerprint.task
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_every_setter() {
        let default = fingerprint("m", "t").build();
        assert_eq!(default.model_sha256, "sha-m");
        assert_eq!(default.task.task_hash, "hash-t");
        assert_eq!((default.task.limit, default.task.items), (Some(100), 100));

        let format = PromptFormat {
            chat_template_sha256: Some("tmpl".into()),
            system_instruction: None,
            fewshot_as_multiturn: false,
        };
        let built = fingerprint("m", "t")
            .model_sha256("ms")
            .task_hash("th")
            .dataset_sha256(&[("a.jsonl", "x"), ("b.jsonl", "y")])
            .prompt_hash("ph")
            .limit(None)
            .items(7)
            .samples_sha256(Some("ss"))
            .yardstick_version("9.9.9")
            .git_commit("g")
            .llama_cpp_version("b9")
            .seed(5)
            .batching_scheme("bs")
            .threads(8)
            .prompt_format(Some(format.clone()))
            .build();
        let expected = Fingerprint {
            model: "m".into(),
            model_sha256: "ms".into(),
            task: TaskFingerprint {
                task: "t".into(),
                task_hash: "th".into(),
                dataset_sha256: BTreeMap::from([
                    ("a.jsonl".into(), "x".into()),
                    ("b.jsonl".into(), "y".into()),
                ]),
                prompt_hash: "ph".into(),
                limit: None,
                items: 7,
                samples_sha256: Some("ss".into()),
            },
            yardstick_version: "9.9.9".into(),
            git_commit: "g".into(),
            llama_cpp_version: "b9".into(),
            seed: 5,
            batching_scheme: "bs".into(),
            threads: 8,
            prompt_format: Some(format),
            endpoint: None,
        };
        assert_eq!(built, expected);
        assert_eq!(
            fingerprint("m", "t").limited_to(3).build_task(),
            TaskFingerprint {
                limit: Some(3),
                items: 3,
                ..fingerprint("m", "t").build_task()
            }
        );
    }
}
