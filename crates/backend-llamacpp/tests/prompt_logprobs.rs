//! Per-token logprobs of prompts and of generated tokens against the real models: the same
//! arithmetic as scoring, offsets that reproduce the prompt, greedy choices at the top.

mod common;

use yardstick_backend::{Backend, GenerateRequest};
use yardstick_backend_llamacpp::{
    GenerationOptions, LlamaCppBackend, PromptInput, PromptLogprobs, TokenEvent,
};

/// The logprobs of the tokens at or after character `from`, and how many there are.
fn sum_from(logprobs: &PromptLogprobs, from: usize) -> (f64, usize) {
    let scored: Vec<f64> = logprobs
        .tokens
        .iter()
        .filter(|token| !token.added && token.offset >= from)
        .map(|token| token.logprob.expect("a later token has a logprob"))
        .collect();
    (scored.iter().sum(), scored.len())
}

/// Checks that the offsets place every token's text where the prompt has it.
fn assert_offsets_reproduce(prompt: &str, logprobs: &PromptLogprobs) {
    assert_eq!(logprobs.text, prompt);
    let characters: Vec<char> = prompt.chars().collect();
    let mut previous = 0;
    for token in logprobs.tokens.iter().filter(|token| !token.added) {
        assert!(token.offset >= previous, "offsets go back: {logprobs:?}");
        previous = token.offset;
        if let Ok(text) = std::str::from_utf8(&token.bytes) {
            let at: String = characters[token.offset..].iter().collect();
            assert!(at.starts_with(text), "{text:?} is not at {}", token.offset);
        }
    }
}

#[tokio::test]
async fn gemma_prompt_logprobs_sum_to_the_loglikelihood_of_each_continuation() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    let (request, _) = common::arc_gravity();
    let scores = backend
        .loglikelihood(request.clone())
        .await
        .expect("scores");
    for (pair, score) in request.pairs.iter().zip(&scores) {
        let prompt = format!("{}{}", pair.context, pair.continuation);
        let logprobs = backend.prompt_logprobs(&prompt, 1).await.expect("logprobs");
        assert_offsets_reproduce(&prompt, &logprobs);
        let first = &logprobs.tokens[0];
        assert!(first.added && first.text == "<bos>" && first.offset == 0);
        assert_eq!((first.logprob, first.top.len()), (None, 0));
        assert_eq!(
            logprobs.tokens.len() as u32,
            score.context_tokens + score.continuation_tokens
        );

        let (sum, count) = sum_from(&logprobs, pair.context.chars().count());
        assert_eq!(count as u32, score.continuation_tokens, "{prompt:?}");
        let difference = (sum - score.loglikelihood).abs();
        assert!(
            difference < 1e-4,
            "{prompt:?}: {sum} vs {}",
            score.loglikelihood
        );

        // The top token is the greedy choice: is_greedy holds iff it is every target.
        let continuation = logprobs
            .tokens
            .iter()
            .filter(|token| !token.added && token.offset >= pair.context.chars().count());
        let mut greedy = true;
        for token in continuation {
            let top = &token.top[0];
            assert!(top.logprob >= token.logprob.expect("scored"));
            greedy &= top.token == token.token;
        }
        assert_eq!(greedy, score.is_greedy, "{prompt:?}");
    }
}

#[tokio::test]
async fn a_long_pair_scored_alone_equals_its_prompt_logprobs_bit_for_bit() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    // About 140 tokens, several `logits_rows` calls for the prompt, one call for scoring. A
    // pair scored alone reads exactly the tokens the prompt does; scored among the other
    // choices of its item (shared prefix, one call) this pair's score moves by 0.16 nats on
    // an AVX-512 machine: llama.cpp rounds a row differently by the shape of its call.
    let story = "The lighthouse keeper climbed the stairs every evening, counted the ships, \
                 and wrote their names in a book that nobody else ever read. ";
    let context = format!(
        "{}Question: What did the keeper write?\nAnswer:",
        story.repeat(5)
    );
    for continuation in [" nothing", " the names of ships"] {
        let score = backend
            .loglikelihood(common::request(&context, &[continuation]))
            .await
            .expect("score")[0];
        let prompt = format!("{context}{continuation}");
        let logprobs = backend.prompt_logprobs(&prompt, 0).await.expect("logprobs");
        assert!(logprobs.tokens.len() > 128, "{}", logprobs.tokens.len());
        let (sum, count) = sum_from(&logprobs, context.chars().count());
        assert_eq!(count as u32, score.continuation_tokens);
        assert_eq!(sum, score.loglikelihood, "{continuation:?}");
    }
}

