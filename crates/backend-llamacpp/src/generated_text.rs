//! The text of a generation as it grows token by token: token pieces are bytes that may split
//! a UTF-8 character, and a stop sequence may span several tokens. What a stream may send
//! at once ([`GeneratedText::take_ready`]) holds back an incomplete character and a tail
//! that could still become a stop sequence. Pure, so tested without a model.

/// Generated text plus the stop sequences to watch for.
#[derive(Debug, Clone)]
pub(crate) struct GeneratedText {
    text: String,
    /// Bytes of an incomplete UTF-8 character at the end, waiting for the next piece.
    pending: Vec<u8>,
    stops: Vec<String>,
    longest_stop: usize,
    /// Bytes of `text` already handed out by [`GeneratedText::take_ready`].
    emitted: usize,
    /// A stop sequence was found: the text is final.
    stopped: bool,
}

impl GeneratedText {
    /// Empty stop strings are ignored (they would match before anything is generated).
    pub fn new(stops: &[String]) -> Self {
        let stops: Vec<String> = stops
            .iter()
            .filter(|stop| !stop.is_empty())
            .cloned()
            .collect();
        let longest_stop = stops.iter().map(String::len).max().unwrap_or(0);
        GeneratedText {
            text: String::new(),
            pending: Vec::new(),
            stops,
            longest_stop,
            emitted: 0,
            stopped: false,
        }
    }

    /// The text that became final since the last call: all of it but an incomplete
    /// character and the longest tail that is the start of a stop sequence (nothing is held
    /// back once a stop was found). The pieces handed out, in order, are always a prefix of
    /// [`GeneratedText::finish`]'s text.
    pub fn take_ready(&mut self) -> String {
        let held_back = if self.stopped {
            0
        } else {
            self.stop_prefix_len()
        };
        let end = self.text.len().saturating_sub(held_back).max(self.emitted);
        let ready = self
            .text
            .get(self.emitted..end)
            .unwrap_or_default()
            .to_string();
        self.emitted = end;
        ready
    }

    /// Length of the longest tail of the text that is a proper prefix of a stop sequence.
    fn stop_prefix_len(&self) -> usize {
        self.stops
            .iter()
            .filter_map(|stop| {
                (1..stop.len())
                    .rev()
                    .find(|&len| stop.is_char_boundary(len) && self.text.ends_with(&stop[..len]))
            })
            .max()
            .unwrap_or(0)
    }

    /// Appends one token's bytes. Returns true when a stop sequence now occurs; the text is
    /// then cut before the earliest occurrence.
    pub fn push(&mut self, piece: &[u8]) -> bool {
        let checked_len = self.text.len();
        self.pending.extend_from_slice(piece);
        self.decode_pending(false);
        self.stopped = self.cut_at_stop(checked_len);
        self.stopped
    }

    /// The final text (an incomplete trailing character becomes U+FFFD).
    pub fn finish(mut self) -> String {
        self.decode_pending(true);
        self.text
    }

    fn decode_pending(&mut self, flush: bool) {
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(valid) => {
                    self.text.push_str(valid);
                    self.pending.clear();
                    return;
                }
                Err(error) => {
                    let valid_len = error.valid_up_to();
                    // The prefix was just checked to be valid UTF-8.
                    self.text
                        .push_str(&String::from_utf8_lossy(&self.pending[..valid_len]));
                    match error.error_len() {
                        Some(invalid_len) => {
                            self.text.push(char::REPLACEMENT_CHARACTER);
                            self.pending.drain(..valid_len + invalid_len);
                        }
                        None if flush => {
                            self.text.push(char::REPLACEMENT_CHARACTER);
                            self.pending.clear();
                            return;
                        }
                        None => {
                            self.pending.drain(..valid_len);
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Looks for a stop sequence ending after `checked_len` (earlier ones were looked for
    /// before) and cuts the text before the earliest one.
    fn cut_at_stop(&mut self, checked_len: usize) -> bool {
        if self.stops.is_empty() || self.text.len() == checked_len {
            return false;
        }
        let mut from = checked_len.saturating_sub(self.longest_stop - 1);
        while !self.text.is_char_boundary(from) {
            from -= 1;
        }
        let earliest = self
            .stops
            .iter()
            .filter_map(|stop| self.text[from..].find(stop.as_str()))
            .min();
        match earliest {
            Some(offset) => {
                self.text.truncate(from + offset);
                self.pending.clear();
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stops(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn stop_sequence_spanning_tokens_cuts_before_its_first_occurrence() {
        let mut text = GeneratedText::new(&stops(&["\n\n", "END"]));
        assert!(!text.push(b"Paris is"));
        assert!(!text.push(b" nice.\n"));
        assert!(text.push(b"\nMore"));
        assert_eq!(text.finish(), "Paris is nice.");
    }

    #[test]
    fn earliest_of_several_stops_wins() {
        let mut text = GeneratedText::new(&stops(&["c", "ab"]));
        assert!(text.push(b"xxabc"));
        assert_eq!(text.finish(), "xx");
    }

    #[test]
    fn split_utf8_characters_are_joined_and_can_be_stops() {
        let euro = "€".as_bytes();
        let mut text = GeneratedText::new(&stops(&["€"]));
        assert!(!text.push(b"cost: 5"));
        assert!(!text.push(&euro[..1]));
        assert!(text.push(&euro[1..]));
        assert_eq!(text.finish(), "cost: 5");

        let mut text = GeneratedText::new(&[]);
        assert!(!text.push(&euro[..2]));
        assert!(!text.push(&euro[2..]));
        assert!(!text.push(&[0xff, b'a', 0xe2]));
        assert_eq!(text.finish(), "€\u{fffd}a\u{fffd}");
    }

    #[test]
    fn ready_text_holds_back_stop_prefixes_and_split_characters() {
        let euro = "€".as_bytes();
        let mut text = GeneratedText::new(&stops(&["\n\nQ:", "END"]));
        let mut streamed = String::new();
        let mut push = |text: &mut GeneratedText, piece: &[u8]| {
            let stopped = text.push(piece);
            streamed.push_str(&text.take_ready());
            (stopped, streamed.clone())
        };
        assert_eq!(push(&mut text, b"Paris"), (false, "Paris".to_string()));
        assert_eq!(push(&mut text, b" E"), (false, "Paris ".to_string()));
        assert_eq!(push(&mut text, b"x\n"), (false, "Paris Ex".to_string()));
        assert_eq!(push(&mut text, &euro[..2]), (false, "Paris Ex".to_string()));
        assert_eq!(
            push(&mut text, &euro[2..]),
            (false, "Paris Ex\n€".to_string())
        );
        assert_eq!(push(&mut text, b"\n\n"), (false, "Paris Ex\n€".to_string()));
        assert_eq!(
            push(&mut text, b"Q: next"),
            (true, "Paris Ex\n€".to_string())
        );
        assert_eq!(text.finish(), "Paris Ex\n€");

        // Held back at the end without a stop: the finished text has it.
        let mut text = GeneratedText::new(&stops(&["END"]));
        assert!(!text.push(b"THE EN"));
        assert_eq!(text.take_ready(), "THE ");
        assert_eq!(text.finish(), "THE EN");
    }

    #[test]
    fn empty_stop_strings_are_ignored() {
        let mut text = GeneratedText::new(&stops(&[""]));
        assert!(!text.push(b"abc"));
        assert_eq!(text.finish(), "abc");
    }
}
