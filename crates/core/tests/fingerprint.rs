//! Fingerprint ids, with fingerprints from the shared test builder (an integration test: a
//! unit test inside core would see a second copy of core's types).

use yardstick_core::Fingerprint;
use yardstick_test_support::fingerprint::fingerprint;

fn sample() -> Fingerprint {
    fingerprint("gemma", "arc_easy")
        .model_sha256("ab")
        .task_hash("t")
        .dataset_sha256(&[("a.jsonl", "d")])
        .prompt_hash("p")
        .limited_to(10)
        .git_commit("c")
        .batching_scheme("s")
        .build()
}

#[test]
fn id_is_stable_and_sensitive() {
    let first = sample();
    assert_eq!(first.id(), sample().id());
    assert_eq!(first.id().len(), 16);
    let mut other = sample();
    other.seed = 1;
    assert_ne!(first.id(), other.id());
    let mut other = sample();
    other.task.prompt_hash = "q".into();
    assert_ne!(first.id(), other.id());
}
