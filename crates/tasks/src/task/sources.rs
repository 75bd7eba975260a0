//! Where a task's docs come from: the data files of each split it reads (local files or a
//! Hugging Face hub dataset), the `process_docs` hook that turns records into docs, the
//! fingerprint's file digests, and the few-shot docs with their seeded sampler.

use super::definition::TaskDefinition;
use crate::dataset::{file_sha256, resolve_data_file, RecordReader};
use crate::error::TaskError;
use crate::fewshot::{passes_eval_doc, FewshotSampler, SamplerKind};
use crate::hub::{self, HubDatasetRef, HubOptions};
use crate::loader::Origin;
use crate::process_docs::{self, DocProcessor, HookContext};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Few-shot docs and the sampler that picks from them, shared across a task's items in
/// order, as lm-eval's sampler is.
pub(super) struct FewshotSource {
    pub docs: Vec<Map<String, Value>>,
    pub sampler: FewshotSampler,
    pub num: usize,
    pub same_split: bool,
}

impl TaskDefinition {
    /// The data-file keys (splits) this task reads: the evaluation split, the few-shot split
    /// when examples come from one, and the files the `process_docs` hook reads.
    fn split_keys(&self) -> Result<Vec<String>, TaskError> {
        let config = self.config();
        let split = config.eval_split().ok_or_else(|| {
            self.config_error(
                "test_split",
                "neither test_split nor validation_split is set",
            )
        })?;
        let mut keys = vec![split.to_string()];
        if let Some(fewshot_split) = self.fewshot_split() {
            if !keys.contains(&fewshot_split) {
                keys.push(fewshot_split);
            }
        }
        if let Some(hook) = config.process_docs.as_deref().and_then(process_docs::find) {
            keys.extend(hook.extra_files.iter().map(|key| key.to_string()));
        }
        Ok(keys)
    }

    /// Where few-shot docs come from when they come from a split: `fewshot_split`, else (no
    /// `samples` in the YAML) lm-eval's fallback: training, validation, then test split.
    fn fewshot_split(&self) -> Option<String> {
        let config = self.config();
        if self.num_fewshot() == 0 {
            return None;
        }
        if let Some(split) = &config.fewshot_split {
            return Some(split.clone());
        }
        if config.fewshot_config.samples.is_some() {
            return None;
        }
        config
            .training_split
            .clone()
            .or_else(|| config.validation_split.clone())
            .or_else(|| config.test_split.clone())
    }

    /// The data files items are read from (the evaluation split's, the few-shot split's, then
    /// the files the `process_docs` hook reads), as named in `dataset_kwargs.data_files`.
    pub fn data_files(&self) -> Result<Vec<String>, TaskError> {
        let config = self.config();
        if config.dataset_kwargs.data_files.is_empty() {
            return Err(self.unsupported(format!(
                "loading the Hugging Face dataset `{}` without a local data directory (give local files in dataset_kwargs.data_files)",
                config.dataset_path.as_deref().unwrap_or("?")
            )));
        }
        let mut files = Vec::new();
        for (position, key) in self.split_keys()?.into_iter().enumerate() {
            match config.dataset_kwargs.data_files.get(&key) {
                Some(names) => files.extend(names.iter().cloned()),
                // The evaluation split is required; the others only when they are used.
                None if position == 0 => {
                    return Err(self.config_error(
                        "dataset_kwargs.data_files",
                        format!("has no files for the `{key}` split"),
                    ))
                }
                None => {
                    return Err(self.config_error(
                        "dataset_kwargs.data_files",
                        format!(
                            "has no files for the `{key}` split, which the {} few-shot examples come from (set num_fewshot to 0, e.g. with --num-fewshot 0, or add the split's files)",
                            self.num_fewshot()
                        ),
                    ))
                }
            }
        }
        Ok(files)
    }

