//! The registry of task, group and tag names, and resolving a name to what must run.

use crate::builtin;
use crate::error::TaskError;
use crate::group::{GroupConfig, GroupDefinition};
use crate::loader::{load, Origin};
use crate::task::TaskDefinition;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

/// What a registered name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    Task,
    /// A group: runs its members and reports aggregate records.
    Group,
    /// A tag: every task carrying it; no aggregate records.
    Tag,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Task => "task",
            EntryKind::Group => "group",
            EntryKind::Tag => "tag",
        }
    }
}

/// One selectable name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RegistryEntry {
    pub name: String,
    pub kind: EntryKind,
}

/// What a name resolved to: the leaf tasks to run and the groups to aggregate.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The name that was asked for.
    pub name: String,
    /// Leaf tasks, in order, without repeats. Each passed `check_supported`.
    pub tasks: Vec<TaskDefinition>,
    /// Every group involved, members before the groups containing them (so records can be
    /// aggregated front to back).
    pub groups: Vec<GroupDefinition>,
}

/// Task and group configs by name.
#[derive(Debug, Clone, Default)]
pub struct TaskRegistry {
    /// In registration order (built-ins: sorted by path).
    tasks: Vec<TaskDefinition>,
    groups: Vec<(GroupConfig, Origin)>,
    task_index: BTreeMap<String, usize>,
    group_index: BTreeMap<String, usize>,
}

impl TaskRegistry {
    /// An empty registry.
    pub fn new() -> TaskRegistry {
        TaskRegistry::default()
    }

    /// The built-in tasks and groups.
    pub fn builtin() -> Result<TaskRegistry, TaskError> {
        let mut registry = TaskRegistry::new();
        for path in builtin::config_paths() {
            registry.add(Origin::Builtin(path.to_string()))?;
        }
        Ok(registry)
    }

    /// Adds a task or group YAML file from disk (its `include`s are resolved relative to it).
    /// A file that is neither (e.g. a template only meant to be included) is skipped.
    pub fn add_file(&mut self, path: &Path) -> Result<(), TaskError> {
        self.add(Origin::File(path.to_path_buf()))
    }

