//! Prompt rendering: one doc (after `process_docs`) becomes a [`TaskItem`] exactly as lm-eval
//! renders it — `doc_to_text`, `doc_to_target` and `doc_to_choice` (templates, doc keys or
//! Rust `!function` hooks), the description, the few-shot examples with their own fields and
//! delimiters, multiple-input tasks (Winogrande), the chat messages and the loglikelihood
//! pairs or generation settings of the output type.

use super::item::{ItemKind, SamplingSpec, TaskItem};
use super::sources::FewshotSource;
use crate::config::{DocField, GenerationKwargs, OutputType, TaskConfig};
use crate::context::{self, ContextParts, FewshotTurn, Message};
use crate::functions;
use crate::template::{Doc, Renderer, TargetValue, TextValue};
use serde_json::{Map, Value};
use yardstick_backend::LoglikelihoodRequest;

/// Renders a task's docs into items, in order: the few-shot sampler advances with every
/// doc, as lm-eval's does.
pub(super) struct PromptRenderer<'a> {
    config: &'a TaskConfig,
    renderer: Renderer,
    fewshot: Option<FewshotSource>,
    fewshot_format: FewshotFormat,
    /// lm-eval's `--system_instruction`.
    system_instruction: Option<String>,
}

/// How few-shot examples are rendered: `fewshot_config`'s fields, else the task's.
struct FewshotFormat {
    text: Option<DocField>,
    target: Option<DocField>,
    choice: Option<DocField>,
    gen_prefix: Option<String>,
    target_delimiter: String,
    fewshot_delimiter: String,
}

impl FewshotFormat {
    fn of(config: &TaskConfig) -> FewshotFormat {
        let fewshot = &config.fewshot_config;
        FewshotFormat {
            text: fewshot
                .doc_to_text
                .clone()
                .or_else(|| config.doc_to_text.clone()),
            target: fewshot
                .doc_to_target
                .clone()
                .or_else(|| config.doc_to_target.clone()),
            choice: fewshot
                .doc_to_choice
                .clone()
                .or_else(|| config.doc_to_choice.clone()),
            gen_prefix: fewshot
                .gen_prefix
                .clone()
                .or_else(|| config.gen_prefix.clone()),
            target_delimiter: fewshot
                .target_delimiter
                .clone()
                .unwrap_or_else(|| config.target_delimiter.clone()),
            fewshot_delimiter: fewshot
                .fewshot_delimiter
                .clone()
                .unwrap_or_else(|| config.fewshot_delimiter.clone()),
        }
    }
}

/// One doc rendered: question (or the index of the gold input), choices, target.
struct Rendered {
    text: TextValue,
    choices: Option<Vec<String>>,
    target: TargetValue,
}

/// What the model is asked per input: the questions (one, or one per input of a
/// multiple-input task), the gold index and a multiple-input task's shared continuation.
struct Inputs {
    questions: Vec<String>,
    gold: usize,
    shared_continuation: Option<String>,
}

