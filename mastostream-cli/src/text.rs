//! Mastodon's HTML as plain text for a terminal: tags removed, entities decoded, control
//! characters made harmless.
//!
//! Mastodon sends status content as a small HTML subset: `<p>` paragraphs, `<br>` line
//! breaks, links (`<a href>`) whose long URLs it splits into `<span class="invisible">`
//! and `<span class="ellipsis">` parts, and mentions and hashtags as `<span class="h-card">`
//! and `<a class="mention hashtag">`; other servers add lists, quotes, headings and `<pre>`.
//! [`plain`] turns that into text as Mastodon's web client shows it (the invisible parts of
//! a link hidden, `…` after the ellipsis part), and [`one_line`] shortens it for a line of
//! output.
//!
//! Any input is fine: unclosed tags, stray `<` and `&`, unknown entities and deep nesting
//! give text, never a panic, in time linear in the input. Control characters (an escape
//! sequence in a status could otherwise repaint the terminal) become U+FFFD.
//!
//! ```
//! use mastostream_cli::text::{one_line, plain};
//!
//! let html = r#"<p>Hello <span class="h-card"><a href="https://example.org/@bob" class="u-url mention">@<span>bob</span></a></span> &amp; <a href="https://example.org/tags/rust" class="mention hashtag">#<span>rust</span></a></p><p>See <a href="https://docs.example.org/very/long/path"><span class="invisible">https://</span><span class="ellipsis">docs.example.org/very</span><span class="invisible">/long/path</span></a></p>"#;
//! assert_eq!(plain(html), "Hello @bob & #rust\n\nSee docs.example.org/very…");
//! assert_eq!(one_line(&plain(html), 24), "Hello @bob & #rust See…");
//! ```

/// Nesting deeper than this is not tracked (the text is still kept): it bounds the memory
/// a hostile document can make the span stack use.
const MAX_DEPTH: usize = 64;

/// The longest entity name looked at (`&thetasym;` is 8); longer runs are text.
const MAX_ENTITY: usize = 12;

/// How a `<span>` shows: as is, hidden (`invisible`), or followed by `…` (`ellipsis`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Span {
    Shown,
    Hidden,
    Ellipsis,
}

/// The text of Mastodon's HTML: tags removed (paragraphs and block elements separated by
/// a blank line, `<br>` by a line break), entities decoded, the invisible parts of links
/// hidden, control characters (other than line breaks and tabs) replaced with U+FFFD.
pub fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut spans: Vec<Span> = Vec::new();
    let mut deep = 0usize; // spans opened past MAX_DEPTH, not tracked
    let hidden = |spans: &[Span]| spans.contains(&Span::Hidden);
    let mut rest = html;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            if !hidden(&spans) {
                decode_into(rest, &mut out);
            }
            break;
        };
        if !hidden(&spans) {
            decode_into(&rest[..lt], &mut out);
        }
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else {
            // An unclosed tag: the rest is text, as a browser would show it.
            if !hidden(&spans) {
                decode_into(&rest[lt..], &mut out);
            }
            break;
        };
        let tag = Tag::parse(&after[..gt]);
        rest = &after[gt + 1..];
        match (tag.name.as_str(), tag.closing) {
            ("br", _) => out.push('\n'),
            ("span", false) if deep > 0 || spans.len() >= MAX_DEPTH => deep += 1,
            ("span", false) => spans.push(tag.span),
            ("span", true) if deep > 0 => deep -= 1,
            ("span", true) => {
                let closed = spans.pop();
                if closed == Some(Span::Ellipsis) && !hidden(&spans) {
                    out.push('…');
                }
            }
            (name, _) if is_block(name) => paragraph(&mut out),
            _ => {}
        }
    }
    let trimmed = out.trim_end_matches(char::is_whitespace).len();
    out.truncate(trimmed);
    let lead = out.len() - out.trim_start_matches(char::is_whitespace).len();
    out.drain(..lead);
    out
}

