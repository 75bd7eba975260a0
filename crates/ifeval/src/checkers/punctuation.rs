//! `punctuation:no_comma`: no `,` anywhere in the response (the fullwidth `，` and other
//! commas are allowed). Reference: `CommaChecker` in lm-eval's ifeval `instructions.py`.

/// The response has no ASCII comma.
pub(crate) fn has_no_comma(response: &str) -> bool {
    !response.contains(',')
}

#[cfg(test)]
mod tests {
    use super::has_no_comma;

    #[test]
    fn only_the_ascii_comma_counts() {
        assert!(has_no_comma("No commas here. None at all!"));
        assert!(has_no_comma("Fullwidth，and ideographic、commas"));
        assert!(!has_no_comma("One, two"));
        assert!(has_no_comma(""));
    }
}
