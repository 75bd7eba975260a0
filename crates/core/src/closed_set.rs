//! Closed sets: fieldless enums with one canonical name per variant, parsed once from user
//! (or stored) text with an error that lists the valid names.
//!
//! Declare the enum as usual (doc comments, derives, serde attributes), then list its names
//! with [`closed_set!`](crate::closed_set!):
//!
//! ```
//! use yardstick_core::{closed_set, ClosedSet};
//!
//! #[derive(Debug, Clone, Copy, PartialEq, Eq)]
//! pub enum Fruit {
//!     Apple,
//!     BloodOrange,
//! }
//!
//! closed_set!(Fruit, "fruit", {
//!     Apple => "apple",
//!     BloodOrange => "blood_orange",
//! });
//!
//! assert_eq!(Fruit::BloodOrange.as_str(), "blood_orange");
//! assert_eq!(Fruit::ALL, [Fruit::Apple, Fruit::BloodOrange]);
//! assert_eq!("apple".parse::<Fruit>().ok(), Some(Fruit::Apple));
//! assert_eq!(Fruit::BloodOrange.to_string(), "blood_orange");
//! assert_eq!(Fruit::names(), ["apple", "blood_orange"]);
//! assert_eq!(
//!     "pear".parse::<Fruit>().map_err(|error| error.to_string()),
//!     Err("unknown fruit `pear`; valid values are: apple, blood_orange".to_string())
//! );
//! ```
//!
//! The names are the enum's only spelling in settings, stored columns and messages. Serde is
//! left to the enum's own derive: where a closed set is also serialized, keep its serde
//! names equal to these (and test that they are).

/// A fieldless enum whose every variant has one canonical name; implemented by
/// [`closed_set!`](crate::closed_set!), which also gives the enum inherent `ALL` and
/// `as_str`, `Display` and `FromStr` (with [`UnknownName`]).
///
/// The trait is for code generic over closed sets (a command-line value parser, a help text
/// listing the choices); code that knows the type uses the inherent items or `str::parse`.
pub trait ClosedSet: Copy + Eq + 'static {
    /// What one value is called in messages: `unit`, `run kind`, `ITL definition`.
    const WHAT: &'static str;

    /// Every variant, in declaration order (the order messages list them in).
    const ALL: &'static [Self];

    /// The canonical name of this variant.
    fn as_str(self) -> &'static str;

    /// The valid names, in the order of [`ClosedSet::ALL`].
    fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|value| value.as_str()).collect()
    }

    /// The variant named `text` (exactly: no trimming, case-sensitive).
    fn from_name(text: &str) -> Result<Self, UnknownName> {
        Self::ALL
            .iter()
            .copied()
            .find(|value| value.as_str() == text)
            .ok_or_else(|| UnknownName {
                what: Self::WHAT,
                given: text.to_string(),
                valid: Self::names(),
            })
    }
}

/// A name that is not one of a closed set's: says which set, what was given, and every valid
/// name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{given}`; valid values are: {}", valid.join(", "))]
pub struct UnknownName {
    /// What a value of the set is called (`unit`, `run kind`).
    pub what: &'static str,
    /// The text that names nothing.
    pub given: String,
    /// The valid names, in declaration order.
    pub valid: Vec<&'static str>,
}

/// Makes a fieldless enum a [`ClosedSet`]:
/// `closed_set!(Type, "what it is called", { Variant => "name", ... });`
///
/// Every variant must be listed (the generated `match` is exhaustive). Generates, for use
/// without importing anything:
///
/// - `Type::ALL`: an array of every variant, in the order listed;
/// - `Type::as_str(self) -> &'static str`;
/// - `Display` (writes the name) and `FromStr` (`Err = yardstick_core::UnknownName`);
/// - `impl yardstick_core::ClosedSet for Type`.
///
/// See the [module documentation](mod@crate::closed_set) for an example.
#[macro_export]
macro_rules! closed_set {
    ($type:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $type {
            /// Every variant, in declaration order.
            pub const ALL: [$type; <[&str]>::len(&[$(stringify!($variant)),+])] =
                [$($type::$variant),+];

            /// The canonical name: the spelling in settings, stored data and messages.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($type::$variant => $name),+
                }
            }
        }

        impl $crate::ClosedSet for $type {
            const WHAT: &'static str = $what;
            const ALL: &'static [$type] = &$type::ALL;

            fn as_str(self) -> &'static str {
                $type::as_str(self)
            }
        }

        impl ::std::fmt::Display for $type {
            fn fmt(&self, formatter: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                formatter.write_str($type::as_str(*self))
            }
        }

        impl ::std::str::FromStr for $type {
            type Err = $crate::UnknownName;

            fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {
                <$type as $crate::ClosedSet>::from_name(text)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::{ClosedSet, UnknownName};

    /// A closed set with a multi-word name and a name that differs from its variant.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    enum Shade {
        Light,
        PitchDark,
        Grey,
    }

    crate::closed_set!(Shade, "shade", {
        Light => "light",
        PitchDark => "pitch_dark",
        Grey => "gray",
    });

    #[test]
    fn every_variant_round_trips_through_its_name() {
        assert_eq!(Shade::ALL.len(), 3);
        for shade in Shade::ALL {
            assert_eq!(shade.as_str().parse::<Shade>(), Ok(shade));
            assert_eq!(shade.to_string(), shade.as_str());
            assert_eq!(Shade::from_name(shade.as_str()), Ok(shade));
        }
    }

    #[test]
    fn all_and_names_follow_the_listed_order() {
        assert_eq!(Shade::ALL, [Shade::Light, Shade::PitchDark, Shade::Grey]);
        assert_eq!(<Shade as ClosedSet>::ALL, &Shade::ALL);
        assert_eq!(Shade::names(), ["light", "pitch_dark", "gray"]);
        assert_eq!(<Shade as ClosedSet>::WHAT, "shade");
    }

    #[test]
    fn an_unknown_name_lists_the_valid_ones() {
        let error = "Grey".parse::<Shade>().err();
        assert_eq!(
            error,
            Some(UnknownName {
                what: "shade",
                given: "Grey".into(),
                valid: vec!["light", "pitch_dark", "gray"],
            })
        );
        assert_eq!(
            error.map(|error| error.to_string()).as_deref(),
            Some("unknown shade `Grey`; valid values are: light, pitch_dark, gray")
        );
    }

    #[test]
    fn parsing_is_exact() {
        assert!(" light".parse::<Shade>().is_err());
        assert!("LIGHT".parse::<Shade>().is_err());
        assert!("".parse::<Shade>().is_err());
    }
}
