//! Redirects on real sockets, as trusted HTTP clients follow them: loops end naming the
//! loop, the token never reaches another origin (the second listener is another port),
//! https never goes down to http, other schemes are a fatal error naming the URL, chains
//! are bounded, and a 1 MiB `Location` stops at the head limit.

use mastostream_client::{ErrorKind, Runtime};

use super::harness::{Hostile, SECRET};
use super::hostile_http::reasons_are;
use super::{Outcome, ensure};
use crate::hostile::{Behaviour, HostileOptions, Listener, Location, Request};

/// The `Authorization` each request carried, in order.
fn auth(requests: &[Request]) -> Vec<Option<String>> {
    requests
        .iter()
        .map(|r| r.header("authorization").map(str::to_owned))
        .collect()
}

fn bearer() -> Option<String> {
    Some(format!("Bearer {SECRET}"))
}

/// A redirect to the URL just asked for, and two listeners pointing at each other: each a
/// fatal "redirect loop" naming the URL; the token went to the main listener only.
pub async fn redirect_loop<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt.clone(), HostileOptions::default());
    h.server.queue([Behaviour::redirect(307, Location::Same)]);
    let mut w = h.sse(|_| {})?;
    let end = w.fatal("the loop").await?;
    let url = format!("{}/api/v1/streaming/user", h.server.url());
    let want = format!("redirect loop: {url} was already visited");
    ensure(end.to_string() == want && !end.is_transient(), || {
        format!("ended with {end}, want {want}")
    })?;
    ensure(w.retries().is_empty(), || format!("no retry; {}", w.log()))?;

    let h = Hostile::start(
        rt,
        HostileOptions {
            default: Behaviour::redirect(302, Location::On(Listener::Second)),
            second_default: Behaviour::redirect(302, Location::On(Listener::Main)),
            ..HostileOptions::default()
        },
    );
    let mut w = h.sse(|_| {})?;
    let end = w.fatal("the A→B→A loop").await?;
    let url = format!("{}/api/v1/streaming/user", h.server.url());
    let want = format!("redirect loop: {url} was already visited");
    ensure(end.to_string() == want, || {
        format!("ended with {end}, want {want}")
    })?;
    let (main, second) = (h.server.requests(), h.server.requests_on(Listener::Second));
    ensure(auth(&main) == [bearer()] && auth(&second) == [None], || {
        format!(
            "token to main only: main {:?}, second {:?}",
            auth(&main),
            auth(&second)
        )
    })
}

/// Cross-origin (same host, other port), over plain TCP and over TLS: followed, without
/// `Authorization` at the other port; the good event comes from there.
pub async fn redirect_cross_origin_drops_the_token<R: Runtime + Default>(rt: R) -> Outcome {
    for opts in [HostileOptions::default(), HostileOptions::tls()] {
        let tls = opts.tls;
        let h = Hostile::start(rt.clone(), opts);
        h.server
            .queue([Behaviour::redirect(307, Location::On(Listener::Second))]);
        h.server.set_default(Listener::Main, Behaviour::Hangup);
        let mut w = h.sse(|_| {})?;
        w.good_event().await?;
        let (main, second) = (h.server.requests(), h.server.requests_on(Listener::Second));
        ensure(auth(&main) == [bearer()] && auth(&second) == [None], || {
            format!(
                "tls {tls}: token to main only: main {:?}, second {:?}",
                auth(&main),
                auth(&second)
            )
        })?;
        ensure(
            second[0].target == main[0].target && second[0].tls == tls,
            || format!("tls {tls}: the same target there: {second:?}"),
        )?;
        w.close().await?;
    }
    Ok(())
}

/// A relative `Location` stays on the origin: followed, with the token.
pub async fn redirect_same_origin_keeps_the_token<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    let to = Location::Verbatim("/api/v1/streaming/public/local".into());
    h.server.queue([Behaviour::redirect(301, to)]);
    let mut w = h.sse(|_| {})?;
    w.good_event().await?;
    let main = h.server.requests();
    let targets: Vec<&str> = main.iter().map(|r| r.target.as_str()).collect();
    ensure(
        targets == ["/api/v1/streaming/user", "/api/v1/streaming/public/local"],
        || format!("{targets:?}"),
    )?;
    ensure(auth(&main) == [bearer(), bearer()], || {
        format!("{:?}", auth(&main))
    })
}