/// Elements that separate paragraphs.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "blockquote"
            | "pre"
            | "ul"
            | "ol"
            | "li"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
    )
}

/// Ends the current paragraph: a blank line, once, and none at the start.
fn paragraph(out: &mut String) {
    let kept = out.trim_end_matches([' ', '\t']).len();
    out.truncate(kept);
    if out.is_empty() || out.ends_with("\n\n") {
        return;
    }
    out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
}

/// One tag: its lower-case name, whether it closes, and (for a span) how it shows.
struct Tag {
    name: String,
    closing: bool,
    span: Span,
}

impl Tag {
    fn parse(inner: &str) -> Tag {
        let inner = inner.trim_start();
        let (closing, inner) = match inner.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (false, inner),
        };
        let end = inner
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(inner.len());
        let name = inner[..end].to_ascii_lowercase();
        let span = match class(&inner[end..]) {
            Some(c) if c.split_ascii_whitespace().any(|w| w == "invisible") => Span::Hidden,
            Some(c) if c.split_ascii_whitespace().any(|w| w == "ellipsis") => Span::Ellipsis,
            _ => Span::Shown,
        };
        Tag {
            name,
            closing,
            span,
        }
    }
}

/// The value of a `class="..."` (or `'...'`) attribute.
fn class(attrs: &str) -> Option<&str> {
    let at = attrs.find("class=")?;
    let value = &attrs[at + "class=".len()..];
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &value[1..];
    Some(&value[..value.find(quote).unwrap_or(value.len())])
}

