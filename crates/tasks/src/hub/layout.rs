//! Which files of a hub dataset repository hold one split of one config, following the
//! rules of Hugging Face `datasets` (`data_files.py`), in its order:
//!
//! 1. configs declared in the `configs:` list of README.md's YAML front matter, each with
//!    `data_files` (a pattern, a list, a list of `{split, path}`, or a map split → path)
//!    and/or `data_dir`;
//! 2. otherwise the conventions, under the config's folder when a config is named (the
//!    layout `{config}/{split}-*.parquet`) or under `data_dir`: sharded files
//!    `data/{split}-00000-of-00003.parquet`; else split keywords in folder names
//!    (`test/…`, `…-test/…`); else in file names (`test-*.jsonl`, `…_test.csv`), where
//!    `validation` is also found as `valid`, `dev`, `val` and `test` as `testing`, `eval`,
//!    `evaluation`; else every file is `train`;
//! 3. the hub's automatic conversion (branch `refs/convert/parquet`):
//!    `{config}/{split}/0000.parquet` or `{config}/partial-{split}/…` (`default` when no
//!    config is named).
//!
//! Patterns are globs as Python's `glob` reads them: `*` and `?` within a path component,
//! `**` across components, `[…]` character classes with ranges.

use serde_yaml_ng::Value as Yaml;

/// One entry of README.md's `configs:` list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeclaredConfig {
    pub name: String,
    /// `default: true`.
    pub default: bool,
    /// split → patterns, relative to `data_dir` when it is set; empty when not given.
    pub data_files: Vec<(String, Vec<String>)>,
    pub data_dir: Option<String>,
}

/// Why no file was selected (the caller adds the dataset and the file list).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NoFiles {
    /// A config was named that README.md does not declare (and no folder has its name).
    UnknownConfig { available: Vec<String> },
    /// README.md declares several configs, none is the default, and none was named.
    ConfigRequired { available: Vec<String> },
    /// No file of the split, or only files in formats yardstick cannot read.
    NoSplit { unsupported: Vec<String> },
}

/// The split keywords of `datasets` (`SPLIT_KEYWORDS`); other splits match only by name.
fn split_keywords(split: &str) -> Vec<&str> {
    match split {
        "train" => vec!["train", "training"],
        "validation" => vec!["validation", "valid", "dev", "val"],
        "test" => vec!["test", "testing", "eval", "evaluation"],
        other => vec![other],
    }
}

/// Files `datasets` never takes as data (`FILES_TO_IGNORE`), and hidden paths.
fn is_data_candidate(path: &str) -> bool {
    const IGNORED: [&str; 6] = [
        "README.md",
        "config.json",
        "dataset_info.json",
        "dataset_infos.json",
        "dummy_data.zip",
        "dataset_dict.json",
    ];
    let name = path.rsplit('/').next().unwrap_or(path);
    !IGNORED.contains(&name)
        && !path
            .split('/')
            .any(|part| part.starts_with('.') || part.starts_with("__"))
}

/// Whether [`crate::dataset::RecordReader`] reads this file.
pub(crate) fn is_supported(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let base = lower.strip_suffix(".gz").unwrap_or(&lower);
    lower.ends_with(".parquet")
        || [".jsonl", ".json", ".csv"]
            .iter()
            .any(|extension| base.ends_with(extension))
}

/// The configs README.md declares (none when it has no front matter or no `configs:`).
pub(crate) fn declared_configs(readme: &str) -> Result<Vec<DeclaredConfig>, String> {
    let readme = readme.strip_prefix('\u{feff}').unwrap_or(readme);
    let Some(rest) = readme.strip_prefix("---") else {
        return Ok(Vec::new());
    };
    let Some(end) = rest.find("\n---") else {
        return Ok(Vec::new());
    };
    let front: Yaml = serde_yaml_ng::from_str(&rest[..end])
        .map_err(|error| format!("README.md front matter: {error}"))?;
    let Some(configs) = front.get("configs").and_then(Yaml::as_sequence) else {
        return Ok(Vec::new());
    };
    configs
        .iter()
        .map(|config| {
            let name = config
                .get("config_name")
                .and_then(Yaml::as_str)
                .unwrap_or("default")
                .to_owned();
            let data_files = match config.get("data_files") {
                None | Some(Yaml::Null) => Vec::new(),
                Some(value) => data_files(value).ok_or_else(|| {
                    format!("README.md config {name}: `data_files` has an unknown shape")
                })?,
            };
            Ok(DeclaredConfig {
                default: config.get("default").and_then(Yaml::as_bool) == Some(true),
                data_dir: config
                    .get("data_dir")
                    .and_then(Yaml::as_str)
                    .map(str::to_owned),
                name,
                data_files,
            })
        })
        .collect()
}

