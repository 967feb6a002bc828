//! One connection of the fake server: read the request, route it, answer or stream.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::http::{Conn, RecordedRequest, Reply, STREAM_HEAD, chunk, json_string, read_request};
use super::store::{Collection, Page, link_header, page_body};
use crate::plan::{Cut, Inject, Plan, StreamPlan};
use crate::publish::Cmd;
use crate::server::{Live, Shared};
use crate::ws;

pub(super) fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener, streaming_port: bool) {
    for tcp in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(tcp) = tcp else { continue };
        let _ = tcp.set_nodelay(true);
        let _ = tcp.set_write_timeout(Some(Duration::from_secs(10)));
        let id = {
            let mut st = shared.lock();
            st.next_conn += 1;
            let id = st.next_conn;
            if let Ok(clone) = tcp.try_clone() {
                st.sockets.push((id, clone));
            }
            id
        };
        let shared = shared.clone();
        thread::spawn(move || {
            handle(&shared, tcp, id, streaming_port);
            let mut st = shared.lock();
            st.live.retain(|l| l.conn != id);
            if let Some(i) = st.sockets.iter().position(|(c, _)| *c == id) {
                let (_, s) = st.sockets.swap_remove(i);
                let _ = s.shutdown(Shutdown::Both);
            }
            drop(st);
            shared.changed.notify_all();
        });
    }
}

fn handle(shared: &Shared, tcp: TcpStream, id: u64, streaming_port: bool) {
    let tls = shared.tls.is_some();
    let mut conn = match &shared.tls {
        Some(config) => match rustls::ServerConnection::new(config.clone()) {
            Ok(c) => Conn::Tls(Box::new(rustls::StreamOwned::new(c, tcp))),
            Err(_) => return,
        },
        None => Conn::Plain(tcp),
    };
    let _ = conn.tcp().set_read_timeout(Some(Duration::from_secs(30)));
    let Some(req) = read_request(&mut conn, tls, streaming_port) else {
        return;
    };
    shared.lock().requests.push(req.clone());
    shared.changed.notify_all();
    let _ = route(shared, &mut conn, &req, id);
}

fn reply(conn: &mut Conn, r: &Reply) -> io::Result<()> {
    conn.write_all(&r.encode())?;
    conn.flush()?;
    if let Conn::Tls(s) = conn {
        s.conn.send_close_notify();
        let _ = s.flush();
    }
    Ok(())
}

