//! Redirects: each status, and where each location points.

use std::io::{Read, Write};

use super::super::{Behaviour, HostileOptions, HostileServer, Listener, Location};
use super::{Client, connect, connect_tls};

const PATH: &str = "/api/v1/streaming/hashtag?tag=rust";

/// Asks `target` with a token; returns the status line and the `Location` value.
fn ask<S: Read + Write>(c: &mut Client<S>, target: &str) -> (String, String) {
    c.get(target, "Authorization: Bearer secret\r\n");
    let head = c.head();
    let status = head.split("\r\n").next().unwrap().to_owned();
    let location = head
        .split("\r\n")
        .find_map(|l| l.strip_prefix("Location: "))
        .unwrap_or_default()
        .to_owned();
    (status, location)
}

/// Follows a location by hand: its listener and target.
fn split(server: &HostileServer, location: &str) -> (Listener, String) {
    for l in [Listener::Main, Listener::Second] {
        if let Some(target) = location.strip_prefix(&server.url_of(l)) {
            return (l, target.to_owned());
        }
    }
    panic!("{location} is on neither listener");
}

#[test]
fn every_status_points_back_at_the_same_url() {
    let server = HostileServer::start(HostileOptions::default());
    let statuses = [
        (301, "Moved Permanently"),
        (302, "Found"),
        (303, "See Other"),
        (307, "Temporary Redirect"),
        (308, "Permanent Redirect"),
    ];
    for (status, reason) in statuses {
        server.queue([Behaviour::redirect(status, Location::Same)]);
        let mut c = connect(&server, Listener::Main);
        let (line, location) = ask(&mut c, PATH);
        assert_eq!(line, format!("HTTP/1.1 {status} {reason}"));
        assert_eq!(
            location,
            format!("http://{}{PATH}", server.addr(Listener::Main))
        );
    }
}

#[test]
fn cross_origin_redirects_go_to_the_second_listener_which_records_apart() {
    let server = HostileServer::start(HostileOptions::default());
    server.queue([Behaviour::redirect(307, Location::On(Listener::Second))]);
    let mut c = connect(&server, Listener::Main);
    let (_, location) = ask(&mut c, PATH);
    assert_eq!(
        location,
        format!("http://{}{PATH}", server.addr(Listener::Second))
    );
    let (listener, target) = split(&server, &location);
    assert_eq!(listener, Listener::Second);
    // A client that drops the token on another origin.
    let mut next = connect(&server, listener);
    next.get(&target, "");
    assert!(next.head().starts_with("HTTP/1.1 200 OK\r\n"));
    let main = server.requests();
    let second = server.requests_on(Listener::Second);
    assert_eq!((main.len(), second.len()), (1, 1));
    assert!(main[0].has_authorization() && !second[0].has_authorization());
    assert_eq!(second[0].target, PATH);
}

#[test]
fn defaults_pointing_at_each_other_loop() {
    use Listener::{Main, Second};
    let server = HostileServer::start(HostileOptions {
        default: Behaviour::redirect(302, Location::On(Second)),
        second_default: Behaviour::redirect(302, Location::On(Main)),
        ..HostileOptions::default()
    });
    let (mut listener, mut target) = (Main, PATH.to_owned());
    let mut visited = Vec::new();
    for _ in 0..4 {
        let mut c = connect(&server, listener);
        let (_, location) = ask(&mut c, &target);
        visited.push(listener);
        (listener, target) = split(&server, &location);
        assert_eq!(target, PATH);
    }
    assert_eq!(visited, [Main, Second, Main, Second]);
    assert_eq!(server.requests_on(Second).len(), 2);
}

#[test]
fn https_redirects_down_to_http() {
    let server = HostileServer::start(HostileOptions {
        tls: true,
        second_tls: false,
        ..HostileOptions::default()
    });
    server.queue([Behaviour::redirect(301, Location::On(Listener::Second))]);
    let mut c = connect_tls(&server, Listener::Main);
    let (_, location) = ask(&mut c, PATH);
    assert!(server.url().starts_with("https://"));
    assert_eq!(
        location,
        format!("http://{}{PATH}", server.addr(Listener::Second))
    );
    assert!(server.requests()[0].tls);
}

#[test]
fn verbatim_locations_are_written_as_given() {
    let server = HostileServer::start(HostileOptions::default());
    for location in [
        "ftp://127.0.0.1/stream",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "../streaming/public",
        "/api/v1/streaming/public",
        "?stream=public",
    ] {
        server.queue([Behaviour::redirect(
            302,
            Location::Verbatim(location.into()),
        )]);
        let mut c = connect(&server, Listener::Main);
        assert_eq!(ask(&mut c, PATH).1, location);
    }
    server.queue([Behaviour::redirect(
        308,
        Location::Path(Listener::Second, "/elsewhere".into()),
    )]);
    let mut c = connect(&server, Listener::Main);
    let want = format!("{}/elsewhere", server.url_of(Listener::Second));
    assert_eq!(ask(&mut c, PATH).1, want);
}

#[test]
fn a_long_location_is_one_mebibyte() {
    let server = HostileServer::start(HostileOptions::default());
    server.queue([Behaviour::redirect(302, Location::Long(1 << 20))]);
    let mut c = connect(&server, Listener::Main);
    let (line, location) = ask(&mut c, PATH);
    assert_eq!(line, "HTTP/1.1 302 Found");
    assert_eq!(location.len(), 1 << 20);
    assert!(location.starts_with(&format!("{}/api/v1/streaming/user?pad=aaa", server.url())));
}

#[test]
fn chains_hop_through_distinct_urls_then_serve() {
    let server = HostileServer::start(HostileOptions::default());
    server.queue(Behaviour::redirect_chain(3, 307));
    let mut target = PATH.to_owned();
    for hop in 1..=3 {
        let mut c = connect(&server, Listener::Main);
        let (line, location) = ask(&mut c, &target);
        assert_eq!(line, "HTTP/1.1 307 Temporary Redirect");
        let (listener, next) = split(&server, &location);
        assert_eq!(listener, Listener::Main);
        assert_eq!(next, format!("{PATH}&hop={hop}"));
        target = next;
    }
    let mut c = connect(&server, Listener::Main);
    c.get(&target, "");
    assert!(
        c.head().starts_with("HTTP/1.1 200 OK\r\n"),
        "after the chain: a stream"
    );
    assert_eq!(server.requests().len(), 4);
}