fn patterns(value: &Yaml) -> Option<Vec<String>> {
    match value {
        Yaml::String(pattern) => Some(vec![pattern.clone()]),
        Yaml::Sequence(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

fn data_files(value: &Yaml) -> Option<Vec<(String, Vec<String>)>> {
    if let Some(all) = patterns(value) {
        return Some(vec![("train".to_owned(), all)]);
    }
    match value {
        Yaml::Sequence(items) => items
            .iter()
            .map(|item| {
                let split = item.get("split").and_then(Yaml::as_str).unwrap_or("train");
                Some((split.to_owned(), patterns(item.get("path")?)?))
            })
            .collect(),
        Yaml::Mapping(map) => map
            .iter()
            .map(|(split, value)| Some((split.as_str()?.to_owned(), patterns(value)?)))
            .collect(),
        _ => None,
    }
}

/// The files of `split` among `files` (paths in the repository), sorted; `configs` from
/// README.md; `config`/`data_dir` as the task names them.
pub(crate) fn select_split(
    files: &[String],
    configs: &[DeclaredConfig],
    config: Option<&str>,
    data_dir: Option<&str>,
    split: &str,
) -> Result<Vec<String>, NoFiles> {
    let names = || configs.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    let declared = match config {
        Some(name) => configs.iter().find(|c| c.name == name),
        None => configs
            .iter()
            .find(|c| c.default)
            .or_else(|| configs.iter().find(|c| c.name == "default"))
            .or_else(|| configs.first().filter(|_| configs.len() == 1)),
    };
    let mut base = data_dir.map(str::to_owned);
    if let Some(declared) = declared {
        base = base.or_else(|| declared.data_dir.clone());
        if !declared.data_files.is_empty() {
            let chosen = declared
                .data_files
                .iter()
                .filter(|(name, _)| name == split)
                .flat_map(|(_, patterns)| patterns)
                .map(|pattern| join(base.as_deref(), pattern))
                .collect::<Vec<_>>();
            let matched = files
                .iter()
                .filter(|file| chosen.iter().any(|pattern| glob_match(pattern, file)));
            return supported(matched.filter(|file| is_data_candidate(file)));
        }
    } else if let Some(name) = config {
        // Not declared: the folder of that name, if there is one (`{config}/{split}-*`).
        let folder = format!("{name}/");
        if !files.iter().any(|file| file.starts_with(&folder)) {
            return Err(NoFiles::UnknownConfig { available: names() });
        }
        base = Some(join(base.as_deref(), name));
    } else if configs.len() > 1 {
        return Err(NoFiles::ConfigRequired { available: names() });
    }
    let prefix = base.map(|base| format!("{}/", base.trim_end_matches('/')));
    let relative: Vec<&str> = files
        .iter()
        .filter(|file| is_data_candidate(file))
        .filter_map(|file| match &prefix {
            Some(prefix) => file.strip_prefix(prefix.as_str()),
            None => Some(file.as_str()),
        })
        .collect();
    let matched = conventional(&relative, split);
    supported(matched.into_iter().map(|file| match &prefix {
        Some(prefix) => format!("{prefix}{file}"),
        None => file.to_owned(),
    }))
}

/// `datasets`' default patterns: the first family that finds any split decides.
fn conventional<'a>(files: &[&'a str], split: &str) -> Vec<&'a str> {
    let matching = |patterns: &[String]| -> Vec<&'a str> {
        files
            .iter()
            .copied()
            .filter(|file| patterns.iter().any(|pattern| glob_match(pattern, file)))
            .collect()
    };
    let digits = "[0-9][0-9][0-9][0-9][0-9]";
    let sharded = |split: &str| format!("data/{split}-{digits}-of-{digits}*.*");
    if !matching(&[sharded("*")]).is_empty() {
        return matching(&[sharded(split)]);
    }
    for in_folder_names in [true, false] {
        let patterns_of = |split: &str| keyword_patterns(split, in_folder_names);
        let any_default = ["train", "validation", "test"]
            .iter()
            .any(|default| !matching(&patterns_of(default)).is_empty());
        if any_default {
            return matching(&patterns_of(split));
        }
    }
    if split == "train" {
        files.to_vec()
    } else {
        Vec::new()
    }
}

/// `datasets`' patterns for a split's keywords in folder names or in file names
/// (`KEYWORDS_IN_DIR_NAME_BASE_PATTERNS`, `KEYWORDS_IN_FILENAME_BASE_PATTERNS`).
fn keyword_patterns(split: &str, in_folder_names: bool) -> Vec<String> {
    let separators = "[-._ 0-9]";
    split_keywords(split)
        .into_iter()
        .flat_map(|keyword| {
            if in_folder_names {
                vec![
                    format!("**/{keyword}/**"),
                    format!("**/{keyword}{separators}*/**"),
                    format!("**/*{separators}{keyword}/**"),
                    format!("**/*{separators}{keyword}{separators}*/**"),
                ]
            } else {
                vec![
                    format!("**/{keyword}{separators}*"),
                    format!("**/*{separators}{keyword}{separators}*"),
                ]
            }
        })
        .collect()
}