fn route(shared: &Shared, conn: &mut Conn, req: &RecordedRequest, id: u64) -> io::Result<()> {
    let path = req.path.as_str();
    if path == "/api/v1/streaming/health" {
        let ok = Reply {
            status: 200,
            reason: "OK".into(),
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: b"OK".to_vec(),
        };
        return reply(conn, &ok);
    }
    if ws::is_upgrade(req) {
        if shared.opts.separate_streaming && !req.streaming_port {
            return reply(conn, &Reply::error(404, "Not Found", "Not found"));
        }
        if let Err(message) = check_token(shared, req) {
            conn.write_all(&ws::refusal(401, "Unauthorized", message))?;
            return conn.flush();
        }
        let plan = shared.lock().plans.pop_front().unwrap_or_default();
        return match plan {
            Plan::Reply(r) => reply(conn, &r),
            Plan::Hangup => Ok(()),
            Plan::Silent => wait_for_close(conn),
            Plan::Stream(p) => ws::serve(shared, conn, req, id, &p),
        };
    }
    if req.is_stream() {
        if shared.opts.separate_streaming && !req.streaming_port {
            return reply(conn, &Reply::error(404, "Not Found", "Not found"));
        }
        if let Err(r) = authorize(shared, req).and_then(|()| check_channel(req)) {
            return reply(conn, &r);
        }
        let plan = shared.lock().plans.pop_front().unwrap_or_default();
        return match plan {
            Plan::Reply(r) => reply(conn, &r),
            Plan::Hangup => Ok(()),
            Plan::Silent => wait_for_close(conn),
            Plan::Stream(p) => stream(shared, conn, id, &p),
        };
    }
    if path == "/api/v2/instance" {
        let body = format!(
            "{{\"domain\":\"127.0.0.1\",\"title\":\"mastostream fake server\",\"version\":\"4.3.0\",\
             \"description\":\"A fake Mastodon server for tests\",\"configuration\":{{\"urls\":{{\"streaming\":{}}}}}}}",
            json_string(&streaming_url(shared))
        );
        return reply(conn, &Reply::json(200, "OK", &body));
    }
    if let Some((collection, max)) = rest_collection(path) {
        if let Err(r) = authorize(shared, req) {
            return reply(conn, &r);
        }
        let planned = shared.lock().rest_plans.pop_front();
        if let Some(r) = planned {
            return reply(conn, &r);
        }
        let num = |k: &str| req.param(k).and_then(|v| v.parse::<u64>().ok());
        let page = Page {
            min_id: num("min_id"),
            since_id: num("since_id"),
            max_id: num("max_id"),
            limit: num("limit").map(|l| l as usize),
        };
        let items = shared.lock().store.page(collection, page, max);
        let keep: Vec<(String, String)> = req
            .query
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "min_id" | "since_id" | "max_id" | "limit"))
            .cloned()
            .collect();
        let base = format!("{}{}", shared.base_url(shared.main_addr), req.path);
        let mut r = Reply::json(200, "OK", &page_body(&items));
        if let Some(link) = link_header(&items, &base, &keep) {
            r = r.with_header("Link", &link);
        }
        return reply(conn, &r);
    }
    reply(conn, &Reply::error(404, "Not Found", "Record not found"))
}

/// The `ws://` / `wss://` streaming base URL `/api/v2/instance` names.
pub(super) fn streaming_url(shared: &Shared) -> String {
    let scheme = if shared.opts.tls { "wss" } else { "ws" };
    let addr = shared.streaming_addr.unwrap_or(shared.main_addr);
    format!("{scheme}://{addr}")
}

fn rest_collection(path: &str) -> Option<(Collection, usize)> {
    let rest = path.strip_prefix("/api/v1/")?;
    match rest {
        "timelines/home" | "timelines/public" => Some((Collection::Statuses, 40)),
        "notifications" => Some((Collection::Notifications, 80)),
        "conversations" => Some((Collection::Conversations, 40)),
        _ => {
            let tail = rest
                .strip_prefix("timelines/tag/")
                .or_else(|| rest.strip_prefix("timelines/list/"))?;
            (!tail.is_empty() && !tail.contains('/')).then_some((Collection::Statuses, 40))
        }
    }
}

/// Mastodon's token check: `Authorization: Bearer` (or the `access_token` query parameter).
fn authorize(shared: &Shared, req: &RecordedRequest) -> Result<(), Reply> {
    check_token(shared, req).map_err(Reply::unauthorized)
}

/// The token check, with Mastodon's `401` message on failure. A WebSocket upgrade may also
/// carry the token in `Sec-WebSocket-Protocol`.
fn check_token(shared: &Shared, req: &RecordedRequest) -> Result<(), &'static str> {
    let Some(want) = &shared.opts.token else {
        return Ok(());
    };
    let given = req
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .or_else(|| req.param("access_token"))
        .or_else(|| ws::protocol_token(req).filter(|_| ws::is_upgrade(req)));
    let revoked = shared.lock().revoked;
    match given {
        None => Err("Missing access token"),
        Some(t) if t == want && !revoked => Ok(()),
        Some(_) => Err("Invalid access token"),
    }
}