    /// The hub dataset `dataset_path` names, if it names one (not one of `datasets`' file
    /// loaders such as `json`).
    pub fn hub_dataset(&self) -> Option<HubDatasetRef> {
        const FILE_LOADERS: [&str; 7] = [
            "json",
            "csv",
            "parquet",
            "text",
            "arrow",
            "pandas",
            "webdataset",
        ];
        let config = self.config();
        let path = config.dataset_path.as_deref()?;
        if FILE_LOADERS.contains(&path) {
            return None;
        }
        let option = |key: &str| {
            config
                .dataset_kwargs
                .other
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Some(HubDatasetRef {
            path: path.to_string(),
            name: config.dataset_name.clone(),
            revision: option("revision"),
            data_dir: option("data_dir"),
        })
    }

    /// Whether the task reads its data from the hub: it names a hub dataset and has no local
    /// files to read (no `data_files`, or a built-in task without a local data directory).
    pub fn reads_hub(&self, data_dir: &Path) -> bool {
        let has_files = !self.config().dataset_kwargs.data_files.is_empty();
        let builtin_only = has_files
            && self
                .config()
                .dataset_kwargs
                .data_files
                .values()
                .flatten()
                .all(|file| file.starts_with(crate::builtin::BUILTIN_DATA));
        let local = has_files
            && (builtin_only || matches!(self.origin(), Origin::File(_)) || data_dir.is_dir());
        !local && self.hub_dataset().is_some()
    }

    /// The files of one split, named as in the config (local) or `hf://datasets/...` (hub).
    pub(super) fn split_files(
        &self,
        data_dir: &Path,
        split: &str,
    ) -> Result<Vec<(String, PathBuf)>, TaskError> {
        if self.reads_hub(data_dir) {
            let dataset = self
                .hub_dataset()
                .ok_or_else(|| self.unsupported("a hub dataset without dataset_path"))?;
            let hint = if matches!(self.origin(), Origin::Builtin(_)) {
                format!(
                    "; or read the local files: the data directory {} does not exist (set YARDSTICK_DATA or pass --data-dir)",
                    data_dir.display()
                )
            } else {
                String::new()
            };
            let hub_error = |source: hub::HubError| TaskError::Hub {
                task: self.name().to_string(),
                source: Box::new(source),
                hint: hint.clone(),
            };
            let options = HubOptions::from_env().map_err(hub_error)?;
            let fetched = hub::fetch_dataset_split(&dataset, split, &options).map_err(hub_error)?;
            return Ok(fetched.record_files());
        }
        self.data_files()?;
        self.config()
            .dataset_kwargs
            .data_files
            .get(split)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|file| self.resolve_file(data_dir, &file).map(|path| (file, path)))
            .collect()
    }

    /// sha256 of every data file the task reads, by its name in `data_files` (or its
    /// `hf://` name for hub data).
    pub fn dataset_sha256(&self, data_dir: &Path) -> Result<BTreeMap<String, String>, TaskError> {
        let mut files: Vec<(String, PathBuf)> = Vec::new();
        if self.reads_hub(data_dir) {
            for split in self.split_keys()? {
                files.extend(self.split_files(data_dir, &split)?);
            }
        } else {
            for file in self.data_files()? {
                let path = self.resolve_file(data_dir, &file)?;
                files.push((file, path));
            }
        }
        files
            .into_iter()
            .map(|(file, path)| {
                let digest = file_sha256(&path).map_err(|source| TaskError::Io {
                    task: self.name().to_string(),
                    file: file.clone(),
                    source,
                })?;
                Ok((file, digest))
            })
            .collect()
    }