impl<'a> PromptRenderer<'a> {
    pub(super) fn new(
        config: &'a TaskConfig,
        fewshot: Option<FewshotSource>,
        system_instruction: Option<String>,
    ) -> PromptRenderer<'a> {
        PromptRenderer {
            config,
            renderer: Renderer::new(),
            fewshot,
            fewshot_format: FewshotFormat::of(config),
            system_instruction,
        }
    }

    /// The item of one doc; `index` is its position in the evaluation split.
    pub(super) fn item(
        &mut self,
        index: u64,
        fields: Map<String, Value>,
    ) -> Result<TaskItem, String> {
        let config = self.config;
        let rendered = self.render(
            &fields,
            &config.doc_to_text,
            &config.doc_to_target,
            &config.doc_to_choice,
        )?;
        let description = self
            .resolve_text(&config.description, &fields, "description")?
            .unwrap_or_default();
        let gen_prefix = match config.gen_prefix.as_deref() {
            Some(prefix) => self.resolve_text(prefix, &fields, "gen_prefix")?,
            None => None,
        }
        .filter(|prefix| !prefix.is_empty());
        let (fewshot, fewshot_ids) = self.fewshot_turns(&fields)?;
        let choices = rendered.choices.clone().unwrap_or_default();
        let inputs = inputs(&rendered, config.output_type, &choices)?;
        let references = references(&rendered, config.output_type, &choices)?;
        let messages: Vec<Vec<Message>> = inputs
            .questions
            .iter()
            .map(|question| {
                context::build_messages(&ContextParts {
                    system_instruction: self.system_instruction.as_deref(),
                    description: &description,
                    fewshot: &fewshot,
                    question,
                    gen_prefix: gen_prefix.as_deref(),
                    target_delimiter: &config.target_delimiter,
                    fewshot_delimiter: &config.fewshot_delimiter,
                })
            })
            .collect();
        let contexts: Vec<String> = messages
            .iter()
            .map(|messages| context::plain(messages))
            .collect();
        let mut item = TaskItem {
            index,
            id: item_id(&fields),
            context: String::new(),
            choices,
            gold: inputs.gold,
            request: LoglikelihoodRequest { pairs: Vec::new() },
            kind: item_kind(config, &references),
            references,
            fewshot: fewshot_ids,
            messages,
            doc: fields,
            target_delimiter: config.target_delimiter.clone(),
            gen_prefix,
            shared_continuation: inputs.shared_continuation,
        };
        item.set_contexts(contexts, &config.target_delimiter);
        Ok(item)
    }

    fn render(
        &self,
        fields: &Map<String, Value>,
        text_field: &Option<DocField>,
        target_field: &Option<DocField>,
        choice_field: &Option<DocField>,
    ) -> Result<Rendered, String> {
        let mut fields = fields.clone();
        let text_field = resolve_function_field(text_field, "doc_to_text", &mut fields)?;
        let target_field = resolve_function_field(target_field, "doc_to_target", &mut fields)?;
        let choice_field = resolve_function_field(choice_field, "doc_to_choice", &mut fields)?;
        let doc = Doc::new(fields);
        let in_field = |key: &'static str, source: &Option<DocField>| {
            let text = match source {
                Some(DocField::Text(text)) if !text.starts_with("__yardstick_") => {
                    format!(" `{text}`")
                }
                _ => String::new(),
            };
            move |message: String| format!("{key}{text}: {message}")
        };
        let choices = match &choice_field {
            Some(field) => Some(
                self.renderer
                    .doc_to_choice(field, &doc)
                    .map_err(in_field("doc_to_choice", &choice_field))?,
            ),
            None => None,
        };
        let has_choices = choices.is_some();
        let text = match &text_field {
            Some(field) => self
                .renderer
                .doc_to_text(field, &doc, has_choices)
                .map_err(in_field("doc_to_text", &text_field))?,
            None => return Err("doc_to_text is required".into()),
        };
        let target = match &target_field {
            Some(field) => self
                .renderer
                .doc_to_target(field, &doc, has_choices)
                .map_err(in_field("doc_to_target", &target_field))?,
            None => return Err("doc_to_target is required".into()),
        };
        Ok(Rendered {
            text,
            choices,
            target,
        })
    }

    fn resolve_text(
        &self,
        field: &str,
        doc: &Map<String, Value>,
        key: &str,
    ) -> Result<Option<String>, String> {
        if field.is_empty() {
            return Ok(None);
        }
        self.renderer
            .resolve_field(field, &Doc::new(doc.clone()))
            .map(Some)
            .map_err(|message| format!("{key}: {message}"))
    }

    /// The few-shot turns for one doc, and their indices into the few-shot docs.
    fn fewshot_turns(
        &mut self,
        doc: &Map<String, Value>,
    ) -> Result<(Vec<FewshotTurn>, Vec<usize>), String> {
        let Some(source) = self.fewshot.as_mut() else {
            return Ok((Vec::new(), Vec::new()));
        };
        let docs = &source.docs;
        let is_eval_doc = |index: usize| docs[index] == *doc;
        let eval_doc: Option<&dyn Fn(usize) -> bool> = if source.same_split {
            Some(&is_eval_doc)
        } else {
            None
        };
        let chosen = source
            .sampler
            .select(source.num, eval_doc)
            .map_err(|error| format!("few-shot examples: {error}"))?;
        let docs: Vec<Map<String, Value>> = chosen
            .iter()
            .map(|index| source.docs[*index].clone())
            .collect();
        let turns = docs
            .iter()
            .zip(&chosen)
            .map(|(fewshot_doc, index)| self.fewshot_turn(fewshot_doc, *index))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((turns, chosen))
    }

    /// One few-shot example (`index` into the few-shot docs): its question, its answer and
    /// its `gen_prefix`.
    fn fewshot_turn(&self, doc: &Map<String, Value>, index: usize) -> Result<FewshotTurn, String> {
        let context = |message: String| format!("few-shot example {index}: {message}");
        let format = &self.fewshot_format;
        let rendered = self
            .render(doc, &format.text, &format.target, &format.choice)
            .map_err(context)?;
        let question = match (&rendered.text, &rendered.choices) {
            (TextValue::Text(text), _) => text.clone(),
            (TextValue::Index(input), Some(choices)) => usize::try_from(*input)
                .ok()
                .and_then(|input| choices.get(input))
                .cloned()
                .ok_or_else(|| context(format!("input index {input} is out of range")))?,
            (TextValue::Index(_), None) => {
                return Err(context(
                    "doc_to_text gave an index but the task has no choices".into(),
                ))
            }
        };
        let multiple_input = matches!(rendered.text, TextValue::Index(_));
        let answer = match (&rendered.target, &rendered.choices) {
            (TargetValue::Index(target), Some(choices)) if !multiple_input => {
                usize::try_from(*target)
                    .ok()
                    .and_then(|target| choices.get(target))
                    .cloned()
                    .ok_or_else(|| context(format!("target index {target} is out of range")))?
            }
            (TargetValue::Index(target), _) => target.to_string(),
            (TargetValue::Text(text), _) => text.clone(),
            (TargetValue::List(items), _) => {
                items.first().map(crate::python::to_str).unwrap_or_default()
            }
        };
        // A `gen_prefix` error is reported without the example's index.
        let gen_prefix = match format.gen_prefix.as_deref() {
            Some(prefix) => self.resolve_text(prefix, doc, "gen_prefix")?,
            None => None,
        };
        Ok(FewshotTurn {
            question,
            answer,
            gen_prefix,
            target_delimiter: format.target_delimiter.clone(),
            fewshot_delimiter: format.fewshot_delimiter.clone(),
        })
    }
}

