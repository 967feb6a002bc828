//! JSON objects written key by key, in the documented order (serde_json's maps sort their
//! keys), for the `--json` lines.

use std::fmt::Write;

/// A JSON object under construction: `{"kind":KIND` first, then each field in order.
pub(crate) struct Obj(String);

impl Obj {
    /// An object whose first member is `"kind":kind`.
    pub(crate) fn kind(kind: &str) -> Obj {
        Obj(String::from("{")).str("kind", kind)
    }

    /// Continues an object written elsewhere (its closing `}` removed).
    pub(crate) fn extend(object: &str) -> Obj {
        Obj(object.strip_suffix('}').unwrap_or(object).to_owned())
    }

    fn key(mut self, key: &str) -> Obj {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push_str(&string(key));
        self.0.push(':');
        self
    }

    /// A string member.
    pub(crate) fn str(self, key: &str, value: &str) -> Obj {
        let mut o = self.key(key);
        o.0.push_str(&string(value));
        o
    }

    /// A string member, or `null`.
    pub(crate) fn opt_str(self, key: &str, value: Option<&str>) -> Obj {
        match value {
            Some(v) => self.str(key, v),
            None => self.raw(key, "null"),
        }
    }

    /// A number, boolean or `null` member (anything whose `Display` is JSON).
    pub(crate) fn raw(self, key: &str, value: impl std::fmt::Display) -> Obj {
        let mut o = self.key(key);
        let _ = write!(o.0, "{value}");
        o
    }

    /// A number member, or `null`.
    pub(crate) fn opt_raw(self, key: &str, value: Option<impl std::fmt::Display>) -> Obj {
        match value {
            Some(v) => self.raw(key, v),
            None => self.raw(key, "null"),
        }
    }

    /// A number of seconds, to the millisecond.
    pub(crate) fn secs(self, key: &str, secs: f64) -> Obj {
        self.raw(key, format_args!("{secs:.3}"))
    }

    /// An array of strings, or `null`.
    pub(crate) fn strings(self, key: &str, value: Option<&[String]>) -> Obj {
        match value {
            Some(items) => {
                let list: Vec<String> = items.iter().map(|s| string(s)).collect();
                self.raw(key, format_args!("[{}]", list.join(",")))
            }
            None => self.raw(key, "null"),
        }
    }

    /// The finished object.
    pub(crate) fn end(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// A JSON string literal.
fn string(s: &str) -> String {
    // Serializing a `str` cannot fail.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_in_order() {
        let line = Obj::kind("x")
            .str("s", "a\"b\u{1b}")
            .opt_str("n", None)
            .raw("b", true)
            .opt_raw("o", Some(3))
            .secs("t", 1.5)
            .strings("a", Some(&["h".to_owned(), "r".to_owned()]))
            .strings("z", None)
            .end();
        assert_eq!(
            line,
            r#"{"kind":"x","s":"a\"b\u001b","n":null,"b":true,"o":3,"t":1.500,"a":["h","r"],"z":null}"#
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["s"], "a\"b\u{1b}");
        assert_eq!(
            Obj::extend(r#"{"kind":"delete","id":"1"}"#)
                .raw("recovered", false)
                .end(),
            r#"{"kind":"delete","id":"1","recovered":false}"#
        );
    }
}
