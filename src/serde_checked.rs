//! Validating serde from one field list.
//!
//! Types with invariants (private fields, or derived fields that must agree) must not accept
//! any JSON that has the right shape. [`checked_serde!`] wraps such a type's definition:
//! it derives `Serialize` on the type and implements `Deserialize` by deserialising a private,
//! unchecked copy of the type generated from the same field list (same field names, serde
//! attributes and type name, so the same JSON), then passing the value through the type's
//! check, a `fn(Self) -> Result<Self>`: a checked constructor, or a check that may also
//! recompute derived fields. A failed check is reported through
//! [`serde::de::Error::custom`], so the message is the [`Error`](crate::Error)'s.
//!
//! The unchecked copy is private to the expansion: unlike serde's `remote = "Self"`, which
//! would make `T::deserialize` a public unchecked constructor, deserialising is only possible
//! through the check.

/// Defines a struct (or an enum with unit and struct variants) whose `Deserialize` runs
/// `check`, a `fn(Self) -> Result<Self>`; `Serialize` is derived. Write the type's other
/// derives and docs as usual, without `Serialize` and `Deserialize`, and the check after it:
///
/// ```text
/// checked_serde! {
///     /// Docs.
///     #[derive(Debug, Clone)]
///     pub struct Counts { start: u64, lost: u64 }
///     check = |c| Counts::new(c.start, c.lost)
/// }
/// ```
macro_rules! checked_serde {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$field_attr:meta])* $field_vis:vis $field:ident : $field_ty:ty ),* $(,)?
        }
        check = $check:expr $(;)?
    ) => {
        $(#[$attr])*
        #[derive(serde::Serialize)]
        $vis struct $name {
            $( $(#[$field_attr])* $field_vis $field: $field_ty, )*
        }

        $crate::serde_checked::checked_serde!(@deserialize $name, $check, |deserializer| {
            // The unchecked twin, named like the type so that serde's messages name the type;
            // its scope ends with this block.
            #[derive(serde::Deserialize)]
            struct $name {
                $( $(#[$field_attr])* $field: $field_ty, )*
            }
            let $name { $($field),* } = <$name as serde::Deserialize>::deserialize(deserializer)?;
            Self { $($field),* }
        });
    };
    (
        $(#[$attr:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$variant_attr:meta])*
                $variant:ident $({
                    $( $(#[$field_attr:meta])* $field:ident : $field_ty:ty ),* $(,)?
                })?
            ),* $(,)?
        }
        check = $check:expr $(;)?
    ) => {
        $(#[$attr])*
        #[derive(serde::Serialize)]
        $vis enum $name {
            $(
                $(#[$variant_attr])*
                $variant $({ $( $(#[$field_attr])* $field: $field_ty, )* })?,
            )*
        }

        $crate::serde_checked::checked_serde!(@deserialize $name, $check, |deserializer| {
            // The unchecked twin, named like the type so that serde's messages name the type;
            // its scope ends with this block.
            #[derive(serde::Deserialize)]
            enum $name {
                $(
                    $(#[$variant_attr])*
                    $variant $({ $( $(#[$field_attr])* $field: $field_ty, )* })?,
                )*
            }
            match <$name as serde::Deserialize>::deserialize(deserializer)? {
                $( $name::$variant $({ $($field),* })? => Self::$variant $({ $($field),* })?, )*
            }
        });
    };
    // The `Deserialize` impl: `$unchecked` deserialises `$deserializer` without checks, then
    // `$check` runs.
    (@deserialize $name:ident, $check:expr, |$deserializer:ident| $unchecked:block) => {
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D>($deserializer: D) -> std::result::Result<Self, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                let unchecked = $unchecked;
                let check: fn(Self) -> $crate::Result<Self> = $check;
                check(unchecked).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use checked_serde;
