//! The SSE standard as an oracle: the WHATWG "event stream interpretation" transcribed as
//! directly as possible over a whole input, for property tests and fuzz targets to compare
//! the streaming framer with. (`tests/vectors/oracle.py` is a second, independent
//! transcription, in Python, that checks the vector files.)

/// What the SSE oracle hands out: text, as the standard decodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OracleItem {
    /// A dispatched event: type, data, last event ID.
    Event(String, String, String),
    /// A comment.
    Comment(String),
    /// An accepted `retry`.
    Retry(u64),
}

/// The WHATWG "event stream interpretation" over the whole input: decode the stream with
/// U+FFFD replacement, strip one BOM, split lines on CRLF / LF / CR (text after the last
/// line end is discarded), interpret fields. Comments are reported (the standard ignores
/// them), and a `retry` past `u64` saturates.
pub fn sse_oracle(input: &[u8]) -> Vec<OracleItem> {
    let text = String::from_utf8_lossy(input);
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut line));
            }
            '\n' => lines.push(std::mem::take(&mut line)),
            c => line.push(c),
        }
    }
    let (mut event, mut data, mut last_id) = (String::new(), String::new(), String::new());
    let mut out = Vec::new();
    for line in lines {
        if line.is_empty() {
            if !data.is_empty() {
                data.pop();
                let name = if event.is_empty() { "message" } else { &event };
                out.push(OracleItem::Event(
                    name.to_owned(),
                    data.clone(),
                    last_id.clone(),
                ));
            }
            data.clear();
            event.clear();
            continue;
        }
        if let Some(comment) = line.strip_prefix(':') {
            out.push(OracleItem::Comment(comment.to_owned()));
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_str(), ""),
        };
        match field {
            "event" => event = value.to_owned(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "id" if !value.contains('\0') => last_id = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                out.push(OracleItem::Retry(value.parse().unwrap_or(u64::MAX)))
            }
            _ => {}
        }
    }
    out
}