/// The readable files, sorted; an error naming the unreadable ones when that is all.
fn supported(files: impl Iterator<Item = impl AsRef<str>>) -> Result<Vec<String>, NoFiles> {
    let (mut readable, unsupported): (Vec<String>, Vec<String>) = files
        .map(|file| file.as_ref().to_owned())
        .partition(|file| is_supported(file));
    readable.sort();
    readable.dedup();
    if readable.is_empty() {
        return Err(NoFiles::NoSplit { unsupported });
    }
    Ok(readable)
}

/// The split's files in the parquet conversion branch (`refs/convert/parquet`).
pub(crate) fn converted_split(files: &[String], config: Option<&str>, split: &str) -> Vec<String> {
    let config = config.unwrap_or("default");
    let patterns = [
        format!("{config}/{split}/*.parquet"),
        format!("{config}/partial-{split}/*.parquet"),
        // The layout before 2023: `{config}/{dataset}-{split}[-00000-of-00002].parquet`.
        format!("{config}/*-{split}.parquet"),
        format!("{config}/*-{split}-[0-9][0-9][0-9][0-9][0-9]-of-*.parquet"),
    ];
    let mut chosen: Vec<String> = files
        .iter()
        .filter(|file| patterns.iter().any(|pattern| glob_match(pattern, file)))
        .cloned()
        .collect();
    chosen.sort();
    chosen
}

/// Whether every shard named `…-00001-of-00003.…` has its siblings (a partly downloaded
/// split in the cache must not pass for the whole split).
pub(crate) fn shards_complete(files: &[String]) -> bool {
    let mut groups: std::collections::BTreeMap<(String, u32), Vec<u32>> = Default::default();
    for file in files {
        let Some((head, tail)) = file.rsplit_once("-of-") else {
            continue;
        };
        let total = tail.get(..5).and_then(|digits| digits.parse::<u32>().ok());
        let index = head
            .get(head.len().saturating_sub(5)..)
            .and_then(|digits| digits.parse::<u32>().ok());
        if let (Some(total), Some(index)) = (total, index) {
            let stem = head[..head.len() - 5].to_owned();
            groups.entry((stem, total)).or_default().push(index);
        }
    }
    groups.into_iter().all(|((_, total), mut indexes)| {
        indexes.sort_unstable();
        indexes.dedup();
        indexes.len() == total as usize
    })
}

fn join(base: Option<&str>, path: &str) -> String {
    match base {
        Some(base) if !base.is_empty() => format!("{}/{path}", base.trim_end_matches('/')),
        _ => path.to_owned(),
    }
}

/// Python-`glob` matching of a repository path (see the module doc).
pub(crate) fn glob_match(pattern: &str, path: &str) -> bool {
    let pattern: Vec<char> = pattern.trim_start_matches("./").chars().collect();
    let path: Vec<char> = path.chars().collect();
    matches_from(&pattern, &path)
}