/// Appends `text` with its entities decoded and control characters replaced.
fn decode_into(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        push_clean(&rest[..amp], out);
        let after = &rest[amp + 1..];
        match entity(after) {
            Some((c, len)) => {
                push_clean_char(c, out);
                rest = &after[len..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    push_clean(rest, out);
}

/// The character an entity stands for and the length of its text after `&` (up to and
/// including `;`), if `s` starts with one this knows.
fn entity(s: &str) -> Option<(char, usize)> {
    let semi = s.get(..s.len().min(MAX_ENTITY))?.find(';')?;
    let name = &s[..semi];
    let c = if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        char::from_u32(code)
            .filter(|c| *c != '\0')
            .unwrap_or('\u{FFFD}')
    } else {
        match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => ' ',
            "hellip" => '…',
            "mdash" => '—',
            "ndash" => '–',
            "lsquo" => '‘',
            "rsquo" => '’',
            "ldquo" => '“',
            "rdquo" => '”',
            "copy" => '©',
            _ => return None,
        }
    };
    Some((c, semi + 1))
}

fn push_clean(s: &str, out: &mut String) {
    for c in s.chars() {
        push_clean_char(c, out);
    }
}

/// Pushes `c`, or U+FFFD for a control character other than a line break or tab (raw
/// newlines in HTML source are whitespace, as a browser treats them).
fn push_clean_char(c: char, out: &mut String) {
    match c {
        '\n' | '\r' | '\t' => out.push(' '),
        c if c.is_control() => out.push('\u{FFFD}'),
        c => out.push(c),
    }
}

/// Any server text (an account name, an event name, an error) made safe for a terminal:
/// control characters replaced with U+FFFD.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// `text` on one line: whitespace runs (line breaks included) collapsed to one space,
/// shortened to at most `max` characters, the last of them `…` when shortened.
pub fn one_line(text: &str, max: usize) -> String {
    let mut out = String::new();
    // Collapse until one character past `max` is known to exist.
    let mut count = 0usize;
    'words: for word in text.split_whitespace() {
        for c in (count > 0).then_some(' ').into_iter().chain(word.chars()) {
            if count == max {
                count += 1;
                break 'words;
            }
            out.push(c);
            count += 1;
        }
    }
    if count > max {
        // Room for the `…`: drop the last character kept, then any space before it.
        out.pop();
        let kept = out.trim_end().len();
        out.truncate(kept);
        if max > 0 {
            out.push('…');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_breaks() {
        assert_eq!(
            plain("<p>one<br>two<br/>three</p><p>four</p>"),
            "one\ntwo\nthree\n\nfour"
        );
        assert_eq!(plain("<p></p><p>x</p><p></p>"), "x");
        assert_eq!(plain("<ul><li>a</li><li>b</li></ul>"), "a\n\nb");
        assert_eq!(plain("plain text"), "plain text");
        assert_eq!(plain("<P>Upper</P>"), "Upper");
    }

    #[test]
    fn entities() {
        assert_eq!(
            plain("&lt;b&gt; &amp;amp; &quot;q&quot; &#39;s&#x27; &apos;&nbsp;&hellip;"),
            "<b> &amp; \"q\" 's' ' …"
        );
        // Unknown, unterminated and invalid entities stay text or become U+FFFD.
        assert_eq!(
            plain("&bogus; &amp &#xD800; &#0; &#99999999999;"),
            "&bogus; &amp \u{FFFD} \u{FFFD} &#99999999999;"
        );
        assert_eq!(plain("a & b"), "a & b");
        assert_eq!(plain("&"), "&");
        assert_eq!(plain("&#"), "&#");
    }

    #[test]
    fn links_hide_their_invisible_parts() {
        let link = r#"<a href="https://a.example/x/y"><span class="invisible">https://</span><span class="ellipsis">a.example/x</span><span class="invisible">/y</span></a>"#;
        assert_eq!(plain(link), "a.example/x…");
        let short = r#"<a href="https://a.example/"><span class="invisible">https://</span><span class="">a.example/</span><span class="invisible"></span></a>"#;
        assert_eq!(plain(short), "a.example/");
        // Single quotes, other classes alongside.
        assert_eq!(plain("<span class='x invisible'>gone</span>kept"), "kept");
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(plain("a\u{1b}[2Jb &#27;c"), "a\u{FFFD}[2Jb \u{FFFD}c");
        assert_eq!(printable("bob\u{7}\u{9b}"), "bob\u{FFFD}\u{FFFD}");
        assert_eq!(plain("line\nbreak\tin source"), "line break in source");
    }

    #[test]
    fn broken_html_never_panics() {
        for html in [
            "<",
            ">",
            "<<>>",
            "<p",
            "</",
            "< p>x",
            "<span class=\"invisible\">never closed",
            "</span></span>x",
            "<a href=\"é\">é</a",
            "&#x;",
            "&#;",
            "é&",
            "<span class=",
            "<span class='",
            "<br",
            "\u{0}<\u{0}>",
        ] {
            let _ = plain(html);
            let _ = one_line(&plain(html), 3);
        }
        assert_eq!(plain("a < b"), "a < b");
        assert_eq!(plain("</span></span>x"), "x");
        assert_eq!(plain("<span class=\"invisible\">never closed"), "");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let n = 100_000;
        let html = format!("{}x{}", "<span>".repeat(n), "</span>".repeat(n));
        assert_eq!(plain(&html), "x");
        let hidden = format!(
            "<span class=\"invisible\">{}h{}</span>v",
            "<span>".repeat(n),
            "</span>".repeat(n)
        );
        assert_eq!(plain(&hidden), "v");
    }

    #[test]
    fn one_line_shortens() {
        assert_eq!(one_line("a\n\nb  c", 100), "a b c");
        assert_eq!(one_line("abcdef", 4), "abc…");
        assert_eq!(one_line("ab cdef", 4), "ab…");
        assert_eq!(one_line("abcd ef", 4), "abc…");
        assert_eq!(one_line("abcd", 4), "abcd");
        assert_eq!(one_line("ab cd", 5), "ab cd");
        assert_eq!(one_line("ab cd", 0), "");
        assert_eq!(one_line("héllo wörld", 7), "héllo…");
        assert_eq!(one_line("", 5), "");
    }
}
