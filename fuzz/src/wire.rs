//! The byte format of the structured fuzz inputs (`session_ops`, and `http_head`'s structured
//! heads): every value can be read from any bytes *and* written back, so the seed corpus is
//! written by the same code that reads it.
//!
//! Integers and booleans are read as `arbitrary` 1.x reads them (little-endian, zero-padded
//! when the input runs out; a boolean is a byte's low bit). An enum is one tag byte (modulo
//! the number of variants, so every byte is a valid tag) followed by the variant's fields;
//! a struct is its fields in order; [`Raw`] is a length byte and that many bytes. The
//! [`wire_struct!`](crate::wire_struct) and [`wire_enum!`](crate::wire_enum) macros declare a
//! type and its [`Wire`] impl together, so the two directions cannot drift apart.

use arbitrary::{Arbitrary, Unstructured};

/// A value that can be read from fuzzer bytes and written back as the same bytes.
pub trait Wire: Sized {
    /// Reads a value (never fails for lack of bytes on integers: they are zero-padded).
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self>;
    /// Appends the bytes [`Wire::read`] reads back as this value.
    fn write(&self, out: &mut Vec<u8>);
}

macro_rules! wire_int {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
                <$t as Arbitrary>::arbitrary(u)
            }
            fn write(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}

wire_int!(u8, u16, u32, u64, i16, i32);

impl Wire for bool {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
        bool::arbitrary(u)
    }
    fn write(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl<T: Wire> Wire for Option<T> {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
        Ok(if bool::read(u)? {
            Some(T::read(u)?)
        } else {
            None
        })
    }
    fn write(&self, out: &mut Vec<u8>) {
        self.is_some().write(out);
        if let Some(v) = self {
            v.write(out);
        }
    }
}

/// Up to 255 arbitrary bytes: a length byte, then that many bytes (fewer if the input
/// ends).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Raw(pub Vec<u8>);

impl Wire for Raw {
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
        let len = usize::from(u8::read(u)?).min(u.len());
        Ok(Raw(u.bytes(len)?.to_vec()))
    }
    fn write(&self, out: &mut Vec<u8>) {
        assert!(self.0.len() <= 255, "a Raw holds at most 255 bytes");
        out.push(self.0.len() as u8);
        out.extend_from_slice(&self.0);
    }
}

impl Raw {
    /// Raw bytes from a string (at most 255 bytes; for seeds).
    pub fn text(s: &str) -> Raw {
        Raw(s.as_bytes().to_vec())
    }
}

/// Declares a struct whose fields are all [`Wire`], and its [`Wire`] impl (fields in
/// order).
#[macro_export]
macro_rules! wire_struct {
    (
        $(#[$m:meta])*
        $vis:vis struct $name:ident {
            $($(#[$fm:meta])* $fvis:vis $f:ident : $t:ty),* $(,)?
        }
    ) => {
        $(#[$m])*
        $vis struct $name { $($(#[$fm])* $fvis $f: $t),* }

        impl $crate::wire::Wire for $name {
            fn read(u: &mut ::arbitrary::Unstructured<'_>) -> ::arbitrary::Result<Self> {
                Ok($name { $($f: $crate::wire::Wire::read(u)?),* })
            }
            fn write(&self, out: &mut Vec<u8>) {
                $($crate::wire::Wire::write(&self.$f, out);)*
            }
        }
    };
}

/// Declares an enum whose variants are units or have named [`Wire`] fields, and its
/// [`Wire`] impl: a tag byte (the variant's index, read modulo the variant count), then
/// the fields in order.
#[macro_export]
macro_rules! wire_enum {
    (
        $(#[$m:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vm:meta])* $var:ident $({ $($(#[$fm:meta])* $f:ident : $t:ty),* $(,)? })?),* $(,)?
        }
    ) => {
        $(#[$m])*
        $vis enum $name { $($(#[$vm])* $var $({ $($(#[$fm])* $f: $t),* })?),* }

        impl $crate::wire::Wire for $name {
            #[allow(unused_assignments)]
            fn read(u: &mut ::arbitrary::Unstructured<'_>) -> ::arbitrary::Result<Self> {
                const COUNT: usize = [$(stringify!($var)),*].len();
                let tag = usize::from(<u8 as $crate::wire::Wire>::read(u)?) % COUNT;
                let mut i = 0usize;
                $(
                    if tag == i {
                        return Ok($name::$var $({ $($f: $crate::wire::Wire::read(u)?),* })?);
                    }
                    i += 1;
                )*
                unreachable!("tag {tag} of {COUNT}")
            }
            #[allow(unused_assignments)]
            fn write(&self, out: &mut Vec<u8>) {
                let mut i = 0u8;
                $(
                    if let $name::$var $({ $($f),* })? = self {
                        out.push(i);
                        $($($crate::wire::Wire::write($f, out);)*)?
                        return;
                    }
                    i += 1;
                )*
            }
        }
    };
}

/// Reads a whole value from `data` (what is left over is ignored).
pub fn from_bytes<T: Wire>(data: &[u8]) -> arbitrary::Result<T> {
    T::read(&mut Unstructured::new(data))
}

/// The bytes of a value.
pub fn to_bytes<T: Wire>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    value.write(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    wire_enum! {
        #[derive(Debug, PartialEq)]
        enum E {
            A,
            B { x: u16, y: Option<u64> },
            C { raw: Raw, flag: bool },
        }
    }

    wire_struct! {
        #[derive(Debug, PartialEq)]
        struct S { e: E, n: i32 }
    }

    #[test]
    fn values_read_back() {
        for e in [
            E::A,
            E::B {
                x: 513,
                y: Some(u64::MAX),
            },
            E::B { x: 0, y: None },
            E::C {
                raw: Raw(vec![1, 2, 3]),
                flag: true,
            },
        ] {
            let s = S { e, n: -7 };
            assert_eq!(from_bytes::<S>(&to_bytes(&s)).unwrap(), s);
        }
        // Tags wrap; integers are zero-padded.
        assert_eq!(from_bytes::<E>(&[4, 1]).unwrap(), E::B { x: 1, y: None });
    }
}