/// The questions, gold index and shared continuation of a rendered doc. Multiple inputs
/// (Winogrande): doc_to_text is the gold input's index and each choice is a context; the
/// target is the shared continuation.
fn inputs(
    rendered: &Rendered,
    output_type: OutputType,
    choices: &[String],
) -> Result<Inputs, String> {
    let (questions, gold, shared_continuation) = match (&rendered.text, output_type) {
        (TextValue::Index(gold), OutputType::MultipleChoice) => {
            let gold = usize::try_from(*gold)
                .ok()
                .filter(|gold| *gold < choices.len())
                .ok_or_else(|| {
                    format!(
                        "doc_to_text gave input index {gold}, out of range for {} inputs",
                        choices.len()
                    )
                })?;
            let target = match &rendered.target {
                TargetValue::Text(text) => text.clone(),
                TargetValue::Index(index) => index.to_string(),
                TargetValue::List(_) => {
                    return Err("a multiple-input task needs one target, got a list".into())
                }
            };
            (choices.to_vec(), gold, Some(target))
        }
        (TextValue::Index(index), _) => {
            return Err(format!(
                "doc_to_text gave the index {index}, which only multiple_choice tasks accept"
            ))
        }
        (TextValue::Text(text), OutputType::MultipleChoice) => {
            let gold = match &rendered.target {
                TargetValue::Index(index) => usize::try_from(*index)
                    .ok()
                    .filter(|index| *index < choices.len())
                    .ok_or_else(|| format!("doc_to_target gave index {index}, out of range for {} choices", choices.len()))?,
                TargetValue::Text(text) => choices
                    .iter()
                    .position(|choice| choice == text)
                    .ok_or_else(|| format!("doc_to_target gave `{text}`, which is not one of the choices"))?,
                TargetValue::List(_) => {
                    return Err("doc_to_target gave a list (multiple targets); not supported yet for multiple_choice".into())
                }
            };
            (vec![text.clone()], gold, None)
        }
        (TextValue::Text(text), _) => (vec![text.clone()], 0, None),
    };
    Ok(Inputs {
        questions,
        gold,
        shared_continuation,
    })
}