#[tokio::test]
async fn offsets_count_characters_through_multibyte_and_byte_fallback_tokens() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    let prompt = "Café ☕ costs 3€ — naïve 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 text 𠀋𪚥.";
    let logprobs = backend.prompt_logprobs(prompt, 5).await.expect("logprobs");
    assert_offsets_reproduce(prompt, &logprobs);
    let split = logprobs
        .tokens
        .iter()
        .filter(|token| std::str::from_utf8(&token.bytes).is_err())
        .count();
    assert!(split >= 2, "some character is split across byte tokens");
    for token in logprobs.tokens.iter().skip(1) {
        assert_eq!(token.top.len(), 5);
        let values: Vec<f64> = token.top.iter().map(|top| top.logprob).collect();
        assert!(
            values.windows(2).all(|pair| pair[0] >= pair[1]),
            "{values:?}"
        );
        assert!(values.iter().all(|value| *value <= 0.0));
    }
    // A prompt that starts with BOS's text gets no second BOS, as scoring's tokenization.
    let spelled = backend
        .prompt_logprobs("<bos>Hello", 0)
        .await
        .expect("logprobs");
    assert!(!spelled.tokens[0].added);
    assert_eq!(spelled.tokens[0].text, "<bos>");
    assert_eq!(spelled.text, "<bos>Hello");
    assert_eq!(spelled.tokens[1].offset, 5);
}

#[tokio::test]
async fn qwen_prompt_has_no_bos_and_token_prompts_are_used_as_given() {
    let Some(backend) = common::qwen().await else {
        return;
    };
    let prompt = "<|im_start|>user\nHello<|im_end|>\n";
    let logprobs = backend.prompt_logprobs(prompt, 2).await.expect("logprobs");
    assert_offsets_reproduce(prompt, &logprobs);
    assert!(!logprobs.tokens[0].added);
    assert_eq!(logprobs.tokens[0].text, "<|im_start|>");
    assert_eq!(logprobs.tokens[0].logprob, None);
    let ids: Vec<u32> = logprobs.tokens.iter().map(|token| token.token).collect();
    let by_ids = backend
        .prompt_logprobs_of(PromptInput::Tokens(ids), 2)
        .await
        .expect("logprobs");
    assert_eq!(by_ids, logprobs);
    let error = backend
        .prompt_logprobs_of(PromptInput::Tokens(vec![1, 9_999_999]), 0)
        .await
        .expect_err("outside the vocabulary");
    assert!(error.to_string().contains("9999999"), "{error}");
}

async fn generate_with(
    backend: &LlamaCppBackend,
    request: GenerateRequest,
    options: GenerationOptions,
) -> (yardstick_backend::Generation, Vec<TokenEvent>) {
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let generation = backend
        .generate_streaming_with(request, options, events)
        .await
        .expect("generation");
    let mut all = Vec::new();
    while let Some(event) = received.recv().await {
        all.push(event);
    }
    (generation, all)
}

fn request(prompt: &str, max_tokens: u32) -> GenerateRequest {
    GenerateRequest {
        prompt: prompt.to_string(),
        max_tokens,
        stop: Vec::new(),
        ignore_eos: false,
        sampling: None,
    }
}

