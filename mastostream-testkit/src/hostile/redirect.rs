//! Redirects: where each [`Location`] points, and the response that says so.

use super::behaviour::{Canned, Location, Redirect};
use super::http::encode;
use super::record::Request;
use super::state::Shared;
use super::wire::{Step, Wire};

/// [`Behaviour::Redirect`](super::Behaviour::Redirect): the redirect response, then close.
pub(crate) fn serve(shared: &Shared, wire: &mut Wire, req: &Request, r: &Redirect) -> Step {
    let location = resolve(shared, req, &r.to);
    wire.send(&encode(&response(r.status, &location)))
}

/// The redirect response pointing at `location`.
pub(crate) fn response(status: u16, location: &str) -> Canned {
    let reason = match status {
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        _ => "Redirect",
    };
    Canned::new(status, reason)
        .with_header("Location", location)
        .with_header("Content-Type", "text/html")
        .with_body(b"<html><body>Moved</body></html>\n")
}

/// The `Location` value for this request.
pub(crate) fn resolve(shared: &Shared, req: &Request, to: &Location) -> String {
    let own = shared.base(req.listener);
    match to {
        Location::Same => format!("{own}{}", req.target),
        Location::On(l) => format!("{}{}", shared.base(*l), req.target),
        Location::Path(l, path) => format!("{}{path}", shared.base(*l)),
        Location::Verbatim(s) => s.clone(),
        Location::Hop(i) => format!("{own}{}", with_param(&req.target, "hop", &i.to_string())),
        Location::Long(len) => {
            let prefix = format!("{own}/api/v1/streaming/user?pad=");
            let pad = len.saturating_sub(prefix.len());
            format!("{prefix}{}", "a".repeat(pad))
        }
    }
}

/// `target` with the query parameter `name` set to `value` (replaced where present,
/// appended otherwise).
fn with_param(target: &str, name: &str, value: &str) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && kv.split('=').next() != Some(name))
        .map(str::to_owned)
        .collect();
    params.push(format!("{name}={value}"));
    format!("{path}?{}", params.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_parameters_replace_or_append() {
        assert_eq!(with_param("/a", "hop", "1"), "/a?hop=1");
        assert_eq!(with_param("/a?tag=x", "hop", "2"), "/a?tag=x&hop=2");
        assert_eq!(with_param("/a?hop=2&tag=x", "hop", "3"), "/a?tag=x&hop=3");
        assert_eq!(with_param("/a?hopper=1", "hop", "1"), "/a?hopper=1&hop=1");
    }
}