/// The reference answers of a rendered doc (none for multiple-choice items).
fn references(
    rendered: &Rendered,
    output_type: OutputType,
    choices: &[String],
) -> Result<Vec<String>, String> {
    Ok(match (&rendered.target, output_type) {
        (_, OutputType::MultipleChoice) => Vec::new(),
        // lm-eval: with doc_to_choice set, a generative target is an index into it.
        (TargetValue::Index(index), _) if !choices.is_empty() => vec![usize::try_from(*index)
            .ok()
            .and_then(|index| choices.get(index))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "doc_to_target gave index {index}, out of range for {} choices",
                    choices.len()
                )
            })?],
        (TargetValue::Index(index), _) => vec![index.to_string()],
        (TargetValue::Text(text), _) => vec![text.clone()],
        (TargetValue::List(items), _) => items.iter().map(crate::python::to_str).collect(),
    })
}

/// What the model is asked for, from the output type and `generation_kwargs`.
fn item_kind(config: &TaskConfig, references: &[String]) -> ItemKind {
    match config.output_type {
        OutputType::MultipleChoice => ItemKind::Choices,
        OutputType::Loglikelihood => ItemKind::Loglikelihood,
        OutputType::LoglikelihoodRolling => ItemKind::Rolling {
            text: references.first().cloned().unwrap_or_default(),
        },
        OutputType::GenerateUntil => {
            let kwargs = &config.generation_kwargs;
            ItemKind::Generate {
                until: kwargs
                    .until
                    .clone()
                    .unwrap_or_else(|| vec![config.fewshot_delimiter.clone()]),
                max_tokens: kwargs
                    .max_gen_toks
                    .unwrap_or(GenerationKwargs::DEFAULT_MAX_GEN_TOKS),
                sampling: kwargs.samples().then(|| SamplingSpec {
                    temperature: kwargs.temperature.unwrap_or(1.0),
                    top_p: kwargs.top_p,
                    top_k: kwargs.top_k,
                }),
                repeats: config.repeats,
            }
        }
    }
}

/// A field with `!function` hooks evaluated: the value lm-eval's function would return,
/// stored under a private key that the renderer then reads as a plain field.
fn resolve_function_field(
    field: &Option<DocField>,
    key: &str,
    doc: &mut Map<String, Value>,
) -> Result<Option<DocField>, String> {
    match field {
        Some(DocField::Function(name)) => {
            let function = functions::find_doc_function(name)
                .ok_or_else(|| format!("`!function {name}` is not one of yardstick's functions"))?;
            let value = function.call(doc)?;
            let private = format!("__yardstick_{key}");
            doc.insert(private.clone(), value);
            Ok(Some(DocField::Text(private)))
        }
        other => Ok(other.clone()),
    }
}

/// The dataset's own id of a doc (`id`, `idx`, `ind`, `task_id`, `question_id`, `qID`).
fn item_id(fields: &Map<String, Value>) -> Option<String> {
    ["id", "idx", "ind", "task_id", "question_id", "qID"]
        .iter()
        .find_map(|key| match fields.get(*key) {
            Some(Value::String(text)) => Some(text.clone()),
            Some(Value::Number(number)) => Some(number.to_string()),
            _ => None,
        })
}
