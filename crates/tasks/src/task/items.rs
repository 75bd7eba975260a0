//! A task's items, streamed: the evaluation split's records are read lazily, passed through
//! `process_docs`, selected (`--limit`, `--samples`) and rendered one by one; and the task
//! side of a run fingerprint, which reads and renders the selected items once.

use super::definition::TaskDefinition;
use super::item::{Selection, TaskItem};
use super::render::PromptRenderer;
use crate::dataset::{RawRecord, RecordReader};
use crate::error::{RecordLocation, TaskError};
use crate::metrics::TaskMetric;
use crate::process_docs::DocProcessor;
use std::path::Path;
use yardstick_core::{StreamHasher, TaskFingerprint};

/// The items of a task, streamed. Stops after the first error.
pub struct TaskItems<'a> {
    task: &'a TaskDefinition,
    metrics: &'a [TaskMetric],
    records: RecordReader,
    processor: Option<Box<dyn DocProcessor>>,
    prompts: PromptRenderer<'a>,
    selection: Selection,
    next_index: u64,
    selected: u64,
    finished: bool,
}

impl std::fmt::Debug for TaskItems<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskItems")
            .field("task", &self.task.name())
            .field("next_index", &self.next_index)
            .finish_non_exhaustive()
    }
}

impl TaskItems<'_> {
    /// The metrics each item will be scored with.
    pub fn metrics(&self) -> &[TaskMetric] {
        self.metrics
    }

    fn fail(
        &mut self,
        file: String,
        location: RecordLocation,
        message: String,
    ) -> Option<Result<TaskItem, TaskError>> {
        self.finished = true;
        Some(Err(TaskError::Record {
            task: self.task.name().to_string(),
            file,
            location,
            message,
        }))
    }
}

impl Iterator for TaskItems<'_> {
    type Item = Result<TaskItem, TaskError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.finished
                || self
                    .selection
                    .limit
                    .is_some_and(|limit| self.selected >= limit)
            {
                return None;
            }
            let record: RawRecord = match self.records.next()? {
                Ok(record) => record,
                Err(error) => {
                    self.finished = true;
                    return Some(Err(error));
                }
            };
            let (file, location) = (record.file.clone(), record.location);
            let fields = match self.processor.as_mut() {
                None => record.fields,
                Some(processor) => match processor.process(record) {
                    Ok(Some(fields)) => fields,
                    Ok(None) => continue,
                    Err(message) => return self.fail(file, location, message),
                },
            };
            if !self.selection.includes(self.next_index) {
                self.next_index += 1;
                continue;
            }
            return match self.prompts.item(self.next_index, fields) {
                Ok(item) => {
                    self.next_index += 1;
                    self.selected += 1;
                    Some(Ok(item))
                }
                Err(message) => self.fail(file, location, message),
            };
        }
    }
}

impl TaskDefinition {
    /// The first `limit` items (all without a limit), in dataset order, read lazily.
    pub fn items(&self, data_dir: &Path, limit: Option<u64>) -> Result<TaskItems<'_>, TaskError> {
        self.select_items(data_dir, &Selection::first(limit), 1234)
    }

    /// The selected items, in dataset order, read lazily; `seed` seeds few-shot sampling
    /// (lm-eval's `fewshot_random_seed`, 1234 by default).
    pub fn select_items(
        &self,
        data_dir: &Path,
        selection: &Selection,
        seed: u64,
    ) -> Result<TaskItems<'_>, TaskError> {
        self.check_supported()?;
        let split = self.config().eval_split().unwrap_or_default();
        if !self.reads_hub(data_dir) {
            // Every split the task reads must be there before anything is read.
            self.data_files()?;
        }
        let files = self.split_files(data_dir, split)?;
        Ok(TaskItems {
            task: self,
            metrics: self.scoring_plan()?.metrics(),
            records: RecordReader::new(self.name(), files),
            processor: self.processor(data_dir)?,
            prompts: PromptRenderer::new(
                self.config(),
                self.fewshot_source(data_dir, seed)?,
                selection.system_instruction.clone(),
            ),
            selection: selection.clone(),
            next_index: 0,
            selected: 0,
            finished: false,
        })
    }

    /// How many items the evaluation split has (reads it once).
    pub fn count_items(&self, data_dir: &Path) -> Result<u64, TaskError> {
        let mut count = 0;
        for item in self.select_items(data_dir, &Selection::default(), 1234)? {
            item?;
            count += 1;
        }
        Ok(count)
    }

    /// The task side of a run fingerprint: reads and renders the selected items once.
    pub fn fingerprint(
        &self,
        data_dir: &Path,
        limit: Option<u64>,
    ) -> Result<TaskFingerprint, TaskError> {
        self.fingerprint_selection(data_dir, &Selection::first(limit), 1234)
    }

    /// [`TaskDefinition::fingerprint`] for any selection and few-shot seed.
    pub fn fingerprint_selection(
        &self,
        data_dir: &Path,
        selection: &Selection,
        seed: u64,
    ) -> Result<TaskFingerprint, TaskError> {
        let mut hasher = StreamHasher::new();
        let mut items = 0;
        for item in self.select_items(data_dir, selection, seed)? {
            item?.hash_into(&mut hasher);
            items += 1;
        }
        Ok(TaskFingerprint {
            task: self.name().to_string(),
            task_hash: self.task_hash(),
            dataset_sha256: self.dataset_sha256(data_dir)?,
            prompt_hash: hasher.finish(),
            limit: selection.limit,
            items,
            samples_sha256: selection.indices_sha256(),
        })
    }
}