/// The logprobs a greedy generation of `max_tokens` reported for its tokens, with the
/// prompt's tokens followed by the generated ones.
async fn generated_logprobs(
    backend: &LlamaCppBackend,
    prompt: &str,
    max_tokens: u32,
) -> (Vec<u32>, Vec<TokenEvent>) {
    let options = GenerationOptions {
        logprobs: Some(3),
        ..GenerationOptions::default()
    };
    let plain = backend
        .generate(request(prompt, max_tokens))
        .await
        .expect("generation");
    let (generation, events) = generate_with(backend, request(prompt, max_tokens), options).await;
    assert_eq!(generation.text, plain.text, "logprobs change no token");
    assert_eq!(events.len() as u32, generation.completion_tokens);
    let streamed: String = events.iter().map(|event| event.text.as_str()).collect();
    assert!(generation.text.starts_with(&streamed));
    let mut ids = backend.tokenize(prompt, true).await.expect("tokens");
    for event in &events {
        let logprobs = event.logprobs.as_ref().expect("asked for logprobs");
        assert_eq!(logprobs.chosen.token, event.token);
        assert_eq!(logprobs.top.len(), 3);
        assert_eq!(
            logprobs.top[0].token, event.token,
            "greedy takes the top token"
        );
        assert_eq!(logprobs.top[0].logprob, logprobs.chosen.logprob);
        ids.push(event.token);
    }
    (ids, events)
}

#[tokio::test]
async fn generated_token_logprobs_are_prompt_logprobs_of_the_same_tokens_and_batches() {
    let Some(path) = yardstick_test_support::fixtures::gemma_model() else {
        return;
    };
    // One token per `llama_decode` call, as generation decodes after its prompt: then the
    // prompt is read in the same calls and every value must be bit-identical. (With bigger
    // batches llama.cpp's CPU kernels round a row differently by the call's shape.)
    let options = yardstick_backend_llamacpp::LoadOptions {
        batch_tokens: 1,
        max_sequences: 1,
        logits_rows: 1,
        ..common::options()
    };
    let backend = common::load(&path, options).await;
    let prompt = "The capital of France is";
    let (ids, events) = generated_logprobs(&backend, prompt, 6).await;
    let prompt_len = ids.len() - events.len();
    let scored = backend
        .prompt_logprobs_of(PromptInput::Tokens(ids), 0)
        .await
        .expect("logprobs");
    for (event, token) in events.iter().zip(&scored.tokens[prompt_len..]) {
        let chosen = event.logprobs.as_ref().expect("logprobs").chosen.logprob;
        assert_eq!(Some(chosen), token.logprob);
    }
}

#[tokio::test]
async fn the_first_generated_token_has_the_logprob_its_prompt_gives_it() {
    let Some(backend) = common::gemma().await else {
        return;
    };
    let prompt = "The capital of France is";
    let (ids, events) = generated_logprobs(&backend, prompt, 4).await;
    let prompt_len = ids.len() - events.len();
    let scored = backend
        .prompt_logprobs_of(PromptInput::Tokens(ids[..=prompt_len].to_vec()), 0)
        .await
        .expect("logprobs");
    let chosen = events[0]
        .logprobs
        .as_ref()
        .expect("logprobs")
        .chosen
        .logprob;
    let scored = scored.tokens[prompt_len].logprob.expect("scored");
    assert!((chosen - scored).abs() < 1e-4, "{chosen} vs {scored}");
}

#[tokio::test]
async fn min_tokens_keeps_end_of_sequence_away_until_reached() {
    let Some(backend) = common::qwen().await else {
        return;
    };
    let prompt = "<|im_start|>user\nSay yes.<|im_end|>\n<|im_start|>assistant\n";
    let free = backend
        .generate(request(prompt, 48))
        .await
        .expect("generation");
    assert!(free.completion_tokens < 24, "{free:?}");
    let options = GenerationOptions {
        min_tokens: 24,
        ..GenerationOptions::default()
    };
    let (forced, events) = generate_with(&backend, request(prompt, 48), options).await;
    assert!(forced.completion_tokens >= 24, "{forced:?}");
    assert_eq!(events.len() as u32, forced.completion_tokens);
}
