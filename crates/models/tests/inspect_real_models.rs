//! `inspect` on the real bundled models (skipped with a printed reason when they are not
//! installed; required in CI).

use yardstick_models::{inspect, inspect_gguf};
use yardstick_test_support::fixtures::{gemma_model, qwen_model};

#[test]
fn gemma_is_a_268m_gemma3_base_model_in_q4_k_m_that_needs_bos() {
    let Some(path) = gemma_model() else { return };
    let model = inspect(&path).expect("inspect gemma");
    let gguf = &model.gguf;
    assert_eq!(model.size_bytes, 253_113_024);
    assert_eq!(
        model.sha256,
        "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    );
    assert_eq!(gguf.architecture.as_deref(), Some("gemma3"));
    assert!(
        (260_000_000..280_000_000).contains(&gguf.parameter_count),
        "{}",
        gguf.parameter_count
    );
    assert_eq!(gguf.quantization.to_string(), "Q4_K_M");
    assert!(gguf.quantization.dominant_tensor_type.is_some());
    assert!(!gguf.has_chat_template);
    assert_eq!(gguf.add_bos_token, Some(true));
    assert_eq!(gguf.vocab_size, Some(262_144));
    assert_eq!(gguf.context_length, Some(32_768));
}

#[test]
fn qwen_is_a_qwen2_instruct_model_with_a_chatml_template_and_no_bos() {
    let Some(path) = qwen_model() else { return };
    let gguf = inspect_gguf(&path).expect("inspect qwen");
    assert_eq!(gguf.architecture.as_deref(), Some("qwen2"));
    assert_eq!(gguf.quantization.to_string(), "Q4_K_M");
    assert!(gguf.has_chat_template);
    let template = gguf.chat_template.as_deref().unwrap_or_default();
    assert!(template.contains("<|im_start|>"), "not ChatML: {template}");
    assert_eq!(gguf.add_bos_token, Some(false));
    assert!(
        (400_000_000..700_000_000).contains(&gguf.parameter_count),
        "{}",
        gguf.parameter_count
    );
    assert_eq!(
        gguf.name.as_deref(),
        Some("Qwen2.5 Coder 0.5B Instruct AWQ")
    );
}