    /// Where a `data_files` entry is. Built-in tasks: under the data directory. Tasks from a
    /// YAML file on disk: an absolute path as it is; a relative one, as Hugging Face
    /// `datasets` (and so lm-eval) resolves it, against the current directory, then next to
    /// the YAML file, then under the data directory.
    fn resolve_file(&self, data_dir: &Path, file: &str) -> Result<PathBuf, TaskError> {
        if let Some(path) = file.strip_prefix(crate::builtin::BUILTIN_DATA) {
            return crate::builtin::materialize(path).map_err(|message| {
                self.config_error("dataset_kwargs.data_files", format!("`{file}`: {message}"))
            });
        }
        if let Origin::File(yaml) = self.origin() {
            let mut bases: Vec<PathBuf> = Vec::new();
            if let Ok(current) = std::env::current_dir() {
                bases.push(current);
            }
            if let Some(parent) = yaml.parent() {
                bases.push(parent.to_path_buf());
            }
            if let Some(found) = bases
                .iter()
                .map(|base| base.join(file))
                .find(|candidate| candidate.is_file())
            {
                return Ok(found);
            }
            if !data_dir.is_dir() {
                return Err(TaskError::DataFileMissing {
                    task: self.name().to_string(),
                    file: file.to_string(),
                    path: bases
                        .first()
                        .map(|base| base.join(file))
                        .unwrap_or_default(),
                });
            }
        }
        resolve_data_file(self.name(), data_dir, file)
    }

    fn hook_context<'a>(&'a self, data_dir: &'a Path) -> HookContext<'a> {
        HookContext {
            task: self.name(),
            dataset_name: self.config().dataset_name.as_deref(),
            data_dir,
            data_files: &self.config().dataset_kwargs.data_files,
        }
    }

    pub(super) fn processor(
        &self,
        data_dir: &Path,
    ) -> Result<Option<Box<dyn DocProcessor>>, TaskError> {
        match self
            .config()
            .process_docs
            .as_deref()
            .and_then(process_docs::find)
        {
            Some(hook) if self.reads_hub(data_dir) => {
                hook.create_for_hub(&self.hook_context(data_dir))
            }
            Some(hook) => Ok(Some(hook.create(&self.hook_context(data_dir))?)),
            None => Ok(None),
        }
    }

    /// The docs of one split (after `process_docs`), read into memory.
    fn split_docs(
        &self,
        data_dir: &Path,
        split: &str,
    ) -> Result<Vec<Map<String, Value>>, TaskError> {
        let files = self.split_files(data_dir, split)?;
        let mut processor = self.processor(data_dir)?;
        let mut docs = Vec::new();
        for record in RecordReader::new(self.name(), files) {
            let record = record?;
            let (file, location) = (record.file.clone(), record.location);
            let fields = match processor.as_mut() {
                None => Some(record.fields),
                Some(processor) => {
                    processor
                        .process(record)
                        .map_err(|message| TaskError::Record {
                            task: self.name().to_string(),
                            file,
                            location,
                            message,
                        })?
                }
            };
            docs.extend(fields);
        }
        Ok(docs)
    }

    /// The few-shot examples' source for a run: docs and a seeded sampler.
    pub(super) fn fewshot_source(
        &self,
        data_dir: &Path,
        seed: u64,
    ) -> Result<Option<FewshotSource>, TaskError> {
        let num = self.num_fewshot();
        if num == 0 {
            return Ok(None);
        }
        let config = self.config();
        let docs = match self.fewshot_split() {
            Some(split) => self.split_docs(data_dir, &split)?,
            None => config.fewshot_config.samples.clone().unwrap_or_default(),
        };
        // lm-eval passes the eval doc to the sampler (to leave it out) when the configured
        // few-shot split equals the test split, comparing the config values as they are.
        let same_split = passes_eval_doc(
            config.fewshot_split.as_deref(),
            config.test_split.as_deref(),
        );
        let kind = match config.fewshot_config.sampler.as_deref() {
            Some("first_n") => SamplerKind::FirstN,
            _ => SamplerKind::Default,
        };
        if (docs.len() as u64) < num {
            return Err(self.config_error(
                "num_fewshot",
                format!(
                    "asks for {num} few-shot examples but only {} few-shot docs exist",
                    docs.len()
                ),
            ));
        }
        let sampler = FewshotSampler::new(kind, seed, docs.len());
        Ok(Some(FewshotSource {
            docs,
            sampler,
            num: num as usize,
            same_split,
        }))
    }
}
