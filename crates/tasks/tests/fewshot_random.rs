//! yardstick's `PyRandom` against CPython 3.11's `random.Random`:
//! `fewshot_reference/random_reference.json` was written by
//! `fewshot_reference/make_random_reference.py`.

use serde_json::Value;
use yardstick_tasks::fewshot::PyRandom;

fn numbers(value: &Value) -> Vec<u64> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

fn indices(value: &Value) -> Vec<usize> {
    numbers(value).into_iter().map(|n| n as usize).collect()
}

/// A float written as Python's `repr` (Rust's parser rounds correctly).
fn float(value: &Value) -> Option<f64> {
    value.as_str().and_then(|text| text.parse().ok())
}

#[test]
fn matches_cpython() {
    let reference: Value =
        serde_json::from_str(include_str!("fewshot_reference/random_reference.json"))
            .unwrap_or_else(|error| panic!("random_reference.json: {error}"));
    let entries = reference["entries"].as_array().cloned().unwrap_or_default();
    assert!(entries.len() >= 10);
    for entry in &entries {
        let seed = entry["seed"].as_u64().unwrap_or_else(|| panic!("seed"));

        let mut rng = PyRandom::new(seed);
        let outputs: Vec<u64> = (0..8).map(|_| u64::from(rng.next_u32())).collect();
        assert_eq!(outputs, numbers(&entry["u32"]), "seed {seed}: outputs");

        for case in entry["getrandbits"].as_array().into_iter().flatten() {
            let bits = case["bits"].as_u64().unwrap_or_default() as u32;
            let expected = numbers(&case["words"]);
            let mut rng = PyRandom::new(seed);
            let words: Vec<u64> = rng
                .getrandbits_words(bits)
                .into_iter()
                .map(u64::from)
                .collect();
            assert_eq!(words, expected, "seed {seed}: getrandbits({bits})");
            assert_eq!(
                u64::from(rng.next_u32()),
                case["next"].as_u64().unwrap_or_default(),
                "seed {seed}: after getrandbits({bits})"
            );
            let mut rng = PyRandom::new(seed);
            let low = expected.first().copied().unwrap_or(0)
                | expected.get(1).copied().unwrap_or(0) << 32;
            assert_eq!(
                rng.getrandbits(bits),
                low,
                "seed {seed}: getrandbits({bits}) as u64"
            );
        }

        let mut rng = PyRandom::new(seed);
        for expected in entry["random"].as_array().into_iter().flatten() {
            assert_eq!(Some(rng.random()), float(expected), "seed {seed}: random()");
        }

        for case in entry["randbelow"].as_array().into_iter().flatten() {
            let n = case["n"].as_u64().unwrap_or_default();
            let mut rng = PyRandom::new(seed);
            let values: Vec<u64> = (0..5).map(|_| rng.randbelow(n)).collect();
            assert_eq!(
                values,
                numbers(&case["values"]),
                "seed {seed}: _randbelow({n})"
            );
        }

        for case in entry["sample"].as_array().into_iter().flatten() {
            let n = case["n"].as_u64().unwrap_or_default() as usize;
            let k = case["k"].as_u64().unwrap_or_default() as usize;
            let mut rng = PyRandom::new(seed);
            let values = rng.sample(n, k).unwrap_or_else(|error| panic!("{error}"));
            assert_eq!(
                values,
                indices(&case["values"]),
                "seed {seed}: sample({n}, {k})"
            );
            assert_eq!(
                u64::from(rng.next_u32()),
                case["next"].as_u64().unwrap_or_default(),
                "seed {seed}: after sample({n}, {k})"
            );
        }

        for case in entry["shuffle"].as_array().into_iter().flatten() {
            let n = case["n"].as_u64().unwrap_or_default() as usize;
            let mut rng = PyRandom::new(seed);
            let mut items: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut items);
            assert_eq!(items, indices(&case["values"]), "seed {seed}: shuffle({n})");
        }

        let chain = &entry["chain"];
        let mut rng = PyRandom::new(seed);
        let sample = |rng: &mut PyRandom, n, k| rng.sample(n, k).unwrap_or_default();
        assert_eq!(
            sample(&mut rng, 50, 4),
            indices(&chain[0]),
            "seed {seed}: chain 0"
        );
        assert_eq!(
            sample(&mut rng, 50, 4),
            indices(&chain[1]),
            "seed {seed}: chain 1"
        );
        assert_eq!(
            sample(&mut rng, 7, 7),
            indices(&chain[2]),
            "seed {seed}: chain 2"
        );
        assert_eq!(Some(rng.random()), float(&chain[3]), "seed {seed}: chain 3");
        let words: Vec<u64> = rng
            .getrandbits_words(70)
            .into_iter()
            .map(u64::from)
            .collect();
        assert_eq!(words, numbers(&chain[4]), "seed {seed}: chain 4");
    }
}

#[test]
fn sample_refuses_more_than_the_population() {
    let mut rng = PyRandom::new(1);
    assert!(rng.sample(3, 4).is_err());
    assert_eq!(rng.sample(3, 0), Ok(Vec::new()));
}
