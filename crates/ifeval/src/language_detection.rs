//! Language detection as the reference checkers do it: Python `langdetect` 1.0.9's
//! `detect(text)`, through the `langdetect` crate, a port that reproduces its random walk bit
//! for bit (the same Mersenne Twister, Gaussian smoothing and floating-point operations, and
//! langdetect's own 55 profiles).
//!
//! Fixed here, where the reference leaves them to chance or to the machine:
//! - the seed: lm-eval never sets `DetectorFactory.seed`, so each detection is seeded from
//!   `os.urandom` and an ambiguous text may get a different language from run to run; we use
//!   seed 0, what `DetectorFactory.seed = 0` gives in Python;
//! - the Python: CPython 3.11 (left-to-right `sum()`, Unicode 14.0 for `str.isupper()`), the
//!   Python of our reference runs; on 3.12+ langdetect's probabilities can differ in their
//!   last bits;
//! - the profile order: langdetect loads its profiles in `os.listdir` order, which depends on
//!   the file system; we load them alphabetically. That too can change only the last bits of
//!   a probability (about one text in 100,000, per the port's authors).

use std::sync::LazyLock;

use langdetect::{Compat, DetectorFactory, Seed};

/// The minor version of the CPython 3 whose langdetect results are reproduced.
const PYTHON_MINOR: u32 = 11;

static FACTORY: LazyLock<DetectorFactory> = LazyLock::new(|| {
    let mut factory = DetectorFactory::new(Compat::python(PYTHON_MINOR));
    factory
        .load_builtin(&DetectorFactory::builtin_files())
        .map_err(|(_, error)| error)
        .expect("the built-in profiles load: their names come from the built-in list");
    factory.seed = Seed::Int(0);
    factory
});

/// `langdetect.detect(text)` with seed 0: an ISO 639-1 code (`zh-cn` and `zh-tw` for
/// Chinese), or `None` where langdetect raises `LangDetectException` (a text without letters
/// it has n-grams for), which the reference checkers count as followed.
pub(crate) fn detect(text: &str) -> Option<String> {
    FACTORY.detect(text).ok()
}

#[cfg(test)]
mod tests {
    use super::detect;

    #[test]
    fn detects_clear_texts_and_gives_none_without_features() {
        assert_eq!(
            detect("The quick brown fox jumps over the lazy dog.").as_deref(),
            Some("en")
        );
        assert_eq!(
            detect("Der schnelle braune Fuchs springt über den faulen Hund.").as_deref(),
            Some("de")
        );
        assert_eq!(
            detect("मेरा नाम राम है और मैं भारत में रहता हूँ।").as_deref(),
            Some("hi")
        );
        assert_eq!(detect("12345 !!! ..."), None);
        assert_eq!(detect(""), None);
    }
}
