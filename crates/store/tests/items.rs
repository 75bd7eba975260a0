//! Per-item results: idempotent inserts, exact round trips, resume sets, export order.

mod common;

use futures::TryStreamExt;
use std::collections::BTreeSet;
use yardstick_core::ItemResult;
use yardstick_store::Store;

fn bits(item: &ItemResult) -> (Vec<u64>, Vec<(String, u64)>) {
    (
        item.choice_loglikelihoods
            .iter()
            .map(|value| value.to_bits())
            .collect(),
        item.metrics
            .iter()
            .map(|(name, value)| (name.clone(), value.to_bits()))
            .collect(),
    )
}

#[tokio::test]
async fn inserting_the_same_item_twice_keeps_one_row_and_the_first_value() {
    let store = Store::open_in_memory().await.expect("open");
    let unit_id = common::run_with_unit(&store, "r1", "gemma", "arc_easy").await;
    let first = common::item(7);
    let mut second = common::item(7);
    second.prediction = 3;
    second.metrics = vec![("acc".into(), 0.5)];

    assert!(store
        .insert_item(unit_id, &first)
        .await
        .expect("first insert"));
    assert!(!store
        .insert_item(unit_id, &second)
        .await
        .expect("second insert"));
    assert_eq!(
        store.items(unit_id).await.expect("items"),
        vec![first.clone()]
    );

    // A batch that overlaps what is stored, and repeats an index within itself.
    let batch = vec![
        common::item(6),
        second.clone(),
        common::item(8),
        common::item(6),
    ];
    assert_eq!(store.insert_items(unit_id, &batch).await.expect("batch"), 2);
    let stored = store.items(unit_id).await.expect("items");
    assert_eq!(stored, vec![common::item(6), first, common::item(8)]);
    let unit = store.unit(unit_id).await.expect("unit").expect("exists");
    assert_eq!(unit.items_completed, 3);
}

#[tokio::test]
async fn items_round_trip_bit_exactly() {
    let directory = tempfile::tempdir().expect("tempdir");
    let path = directory.path().join("yardstick.db");
    let store = Store::open(&path).await.expect("open");
    let unit_id = common::run_with_unit(&store, "r1", "gemma", "arc_easy").await;
    let mut awkward = ItemResult {
        item_index: 0,
        item_id: None,
        choice_loglikelihoods: vec![
            -1.2345678901234567e-5,
            -0.0,
            0.1 + 0.2,
            -1.7976931348623157e308,
            1e300,
            -5e-324,
            2.2250738585072014e-308,
            -123456789.12345679,
            f64::NEG_INFINITY,
        ],
        choice_is_greedy: vec![false; 9],
        gold: 8,
        prediction: 2,
        prediction_norm: 4,
        metrics: vec![
            ("acc".into(), 0.0),
            ("acc_norm".into(), -1.2345678901234567e-5),
            ("ppl".into(), f64::INFINITY),
        ],
        weights: vec![("word_perplexity".into(), 17.0)],
        generations: vec!["The answer is 42.\n".into(), "".into()],
        filtered: vec![("strict-match".into(), "42".into())],
        references: vec!["42".into(), "forty-two".into()],
        executions: vec![
            yardstick_core::Execution {
                sample: 0,
                kind: yardstick_core::ExecutionKind::FailedAssertion,
                detail: "AssertionError: ".into(),
                wall_ms: 41,
            },
            yardstick_core::Execution {
                sample: 1,
                kind: yardstick_core::ExecutionKind::Passed,
                detail: String::new(),
                wall_ms: 38,
            },
        ],
    };
    let mut items: Vec<ItemResult> = (1..500).map(common::item).collect();
    items.push(awkward.clone());
    store.insert_items(unit_id, &items).await.expect("insert");
    store.close().await;

    // Read back through a fresh store on the same file: nothing is cached.
    let store = Store::open(&path).await.expect("reopen");
    let stored = store.items(unit_id).await.expect("items");
    items.sort_by_key(|item| item.item_index);
    assert_eq!(stored.len(), items.len());
    for (stored, original) in stored.iter().zip(&items) {
        assert_eq!(bits(stored), bits(original), "item {}", original.item_index);
        assert_eq!(stored, original);
    }
    // -0.0 == 0.0 for PartialEq: the bits check above is what catches a lost sign.
    assert_eq!(
        stored[0].choice_loglikelihoods[1].to_bits(),
        (-0.0f64).to_bits()
    );

    awkward.item_index = 1000;
    awkward.choice_loglikelihoods[0] = f64::NAN;
    store
        .insert_item(unit_id, &awkward)
        .await
        .expect("insert NaN");
    let last = store
        .items(unit_id)
        .await
        .expect("items")
        .pop()
        .expect("an item");
    assert!(last.choice_loglikelihoods[0].is_nan());
}

