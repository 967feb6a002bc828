//! Entities to Python: a serde `Serializer` that builds Python objects directly, in
//! Mastodon.py's shapes.
//!
//! Every entity of `mastostream_proto::model` serializes to the JSON keys Mastodon sends, so
//! one serializer gives Mastodon.py's dicts: a struct becomes an instance of the entity
//! class registered under its Rust name (`Status`, `Account`, …: dict subclasses with
//! attribute access, defined in `mastostream/_entities.py`), or a plain `dict` when asked
//! for plain output; ids stay `str`; the timestamp fields Mastodon.py turns into `datetime`s
//! become `datetime`s ([`crate::time`]).

use std::collections::HashMap;
use std::fmt;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyType};
use serde::Serialize;
use serde::ser::{self, Impossible};

use crate::time::{self, Hint};

/// The entity classes Python registered, by Rust struct name.
struct Classes {
    by_name: HashMap<String, Py<PyType>>,
    fallback: Py<PyType>,
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

/// Registers the entity classes (`{"Status": Status, ...}`) and the class for entities
/// without one of their own. Called once by the package on import; later calls are ignored.
#[pyfunction]
pub(crate) fn _register_entities(
    py: Python<'_>,
    classes: HashMap<String, Py<PyType>>,
    fallback: Py<PyType>,
) {
    let _ = CLASSES.set(
        py,
        Classes {
            by_name: classes,
            fallback,
        },
    );
}

/// How structs come out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Instances of the registered entity classes (plain dicts if none are registered).
    Entities,
    /// Plain `dict`s.
    Plain,
}

/// Converts `value` to Python objects.
pub(crate) fn to_python<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
    shape: Shape,
) -> PyResult<Bound<'py, PyAny>> {
    value
        .serialize(Ser {
            py,
            shape,
            hint: Hint::Text,
        })
        .map_err(|e| e.0)
}

/// A `serde` error that carries a Python exception.
pub(crate) struct Error(PyErr);

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(PyValueError::new_err(msg.to_string()))
    }
}

impl From<PyErr> for Error {
    fn from(e: PyErr) -> Self {
        Error(e)
    }
}

type Out<'py> = Result<Bound<'py, PyAny>, Error>;

#[derive(Clone, Copy)]
struct Ser<'py> {
    py: Python<'py>,
    shape: Shape,
    /// How a string here is read (set by the field it is the value of).
    hint: Hint,
}

impl<'py> Ser<'py> {
    fn plain(self) -> Ser<'py> {
        Ser {
            hint: Hint::Text,
            ..self
        }
    }

    /// An empty object for the struct `name` (`None`: a JSON object of no known entity).
    fn object(self, name: Option<&str>) -> Result<Bound<'py, PyDict>, Error> {
        if self.shape == Shape::Entities
            && let Some(classes) = CLASSES.get(self.py)
        {
            let class = name
                .and_then(|n| classes.by_name.get(n))
                .unwrap_or(&classes.fallback);
            let object = class.bind(self.py).call0()?;
            return Ok(object.cast_into::<PyDict>().map_err(PyErr::from)?);
        }
        Ok(PyDict::new(self.py))
    }
}

impl<'py> ser::Serializer for Ser<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    type SerializeSeq = Seq<'py>;
    type SerializeTuple = Seq<'py>;
    type SerializeTupleStruct = Seq<'py>;
    type SerializeTupleVariant = Impossible<Bound<'py, PyAny>, Error>;
    type SerializeMap = Map<'py>;
    type SerializeStruct = Map<'py>;
    type SerializeStructVariant = Impossible<Bound<'py, PyAny>, Error>;

    fn serialize_bool(self, v: bool) -> Out<'py> {
        Ok(PyBool::new(self.py, v).to_owned().into_any())
    }
    fn serialize_i8(self, v: i8) -> Out<'py> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Out<'py> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Out<'py> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Out<'py> {
        Ok(PyInt::new(self.py, v).into_any())
    }
    fn serialize_u8(self, v: u8) -> Out<'py> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Out<'py> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Out<'py> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Out<'py> {
        Ok(PyInt::new(self.py, v).into_any())
    }
    fn serialize_f32(self, v: f32) -> Out<'py> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Out<'py> {
        Ok(PyFloat::new(self.py, v).into_any())
    }
    fn serialize_char(self, v: char) -> Out<'py> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Out<'py> {
        if let Some(dt) = time::to_python(self.py, self.hint, v)? {
            return Ok(dt);
        }
        Ok(PyString::new(self.py, v).into_any())
    }
    fn serialize_bytes(self, v: &[u8]) -> Out<'py> {
        Ok(PyBytes::new(self.py, v).into_any())
    }
    fn serialize_none(self) -> Out<'py> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Out<'py> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Out<'py> {
        let dict = PyDict::new(self.py);
        dict.set_item(variant, value.serialize(self.plain())?)?;
        Ok(dict.into_any())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'py>, Error> {
        Ok(Seq {
            ser: self.plain(),
            items: Vec::with_capacity(len.unwrap_or(0).min(4096)),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'py>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Seq<'py>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(ser::Error::custom(format!("unsupported enum {name}")))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'py>, Error> {
        Ok(Map {
            ser: self.plain(),
            dict: self.object(None)?,
            key: None,
        })
    }
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Map<'py>, Error> {
        Ok(Map {
            ser: self.plain(),
            dict: self.object(Some(name))?,
            key: None,
        })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(ser::Error::custom(format!("unsupported enum {name}")))
    }
}

/// A list being built.
pub(crate) struct Seq<'py> {
    ser: Ser<'py>,
    items: Vec<Bound<'py, PyAny>>,
}

impl<'py> Seq<'py> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.items.push(value.serialize(self.ser)?);
        Ok(())
    }

    fn finish(self) -> Out<'py> {
        Ok(PyList::new(self.ser.py, self.items)?.into_any())
    }
}

/// The three list-shaped serde traits, all pushing onto the list.
macro_rules! seq_impl {
    ($($trait:ident :: $method:ident),*) => {$(
        impl<'py> ser::$trait for Seq<'py> {
            type Ok = Bound<'py, PyAny>;
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.push(value)
            }
            fn end(self) -> Out<'py> {
                self.finish()
            }
        }
    )*};
}

seq_impl!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

/// A dict (or entity) being built.
pub(crate) struct Map<'py> {
    ser: Ser<'py>,
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyAny>>,
}

impl<'py> ser::SerializeMap for Map<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(key.serialize(self.ser)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| <Error as ser::Error>::custom("a map value without its key"))?;
        self.dict.set_item(key, value.serialize(self.ser)?)?;
        Ok(())
    }
    fn end(self) -> Out<'py> {
        Ok(self.dict.into_any())
    }
}

impl<'py> ser::SerializeStruct for Map<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let ser = Ser {
            hint: Hint::for_key(key),
            ..self.ser
        };
        self.dict.set_item(key, value.serialize(ser)?)?;
        Ok(())
    }
    fn end(self) -> Out<'py> {
        Ok(self.dict.into_any())
    }
}
