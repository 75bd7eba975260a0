//! A server-sent events parser (the WHATWG `EventSource` stream format) fed with the body's
//! bytes as they arrive, so the caller can stamp every event with the arrival time of the
//! bytes that completed it.
//!
//! Lines end with `\r\n`, `\n` or `\r`, also when the two bytes of `\r\n` arrive in different
//! reads. A line starting with `:` is a comment (keep-alive). `field: value` drops one space
//! after the colon; a line without a colon is a field with an empty value. `data` lines
//! accumulate, joined by `\n`; an empty line dispatches the event, unless no `data` line came
//! since the last one. Lines are decoded as UTF-8 only once complete, so a character split
//! across reads is not damaged (invalid bytes become U+FFFD). A leading byte-order mark is
//! ignored. (`eventsource-stream`, the usual crate, has had no release since 2022 and stamps
//! nothing, hence this.)

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field, when one was given.
    pub event: Option<String>,
    /// The `data:` lines joined by `\n`.
    pub data: String,
    /// The last `id:` seen in the stream, as the format defines it.
    pub id: Option<String>,
}

/// The parser's state between reads.
#[derive(Debug, Default)]
pub struct SseParser {
    /// The current, unterminated line.
    line: Vec<u8>,
    /// The last byte was `\r`: a `\n` right after it ends no second line.
    after_carriage_return: bool,
    /// Whether a line has ended yet (the byte-order mark can only open the first).
    seen_line: bool,
    data: String,
    event: Option<String>,
    id: Option<String>,
}

impl SseParser {
    pub fn new() -> SseParser {
        SseParser::default()
    }

    /// Feeds the next bytes of the body; returns the events they complete, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        for &byte in bytes {
            if std::mem::take(&mut self.after_carriage_return) && byte == b'\n' {
                continue;
            }
            match byte {
                b'\r' => {
                    self.after_carriage_return = true;
                    self.end_line(&mut events);
                }
                b'\n' => self.end_line(&mut events),
                _ => self.line.push(byte),
            }
        }
        events
    }

    /// The end of the body. An event whose lines all ended but which lacked its closing
    /// empty line is returned; an unterminated line is discarded, since the stream may
    /// have been cut inside it.
    pub fn finish(&mut self) -> Option<SseEvent> {
        self.line.clear();
        let mut events = Vec::new();
        self.dispatch(&mut events);
        events.pop()
    }

    /// Whether bytes of an event that has not been dispatched are held.
    pub fn has_pending(&self) -> bool {
        !self.line.is_empty() || !self.data.is_empty()
    }

    fn end_line(&mut self, events: &mut Vec<SseEvent>) {
        let line = std::mem::take(&mut self.line);
        let mut line = line.as_slice();
        if !std::mem::replace(&mut self.seen_line, true) {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        if line.is_empty() {
            self.dispatch(events);
            return;
        }
        if line.starts_with(b":") {
            return;
        }
        let (field, value) = match line.iter().position(|&byte| byte == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value);
        match field {
            b"data" => {
                self.data.push_str(&value);
                self.data.push('\n');
            }
            b"event" => self.event = Some(value.into_owned()),
            b"id" if !value.contains('\0') => self.id = Some(value.into_owned()),
            // `retry` and unknown fields change nothing a load client uses.
            _ => {}
        }
    }

    fn dispatch(&mut self, events: &mut Vec<SseEvent>) {
        let event = self.event.take();
        if self.data.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop();
        events.push(SseEvent {
            event,
            data,
            id: self.id.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(events: &[SseEvent]) -> Vec<&str> {
        events.iter().map(|event| event.data.as_str()).collect()
    }

    #[test]
    fn events_split_anywhere_parse_the_same() {
        let body =
            "data: {\"a\":1}\n\n: keep-alive\n\ndata: é\r\n\r\nevent: note\ndata: x\rdata: y\r\r\
                    data: [DONE]\n\n";
        let whole = SseParser::new().push(body.as_bytes());
        assert_eq!(data(&whole), ["{\"a\":1}", "é", "x\ny", "[DONE]"]);
        assert_eq!(whole[2].event.as_deref(), Some("note"));
        for split in 1..body.len() {
            let mut parser = SseParser::new();
            let mut events = parser.push(&body.as_bytes()[..split]);
            events.extend(parser.push(&body.as_bytes()[split..]));
            assert_eq!(events, whole, "split at byte {split}");
        }
    }

    #[test]
    fn byte_by_byte_crlf_does_not_make_empty_lines() {
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        for byte in b"data: one\r\ndata: two\r\n\r\n" {
            events.extend(parser.push(&[*byte]));
        }
        assert_eq!(data(&events), ["one\ntwo"]);
    }

    #[test]
    fn fields_follow_the_format() {
        let body =
            "\u{FEFF}data:no-space\n\ndata\n\nid: 7\nretry: 10\nunknown: x\ndata:  two spaces\n\n\
                    event: lonely\n\n";
        let mut parser = SseParser::new();
        let events = parser.push(body.as_bytes());
        assert_eq!(data(&events), ["no-space", "", " two spaces"]);
        assert_eq!(events[2].id.as_deref(), Some("7"));
        assert!(!parser.has_pending());
    }

    #[test]
    fn finish_keeps_complete_lines_and_drops_a_cut_one() {
        let mut parser = SseParser::new();
        assert!(parser.push(b"data: [DONE]\n").is_empty());
        assert_eq!(
            parser.finish().map(|event| event.data),
            Some("[DONE]".into())
        );
        let mut cut = SseParser::new();
        assert!(cut.push(b"data: {\"choi").is_empty());
        assert!(cut.has_pending());
        assert_eq!(cut.finish(), None);
    }
}