fn matches_from(pattern: &[char], path: &[char]) -> bool {
    match pattern {
        [] => path.is_empty(),
        ['*', '*', '/', rest @ ..] => {
            // Zero or more whole folders.
            matches_from(rest, path)
                || (0..path.len())
                    .filter(|&at| path[at] == '/')
                    .any(|at| matches_from(rest, &path[at + 1..]))
        }
        ['*', '*', rest @ ..] => (0..=path.len()).any(|at| matches_from(rest, &path[at..])),
        ['*', rest @ ..] => (0..=path.len())
            .take_while(|&at| at == 0 || path[at - 1] != '/')
            .any(|at| matches_from(rest, &path[at..])),
        ['?', rest @ ..] => {
            matches!(path.first(), Some(c) if *c != '/') && matches_from(rest, &path[1..])
        }
        ['[', rest @ ..] => match rest.iter().position(|c| *c == ']') {
            Some(close) if close > 0 => {
                let class = &rest[..close];
                let (negated, class) = match class {
                    ['!', class @ ..] => (true, class),
                    class => (false, class),
                };
                let Some(&first) = path.first() else {
                    return false;
                };
                let mut inside = false;
                let mut index = 0;
                while index < class.len() {
                    if index + 2 < class.len() && class[index + 1] == '-' {
                        inside |= (class[index]..=class[index + 2]).contains(&first);
                        index += 3;
                    } else {
                        inside |= class[index] == first;
                        index += 1;
                    }
                }
                inside != negated && first != '/' && matches_from(&rest[close + 1..], &path[1..])
            }
            _ => path.first() == Some(&'[') && matches_from(rest, &path[1..]),
        },
        [literal, rest @ ..] => path.first() == Some(literal) && matches_from(rest, &path[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(files: &[&str]) -> Vec<String> {
        files.iter().map(|file| (*file).to_owned()).collect()
    }

    #[test]
    fn globs_read_like_python() {
        assert!(glob_match("data/*.parquet", "data/a.parquet"));
        assert!(!glob_match("data/*.parquet", "data/x/a.parquet"));
        assert!(glob_match(
            "**/test[-._ 0-9]*",
            "test-00000-of-00001.parquet"
        ));
        assert!(glob_match("**/test[-._ 0-9]*", "a/b/test.jsonl"));
        assert!(!glob_match("**/test[-._ 0-9]*", "contest.jsonl"));
        assert!(glob_match("**/*[-._ 0-9]test/**", "x/my_test/a.csv"));
        assert!(glob_match(
            "ARC-Easy/test-*",
            "ARC-Easy/test-00000-of-00001.parquet"
        ));
        assert!(glob_match("data/**", "data/a/b.json"));
        assert!(glob_match("[!a]?", "bc") && !glob_match("[!a]?", "ac"));
    }

    #[test]
    fn conventions_find_the_split() {
        let files = paths(&[
            ".gitattributes",
            "README.md",
            "data/train-00000-of-00002.parquet",
            "data/train-00001-of-00002.parquet",
            "data/test-00000-of-00001.parquet",
        ]);
        assert_eq!(
            select_split(&files, &[], None, None, "test"),
            Ok(paths(&["data/test-00000-of-00001.parquet"]))
        );
        let files = paths(&["dev.jsonl", "test.jsonl", "mytest.jsonl", "x/train.csv"]);
        assert_eq!(
            select_split(&files, &[], None, None, "validation"),
            Ok(paths(&["dev.jsonl"]))
        );
        let files = paths(&["ARC-Easy/test-0.parquet", "ARC-Challenge/test-0.parquet"]);
        assert_eq!(
            select_split(&files, &[], Some("ARC-Easy"), None, "test"),
            Ok(paths(&["ARC-Easy/test-0.parquet"]))
        );
        assert_eq!(
            select_split(&files, &[], Some("ARC-Hard"), None, "test"),
            Err(NoFiles::UnknownConfig { available: vec![] })
        );
        let files = paths(&["only.jsonl", "script.py"]);
        assert_eq!(
            select_split(&files, &[], None, None, "train"),
            Ok(paths(&["only.jsonl"]))
        );
        let files = paths(&["README.md", "script.py"]);
        assert_eq!(
            select_split(&files, &[], None, None, "train"),
            Err(NoFiles::NoSplit {
                unsupported: paths(&["script.py"])
            })
        );
    }

    #[test]
    fn readme_configs_decide() {
        let readme = "---\nlicense: mit\nconfigs:\n- config_name: easy\n  data_files:\n  \
                      - split: test\n    path: e/test-*\n- config_name: hard\n  default: true\n  \
                      data_files:\n    test: [h/t1.jsonl, h/t2.jsonl]\n---\n# Card\n";
        let configs = declared_configs(readme).unwrap_or_default();
        assert_eq!(configs.len(), 2);
        let files = paths(&["e/test-0.parquet", "h/t1.jsonl", "h/t2.jsonl", "h/t3.jsonl"]);
        assert_eq!(
            select_split(&files, &configs, Some("easy"), None, "test"),
            Ok(paths(&["e/test-0.parquet"]))
        );
        assert_eq!(
            select_split(&files, &configs, None, None, "test"),
            Ok(paths(&["h/t1.jsonl", "h/t2.jsonl"]))
        );
        assert_eq!(
            select_split(&files, &configs, Some("medium"), None, "test"),
            Err(NoFiles::UnknownConfig {
                available: paths(&["easy", "hard"])
            })
        );
    }

    #[test]
    fn conversion_branch_and_shards() {
        let files = paths(&[
            "default/test/0000.parquet",
            "default/partial-train/0000.parquet",
            "other/test/0000.parquet",
        ]);
        assert_eq!(
            converted_split(&files, None, "test"),
            paths(&["default/test/0000.parquet"])
        );
        assert_eq!(
            converted_split(&files, None, "train"),
            paths(&["default/partial-train/0000.parquet"])
        );
        assert!(shards_complete(&paths(&[
            "data/test-00000-of-00002.parquet",
            "data/test-00001-of-00002.parquet",
            "a.jsonl"
        ])));
        assert!(!shards_complete(&paths(&[
            "data/test-00001-of-00002.parquet"
        ])));
    }
}