#[tokio::test]
async fn large_batches_are_stored_in_one_call() {
    let store = Store::open_in_memory().await.expect("open");
    let unit_id = common::run_with_unit(&store, "r1", "gemma", "arc_easy").await;
    // More rows than one statement holds, so several statements share the transaction.
    let items: Vec<ItemResult> = (0..5_000).map(common::item).collect();
    assert_eq!(
        store.insert_items(unit_id, &items).await.expect("insert"),
        5_000
    );
    assert_eq!(store.insert_items(unit_id, &items).await.expect("again"), 0);
    assert_eq!(store.items(unit_id).await.expect("items"), items);
    assert_eq!(store.insert_items(unit_id, &[]).await.expect("empty"), 0);
}

#[tokio::test]
async fn completed_indices_are_the_stored_ones() {
    let store = Store::open_in_memory().await.expect("open");
    let unit_id = common::run_with_unit(&store, "r1", "gemma", "arc_easy").await;
    let other = store
        .create_unit(&common::new_unit("r1", "gemma", "hellaswag", 1, 0))
        .await
        .expect("second unit")
        .unit_id;
    let items: Vec<ItemResult> = [0, 1, 2, 5, 9].into_iter().map(common::item).collect();
    store.insert_items(unit_id, &items).await.expect("insert");
    store
        .insert_item(other, &common::item(3))
        .await
        .expect("insert other");
    assert_eq!(
        store
            .completed_item_indices(unit_id)
            .await
            .expect("indices"),
        BTreeSet::from([0, 1, 2, 5, 9])
    );
    assert_eq!(
        store.completed_item_indices(other).await.expect("indices"),
        BTreeSet::from([3])
    );
}

#[tokio::test]
async fn run_items_come_unit_by_unit_in_index_order_with_model_and_task() {
    let store = Store::open_in_memory().await.expect("open");
    let first = common::run_with_unit(&store, "r1", "gemma", "arc_easy").await;
    let second = store
        .create_unit(&common::new_unit("r1", "qwen", "arc_easy", 1, 0))
        .await
        .expect("unit")
        .unit_id;
    let elsewhere = store
        .create_run(&common::new_run(
            "r2",
            yardstick_store::RunKind::Eval,
            "fp",
            5,
        ))
        .await
        .expect("run");
    let foreign = store
        .create_unit(&common::new_unit(
            &elsewhere.run_id,
            "gemma",
            "arc_easy",
            1,
            0,
        ))
        .await
        .expect("unit")
        .unit_id;
    store
        .insert_items(second, &[common::item(1), common::item(0)])
        .await
        .expect("insert");
    store
        .insert_items(first, &[common::item(2), common::item(0)])
        .await
        .expect("insert");
    store
        .insert_item(foreign, &common::item(0))
        .await
        .expect("insert");

    let exported = store.run_items("r1").await.expect("export");
    let order: Vec<(i64, &str, u64)> = exported
        .iter()
        .map(|row| (row.unit_id, row.model.as_str(), row.item.item_index))
        .collect();
    assert_eq!(
        order,
        vec![
            (first, "gemma", 0),
            (first, "gemma", 2),
            (second, "qwen", 0),
            (second, "qwen", 1)
        ]
    );
    assert!(exported.iter().all(|row| row.task == "arc_easy"));
    assert_eq!(exported[1].item, common::item(2));

    let streamed: Vec<_> = store
        .stream_run_items("r1")
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(streamed, exported);
    assert!(store.run_items("nope").await.expect("export").is_empty());
}