/// Mastodon's channel check, with its `400` messages.
fn check_channel(req: &RecordedRequest) -> Result<(), Reply> {
    let name = req
        .path
        .trim_start_matches("/api/v1/streaming")
        .trim_matches('/');
    let missing = |p: &str| req.param(p).is_none_or(str::is_empty);
    match name {
        "user" | "user/notification" | "public" | "public/local" | "public/remote" | "direct" => {
            Ok(())
        }
        "hashtag" | "hashtag/local" if missing("tag") => Err(Reply::error(
            400,
            "Bad Request",
            "Missing tag name parameter",
        )),
        "list" if missing("list") => Err(Reply::error(
            400,
            "Bad Request",
            "Missing list name parameter",
        )),
        "hashtag" | "hashtag/local" | "list" => Ok(()),
        _ => Err(Reply::error(
            400,
            "Bad Request",
            "Unknown channel requested",
        )),
    }
}

/// Blocks until the peer closes the connection (or the server shuts it down).
fn wait_for_close(conn: &mut Conn) -> io::Result<()> {
    let _ = conn.tcp().set_read_timeout(None);
    let mut buf = [0u8; 256];
    while conn.read(&mut buf)? > 0 {}
    Ok(())
}

/// Writes everything, optionally one byte per write.
struct Writer<'a> {
    conn: &'a mut Conn,
    byte_at_a_time: bool,
}

impl Writer<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.byte_at_a_time {
            for b in bytes {
                self.conn.write_all(std::slice::from_ref(b))?;
                self.conn.flush()?;
            }
            Ok(())
        } else {
            self.conn.write_all(bytes)?;
            self.conn.flush()
        }
    }

    fn chunk(&mut self, data: &[u8]) -> io::Result<()> {
        self.write(&chunk(data))
    }

    fn end(&mut self) -> io::Result<()> {
        self.write(b"0\r\n\r\n")
    }
}

fn stream(shared: &Shared, conn: &mut Conn, id: u64, plan: &StreamPlan) -> io::Result<()> {
    let (tx, rx) = mpsc::channel();
    {
        let mut st = shared.lock();
        st.live.push(Live { conn: id, tx });
        st.streams_opened += 1;
    }
    shared.changed.notify_all();
    let mut w = Writer {
        conn,
        byte_at_a_time: plan.byte_at_a_time,
    };
    w.write(STREAM_HEAD)?;
    w.chunk(b":)\n")?;
    for inject in &plan.prelude {
        match inject {
            Inject::Body(bytes) => w.chunk(bytes)?,
            Inject::Raw(bytes) => w.write(bytes)?,
            Inject::EndlessLine(len) => {
                w.chunk(b"event: update\n")?;
                w.chunk(b"data: ")?;
                let block = vec![b'x'; 64 * 1024];
                let mut left = *len;
                while left > 0 {
                    let n = left.min(block.len());
                    w.chunk(&block[..n])?;
                    left -= n;
                }
                w.chunk(b"\n\n")?;
            }
        }
    }
    let mut events = 0;
    while let Ok(cmd) = rx.recv() {
        let cut = match cmd {
            Cmd::Event(wire) => match plan.cut {
                Some((after, cut)) if events >= after => {
                    if cut == Cut::DropMidEvent {
                        w.chunk(&wire.event)?;
                        w.chunk(&wire.data[..wire.data.len() / 2])?;
                    }
                    cut
                }
                _ => {
                    events += 1;
                    w.chunk(&wire.event)?;
                    w.chunk(&wire.data)?;
                    continue;
                }
            },
            Cmd::Heartbeat => {
                w.chunk(b":thump\n")?;
                continue;
            }
            Cmd::Raw(bytes) => {
                w.chunk(&bytes)?;
                continue;
            }
            Cmd::Targeted(_) => continue,
            Cmd::Cut(cut) => cut,
        };
        // Leave the live set before the peer can see the cut.
        shared.lock().live.retain(|l| l.conn != id);
        shared.changed.notify_all();
        return match cut {
            Cut::Drop | Cut::DropMidEvent => Ok(()),
            Cut::End => w.end(),
            Cut::Stall => wait_for_close(w.conn),
        };
    }
    Ok(())
}
