//! Server-sent events: a request's chunks as `data: {json}` events ending with
//! `data: [DONE]`. The stream owns the task producing the chunks (which owns the engine
//! tasks), so a client that goes away stops its generations.

use std::convert::Infallible;
use std::future::Future;

use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio_util::task::AbortOnDropHandle;

use crate::choice::Message;
use crate::error::ServeError;

/// An SSE response of the chunks `produce` sends, then `[DONE]`.
pub(crate) fn sse<F, Fut>(produce: F) -> Response
where
    F: FnOnce(UnboundedSender<Value>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (chunks, received) = unbounded_channel();
    let producer = AbortOnDropHandle::new(tokio::spawn(produce(chunks)));
    let events = futures::stream::unfold(
        (received, Some(producer)),
        |(mut received, producer): (UnboundedReceiver<Value>, Option<_>)| async move {
            let producer = producer?;
            match received.recv().await {
                Some(chunk) => {
                    let event = Event::default().data(chunk.to_string());
                    Some((Ok::<_, Infallible>(event), (received, Some(producer))))
                }
                // The producer has finished: the last event, then the end.
                None => Some((Ok(Event::default().data("[DONE]")), (received, None))),
            }
        },
    );
    Sse::new(events).into_response()
}

/// The first message of a request's choices, so that a request the engine refuses at once
/// (a prompt too long for the context, an unknown token id) is an HTTP error, not a stream.
pub(crate) async fn first_message(
    received: &mut UnboundedReceiver<Message>,
) -> Result<Option<Message>, ServeError> {
    match received.recv().await {
        Some((_, Err(error))) => Err(error),
        other => Ok(other),
    }
}

/// The chunk that reports a failure inside a stream: `{"error": {...}}`.
pub(crate) fn error_chunk(error: &ServeError) -> Value {
    tracing::warn!(%error, "a streamed request failed");
    serde_json::json!({ "error": error.body() })
}
