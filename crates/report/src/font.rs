//! The font yardstick draws with: DejaVu Sans 2.37 reduced to Latin, Greek, punctuation,
//! arrows and a few math signs (see `fonts/README.md` for how it was made, and its licence),
//! embedded so that building and running need no system font.

/// The font file's bytes (TrueType).
pub const SANS: &[u8] = include_bytes!("fonts/DejaVuSans-subset.ttf");

/// Its family name, as the font itself states it.
pub const SANS_FAMILY: &str = "DejaVu Sans";
