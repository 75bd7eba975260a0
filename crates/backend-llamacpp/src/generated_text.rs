//! The text of a generation as it grows token by token: token pieces are bytes that may split
//! a UTF-8 character, and a stop sequence may span several tokens. Pure, so tested without a
//! model.

/// Generated text plus the stop sequences to watch for.
#[derive(Debug, Clone)]
pub(crate) struct GeneratedText {
    text: String,
    /// Bytes of an incomplete UTF-8 character at the end, waiting for the next piece.
    pending: Vec<u8>,
    stops: Vec<String>,
    longest_stop: usize,
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
        }
    }

    /// Appends one token's bytes. Returns true when a stop sequence now occurs; the text is
    /// then cut before the earliest occurrence.
    pub fn push(&mut self, piece: &[u8]) -> bool {
        let checked_len = self.text.len();
        self.pending.extend_from_slice(piece);
        self.decode_pending(false);
        self.cut_at_stop(checked_len)
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
    fn empty_stop_strings_are_ignored() {
        let mut text = GeneratedText::new(&stops(&[""]));
        assert!(!text.push(b"abc"));
        assert_eq!(text.finish(), "abc");
    }
}
