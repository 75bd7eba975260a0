//! Tokenization (BOS per GGUF metadata), chat templates from GGUF metadata, and the
//! backend's self-description, against the real models.

mod common;

use yardstick_backend::{Backend, BackendError, ChatEnd, ChatMessage};
use yardstick_backend_llamacpp::{batching_scheme, llama_cpp_version, BATCHING_SCHEME};

fn message(role: &str, content: &str) -> ChatMessage {
    ChatMessage {
        role: role.to_string(),
        content: content.to_string(),
    }
}

#[tokio::test]
async fn gemma_tokenization_starts_with_bos() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    let with_bos = backend.tokenize("Hello world", true).await.expect("tokens");
    let without = backend
        .tokenize("Hello world", false)
        .await
        .expect("tokens");
    assert_eq!(with_bos[0], 2, "Gemma's BOS is token 2: {with_bos:?}");
    assert_eq!(with_bos[1..], without[..]);
    assert_ne!(without[0], 2);
    // Text that already starts with BOS's text gets no second BOS (lm-eval's rule).
    let spelled = backend
        .tokenize("<bos>Hello world", true)
        .await
        .expect("tokens");
    assert_eq!(spelled, with_bos);
    assert_eq!(
        backend.detokenize(&with_bos).await.expect("text"),
        "<bos>Hello world"
    );
}

#[tokio::test]
async fn qwen_tokenization_has_no_bos() {
    let Some(backend) = common::qwen().await else {
        return;
    };
    let with_special = backend.tokenize("Hello world", true).await.expect("tokens");
    let without = backend
        .tokenize("Hello world", false)
        .await
        .expect("tokens");
    assert_eq!(with_special, without);
    assert_eq!(with_special, [9707, 1879]);
    // Special tokens in text are parsed into single tokens.
    let im_start = backend
        .tokenize("<|im_start|>", true)
        .await
        .expect("tokens");
    assert_eq!(im_start.len(), 1);
}

#[tokio::test]
async fn detokenizing_an_id_outside_the_vocabulary_is_an_error() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    let error = backend
        .detokenize(&[2, 4_000_000])
        .await
        .expect_err("invalid id");
    assert!(matches!(error, BackendError::Tokenize { .. }), "{error}");
    assert!(error.to_string().contains("4000000"), "{error}");
}

#[tokio::test]
async fn qwen_chat_template_renders_chatml() {
    let Some(backend) = common::qwen().await else {
        return;
    };
    let rendered = backend
        .apply_chat_template(&[message("user", "Hello")], ChatEnd::GenerationPrompt)
        .await
        .expect("template");
    assert_eq!(
        rendered,
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n\
         <|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n"
    );
    let rendered = backend
        .apply_chat_template(
            &[
                message("system", "Be brief."),
                message("user", "Hi"),
                message("assistant", "Hello."),
            ],
            ChatEnd::ContinueFinalMessage,
        )
        .await
        .expect("template");
    // The assistant's message left open, to be continued (a task's gen_prefix).
    assert_eq!(
        rendered,
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n\
         <|im_start|>assistant\nHello."
    );
    assert!(backend.describe().capabilities.chat_template);
}

#[tokio::test]
async fn gemma_base_has_no_chat_template() {
    let Some(path) = yardstick_test_support::fixtures::gemma_model() else {
        return;
    };
    let backend = common::load(&path, common::options()).await;
    let error = backend
        .apply_chat_template(&[message("user", "Hello")], ChatEnd::GenerationPrompt)
        .await
        .expect_err("no template");
    match &error {
        BackendError::Unsupported(reason) => {
            assert!(reason.contains("tokenizer.chat_template"), "{error}");
            assert!(reason.contains(&path.display().to_string()), "{error}");
        }
        other => panic!("expected Unsupported, got {other}"),
    }
    assert!(!backend.describe().capabilities.chat_template);
}

#[tokio::test]
async fn describe_reports_engine_scheme_and_settings() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    let description = backend.describe();
    assert_eq!(description.kind, "llamacpp");
    assert_eq!(description.engine_version, llama_cpp_version());
    assert!(description.engine_version.starts_with("llama-cpp-sys-2 "));
    assert_eq!(
        description.batching_scheme,
        batching_scheme(&common::options())
    );
    assert!(description.batching_scheme.starts_with(BATCHING_SCHEME));
    assert_eq!(description.threads, 1);
    assert_eq!(description.context_tokens, 1024);
    let capabilities = description.capabilities;
    assert!(capabilities.loglikelihood && capabilities.generate && capabilities.tokenize);
    assert!(backend.load_duration() > std::time::Duration::ZERO);
}
