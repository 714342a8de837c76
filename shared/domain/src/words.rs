//! The wire words of closed vocabularies (relations, purposes, checks, reasons), each
//! defined once: the variant and its code side by side, from which come `code`, `parse`,
//! `ALL` and serde in both directions. Handlers, the store, audit events and the review
//! tool all go through these.

/// `vocabulary! { /// doc  pub enum Name { /// doc  Variant = "code", … } }`
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every word, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word on the wire and in stored items.
            pub const fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// The variant a word names, if any.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| {
                    serde::de::Error::unknown_variant(&s, &[$($code),+])
                })
            }
        }
    };
}

pub(crate) use vocabulary;

#[cfg(test)]
mod tests {
    vocabulary! {
        /// A test vocabulary.
        enum Colour {
            Red = "red",
            /// Documented.
            DarkBlue = "dark_blue",
        }
    }

    #[test]
    fn one_definition_gives_code_parse_and_serde() {
        assert_eq!(Colour::ALL, &[Colour::Red, Colour::DarkBlue]);
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.code()), Some(*c));
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.code()));
            assert_eq!(serde_json::from_str::<Colour>(&json).unwrap(), *c);
        }
        assert_eq!(Colour::parse("Red"), None);
        assert!(serde_json::from_str::<Colour>("\"blue\"").is_err());
        assert_eq!(Colour::DarkBlue.to_string(), "dark_blue");
    }
}