/// https → http (a TLS main listener redirecting to a plain second one): refused, fatal;
/// the plain listener sees nothing.
pub async fn redirect_downgrade_refused<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(
        rt,
        HostileOptions {
            tls: true,
            ..HostileOptions::default()
        },
    );
    h.server
        .queue([Behaviour::redirect(302, Location::On(Listener::Second))]);
    let mut w = h.sse(|_| {})?;
    let end = w.fatal("the refusal").await?;
    let location = format!(
        "{}/api/v1/streaming/user",
        h.server.url_of(Listener::Second)
    );
    let text = end.to_string();
    ensure(
        text.starts_with(&format!("redirect to {location:?} refused: "))
            && text.contains("https to http"),
        || format!("ended with {text}"),
    )?;
    ensure(!end.is_transient() && w.retries().is_empty(), || w.log())?;
    let second = h
        .server
        .connections()
        .iter()
        .filter(|c| c.listener == Listener::Second)
        .count();
    ensure(second == 0, || {
        format!("{second} connections to the plain listener")
    })
}

/// `ftp:`, `javascript:` and `file:` locations: a fatal error naming the URL.
pub async fn redirect_other_schemes_refused<R: Runtime + Default>(rt: R) -> Outcome {
    for location in [
        "ftp://127.0.0.1/x",
        "javascript:alert(1)",
        "file:///etc/passwd",
    ] {
        let h = Hostile::start(rt.clone(), HostileOptions::default());
        let to = Location::Verbatim(location.into());
        h.server.queue([Behaviour::redirect(308, to)]);
        let mut w = h.sse(|_| {})?;
        let end = w.fatal(location).await?;
        let text = end.to_string();
        ensure(
            text.starts_with(&format!("redirect to {location:?} refused: "))
                && matches!(end.kind(), ErrorKind::BadRedirect { .. }),
            || format!("{location}: ended with {text}"),
        )?;
        ensure(
            w.retries().is_empty() && h.server.requests().len() == 1,
            || format!("{location}: one request, no retry; {}", w.log()),
        )?;
    }
    Ok(())
}

/// A chain as long as `max_redirects` is followed; one hop longer is a fatal "more than N
/// redirects in a row".
pub async fn redirect_chain_is_bounded<R: Runtime + Default>(rt: R) -> Outcome {
    const MAX: u32 = 3;
    let h = Hostile::start(rt, HostileOptions::default());
    h.server.queue(Behaviour::redirect_chain(MAX as usize, 307));
    let client = h.client(|c| c.max_redirects = MAX)?;
    let mut w = h.watch(client.stream_user());
    w.good_event().await?;
    let hops = h.server.requests().len();
    ensure(hops == MAX as usize + 1, || {
        format!("{hops} requests, want {}", MAX + 1)
    })?;
    w.close().await?;

    h.server
        .queue(Behaviour::redirect_chain(MAX as usize + 1, 307));
    let mut w = h.watch(client.stream_user());
    let end = w.fatal("too many redirects").await?;
    let want = format!("more than {MAX} redirects in a row");
    ensure(end.to_string() == want, || {
        format!("ended with {end}, want {want}")
    })?;
    let asked = h.server.requests().len() - hops;
    ensure(asked == MAX as usize + 1, || {
        format!("{asked} requests, want {}", MAX + 1)
    })
}

/// A 1 MiB `Location`: the head limit stops it (nothing kept past the limit), the reason
/// names the limit, the client retries and gets the good event at the original URL.
pub async fn redirect_with_a_1_mib_location<R: Runtime + Default>(rt: R) -> Outcome {
    let h = Hostile::start(rt, HostileOptions::default());
    h.server
        .queue([Behaviour::redirect(302, Location::Long(1 << 20))]);
    let mut w = h.sse(|_| {})?;
    w.good_event().await?;
    reasons_are(
        "1 MiB Location",
        &w.retry_reasons(),
        &["response head over 16 KiB"],
    )?;
    let targets: Vec<String> = h.server.requests().into_iter().map(|r| r.target).collect();
    ensure(
        targets.iter().all(|t| t == "/api/v1/streaming/user"),
        || format!("never followed: {targets:?}"),
    )
}
