//! lm-eval's ifeval `process_results`: every instruction of the prompt checked on the
//! response, strict and loose ([`yardstick_ifeval::evaluate`]), reported as prompt-level
//! accuracy (all followed: 1, else 0) and instruction-level accuracy (the share followed,
//! weighted by the instruction count for `agg_inst_level_acc`).

use super::{Outcome, Reported};
use serde_json::{Map, Value};
use yardstick_ifeval::{evaluate, Instruction};

pub(super) fn process_results(
    doc: &Map<String, Value>,
    outcome: Outcome<'_>,
) -> Result<Reported, String> {
    let Outcome::Generation(response) = outcome else {
        return Err("ifeval scores a generation".into());
    };
    let instructions = instructions(doc)?;
    let prompt = doc
        .get("prompt")
        .and_then(Value::as_str)
        .ok_or("field `prompt` is missing or not a string")?;
    let verdicts = evaluate(prompt, &instructions, response).map_err(|error| error.to_string())?;
    let mut reported = Reported::default();
    for (form, followed) in [("strict", &verdicts.strict), ("loose", &verdicts.loose)] {
        let all = followed.iter().all(|&one| one);
        reported.push(format!("prompt_level_{form}_acc"), f64::from(u8::from(all)));
        let count = followed.len() as f64;
        let share = followed.iter().filter(|&&one| one).count() as f64 / count;
        reported.push_weighted(format!("inst_level_{form}_acc"), share, count);
    }
    Ok(reported)
}

/// The doc's instructions: `instruction_id_list` with the `kwargs` object of each.
fn instructions(doc: &Map<String, Value>) -> Result<Vec<Instruction>, String> {
    let ids = doc
        .get("instruction_id_list")
        .and_then(Value::as_array)
        .ok_or("field `instruction_id_list` is missing or not a list")?;
    let kwargs = doc
        .get("kwargs")
        .and_then(Value::as_array)
        .ok_or("field `kwargs` is missing or not a list")?;
    if ids.len() != kwargs.len() {
        return Err(format!(
            "{} instruction ids but {} kwargs",
            ids.len(),
            kwargs.len()
        ));
    }
    if ids.is_empty() {
        return Err("the prompt has no instructions".into());
    }
    ids.iter()
        .zip(kwargs)
        .map(|(id, kwargs)| {
            let id = id.as_str().ok_or("an instruction id is not a string")?;
            let kwargs = match kwargs {
                Value::Object(map) => map.clone(),
                Value::Null => Map::new(),
                other => return Err(format!("the kwargs of `{id}` are {other}, not an object")),
            };
            Ok(Instruction {
                id: id.to_string(),
                kwargs,
            })
        })
        .collect()
}