    /// Adds every `*.yaml` file under `dir`, recursively, in path order.
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), TaskError> {
        fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_dir() {
                    collect(&path, files)?;
                } else if path
                    .extension()
                    .is_some_and(|extension| extension == "yaml")
                {
                    files.push(path);
                }
            }
            Ok(())
        }
        let mut files = Vec::new();
        collect(dir, &mut files).map_err(|error| TaskError::Yaml {
            origin: dir.display().to_string(),
            message: format!("cannot list task files: {error}"),
        })?;
        files.sort();
        files.iter().try_for_each(|file| self.add_file(file))
    }

    fn add(&mut self, origin: Origin) -> Result<(), TaskError> {
        let config = load(&origin)?;
        // As lm-eval's index: a `group` key makes a group, else a `task` key a task; files
        // with neither (templates meant to be included) are not configs.
        if config.contains_key("group") {
            let group = GroupConfig::from_map(config, &origin)?;
            self.check_new_name(&group.group, &origin)?;
            self.group_index
                .insert(group.group.clone(), self.groups.len());
            self.groups.push((group, origin));
        } else if config.contains_key("task") {
            let task = TaskDefinition::new(config, origin.clone())?;
            self.check_new_name(task.name(), &origin)?;
            self.task_index
                .insert(task.name().to_string(), self.tasks.len());
            self.tasks.push(task);
        }
        Ok(())
    }

    fn check_new_name(&self, name: &str, origin: &Origin) -> Result<(), TaskError> {
        let existing = self
            .task_index
            .get(name)
            .map(|index| self.tasks[*index].origin().to_string())
            .or_else(|| {
                self.group_index
                    .get(name)
                    .map(|index| self.groups[*index].1.to_string())
            });
        match existing {
            Some(first) => Err(TaskError::Duplicate {
                name: name.to_string(),
                first,
                second: origin.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// A task by name.
    pub fn task(&self, name: &str) -> Option<&TaskDefinition> {
        self.task_index.get(name).map(|index| &self.tasks[*index])
    }

    /// The tasks carrying `tag`, in registration order.
    fn tagged(&self, tag: &str) -> Vec<&TaskDefinition> {
        self.tasks
            .iter()
            .filter(|task| task.config().tags.iter().any(|candidate| candidate == tag))
            .collect()
    }

    /// Every selectable name, sorted by name.
    pub fn entries(&self) -> Vec<RegistryEntry> {
        let mut entries: BTreeMap<String, EntryKind> = BTreeMap::new();
        for task in &self.tasks {
            for tag in &task.config().tags {
                entries.insert(tag.clone(), EntryKind::Tag);
            }
        }
        // Tasks and groups win over tags of the same name (they are resolved first).
        for (group, _) in &self.groups {
            entries.insert(group.group.clone(), EntryKind::Group);
        }
        for task in &self.tasks {
            entries.insert(task.name().to_string(), EntryKind::Task);
        }
        entries
            .into_iter()
            .map(|(name, kind)| RegistryEntry { name, kind })
            .collect()
    }

    /// The tasks to run for `name` (a task, a group, or a tag) and the groups to aggregate,
    /// each task checked with [`TaskDefinition::check_supported`].
    pub fn resolve(&self, name: &str) -> Result<Resolved, TaskError> {
        let mut resolved = Resolved {
            name: name.to_string(),
            tasks: Vec::new(),
            groups: Vec::new(),
        };
        if let Some(task) = self.task(name) {
            resolved.tasks.push(task.clone());
        } else if self.group_index.contains_key(name) {
            let mut leaves = Vec::new();
            self.expand_group(name, &mut leaves, &mut resolved.groups, &mut Vec::new())?;
            resolved.tasks = leaves;
        } else {
            let tagged = self.tagged(name);
            if tagged.is_empty() {
                return Err(self.unknown(name));
            }
            resolved.tasks = tagged.into_iter().cloned().collect();
        }
        for task in &resolved.tasks {
            task.check_supported()?;
        }
        Ok(resolved)
    }

    /// Appends the leaves of group `name` to `leaves` (skipping repeats) and the group, after
    /// its sub-groups, to `groups`; returns this group's own leaves.
    fn expand_group(
        &self,
        name: &str,
        leaves: &mut Vec<TaskDefinition>,
        groups: &mut Vec<GroupDefinition>,
        stack: &mut Vec<String>,
    ) -> Result<Vec<String>, TaskError> {
        let Some((config, origin)) = self.group_index.get(name).map(|index| &self.groups[*index])
        else {
            return Err(self.unknown(name));
        };
        if stack.iter().any(|outer| outer == name) {
            return Err(TaskError::Config {
                origin: origin.to_string(),
                key: "task".into(),
                message: format!("group `{name}` contains itself"),
            });
        }
        stack.push(name.to_string());
        let mut children = Vec::new();
        let mut own_leaves: Vec<String> = Vec::new();
        for member in &config.task {
            if let Some(task) = self.task(member) {
                children.push(member.clone());
                add_leaf(task, &mut own_leaves, leaves);
            } else if self.group_index.contains_key(member.as_str()) {
                children.push(member.clone());
                for leaf in self.expand_group(member, leaves, groups, stack)? {
                    if !own_leaves.contains(&leaf) {
                        own_leaves.push(leaf);
                    }
                }
            } else {
                let tagged = self.tagged(member);
                if tagged.is_empty() {
                    return Err(TaskError::Config {
                        origin: origin.to_string(),
                        key: "task".into(),
                        message: format!(
                            "group `{name}` names `{member}`, which is not a task, group or tag"
                        ),
                    });
                }
                for task in tagged {
                    children.push(task.name().to_string());
                    add_leaf(task, &mut own_leaves, leaves);
                }
            }
        }
        stack.pop();
        if !groups.iter().any(|group| group.name() == name) {
            groups.push(GroupDefinition {
                config: config.clone(),
                origin: origin.clone(),
                children,
                leaves: own_leaves.clone(),
            });
        }
        Ok(own_leaves)
    }

    fn unknown(&self, name: &str) -> TaskError {
        let names: Vec<String> = self.entries().into_iter().map(|entry| entry.name).collect();
        let closest = names
            .iter()
            .map(|candidate| (edit_distance(name, candidate), candidate))
            .min()
            .filter(|(distance, candidate)| *distance <= (candidate.chars().count() / 3).max(2));
        TaskError::UnknownTask {
            name: name.to_string(),
            suggestion: closest
                .map(|(_, candidate)| format!(" (did you mean `{candidate}`?)"))
                .unwrap_or_default(),
            valid: names.join(", "),
        }
    }
}

/// Records `task` as a leaf of the group being expanded and of the whole selection.
fn add_leaf(task: &TaskDefinition, own: &mut Vec<String>, leaves: &mut Vec<TaskDefinition>) {
    if !own.iter().any(|leaf| leaf == task.name()) {
        own.push(task.name().to_string());
    }
    if !leaves.iter().any(|leaf| leaf.name() == task.name()) {
        leaves.push(task.clone());
    }
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// The built-in registry, parsed once per process.
fn builtin_registry() -> Result<&'static TaskRegistry, TaskError> {
    static BUILTIN: OnceLock<Result<TaskRegistry, String>> = OnceLock::new();
    BUILTIN
        .get_or_init(|| TaskRegistry::builtin().map_err(|error| error.to_string()))
        .as_ref()
        .map_err(|message| TaskError::Yaml {
            origin: "built-in tasks".into(),
            message: message.clone(),
        })
}

/// The built-in names (tasks, groups, tags), sorted.
pub fn list() -> Result<Vec<RegistryEntry>, TaskError> {
    Ok(builtin_registry()?.entries())
}

/// Resolves a built-in name; see [`TaskRegistry::resolve`].
pub fn resolve(name: &str) -> Result<Resolved, TaskError> {
    builtin_registry()?.resolve(name)
}

/// Whether a `--tasks` entry names a YAML file or a directory of them rather than a
/// registered name.
pub fn is_path_spec(spec: &str) -> bool {
    let path = Path::new(spec);
    spec.ends_with(".yaml") || spec.ends_with(".yml") || path.is_dir() || spec.contains('/')
}

/// Resolves a `--tasks` entry: a built-in name, or a YAML file (or a directory of them) of
/// the user's own tasks and groups, which may use the built-in tasks. Everything the file(s)
/// define is selected.
pub fn resolve_spec(spec: &str) -> Result<Resolved, TaskError> {
    if !is_path_spec(spec) {
        return resolve(spec);
    }
    let path = Path::new(spec);
    if !path.exists() {
        return Err(TaskError::Yaml {
            origin: spec.to_string(),
            message: "no such task file or directory".into(),
        });
    }
    let mut own = TaskRegistry::new();
    let mut combined = TaskRegistry::builtin()?;
    if path.is_dir() {
        own.add_dir(path)?;
        combined.add_dir(path)?;
    } else {
        own.add_file(path)?;
        combined.add_file(path)?;
    }
    let names: Vec<String> = own
        .entries()
        .into_iter()
        .filter(|entry| entry.kind != EntryKind::Tag)
        .map(|entry| entry.name)
        .collect();
    if names.is_empty() {
        return Err(TaskError::Yaml {
            origin: spec.to_string(),
            message: "defines no task or group (no `task:` or `group:` key)".into(),
        });
    }
    let mut resolved = Resolved {
        name: spec.to_string(),
        tasks: Vec::new(),
        groups: Vec::new(),
    };
    for name in names {
        let one = combined.resolve(&name)?;
        for task in one.tasks {
            if !resolved
                .tasks
                .iter()
                .any(|known| known.name() == task.name())
            {
                resolved.tasks.push(task);
            }
        }
        for group in one.groups {
            if !resolved
                .groups
                .iter()
                .any(|known| known.name() == group.name())
            {
                resolved.groups.push(group);
            }
        }
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("arc_esay", "arc_easy"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("hellaswag", "hellaswag"), 0);
    }
}
