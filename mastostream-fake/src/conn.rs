//! One connection of the fake server: read the request, route it, answer or stream.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::http::{Conn, RecordedRequest, Reply, STREAM_HEAD, chunk, read_request};
use super::store::Collection;
use crate::auth;
use crate::dialect::{Dialect, discovery, mastodon, paging};
use crate::plan::{Cut, Inject, Plan, StreamPlan};
use crate::publish::Cmd;
use crate::route::{self, Filter};
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
    send(conn, &r.encode())
}

/// Writes a whole response (the connection closes after it).
fn send(conn: &mut Conn, bytes: &[u8]) -> io::Result<()> {
    conn.write_all(bytes)?;
    conn.flush()?;
    if let Conn::Tls(s) = conn {
        s.conn.send_close_notify();
        let _ = s.flush();
    }
    Ok(())
}

fn route(shared: &Shared, conn: &mut Conn, req: &RecordedRequest, id: u64) -> io::Result<()> {
    let dialect = shared.opts.dialect;
    let speaks = dialect.speaks();
    let path = req.path.as_str();
    if let Some(answer) = discovery::answer(shared, req) {
        return send(conn, &answer);
    }
    if path == "/api/v1/streaming/health" && (dialect.has_sse() || dialect == Dialect::Iceshrimp) {
        let ok = Reply {
            status: 200,
            reason: "OK".into(),
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: b"OK".to_vec(),
        };
        return reply(conn, &ok);
    }
    let upgrade = ws::wants_upgrade(req) && speaks.upgrade_path(path);
    if (upgrade || req.is_stream()) && shared.opts.separate_streaming && !req.streaming_port {
        return reply(conn, &Reply::error(404, "Not Found", "Not found"));
    }
    if let (true, Some(refusal)) = (upgrade, &shared.opts.refuse_upgrades) {
        return reply(conn, refusal);
    }
    if upgrade {
        let handshake = match speaks.handshake(shared, req) {
            Ok(handshake) => handshake,
            Err(refusal) => return send(conn, &refusal),
        };
        return serve_plan(shared, conn, |conn, p| {
            ws::serve(shared, conn, req, id, handshake, p)
        });
    }
    if path.starts_with("/api/v1/streaming") && !dialect.has_sse() {
        let answer = if path.trim_end_matches('/') == "/api/v1/streaming" {
            speaks.no_upgrade(shared, req)
        } else {
            speaks.unknown_api(shared, req)
        };
        return send(conn, &answer);
    }
    if req.is_stream() {
        let v3 = dialect == Dialect::Mastodon3;
        return match mastodon::sse_key(shared, req, v3) {
            Ok(key) => serve_plan(shared, conn, |conn, p| stream(shared, conn, id, &key, p)),
            Err(r) => reply(conn, &r),
        };
    }
    if let Some((collection, filter)) = route::timeline(req) {
        let r = timeline(shared, req, collection, &filter).unwrap_or_else(|r| r);
        return reply(conn, &r);
    }
    reply(conn, &Reply::error(404, "Not Found", "Record not found"))
}

/// Answers a stream request as the next queued [`Plan`] says; `serve` streams.
fn serve_plan(
    shared: &Shared,
    conn: &mut Conn,
    serve: impl FnOnce(&mut Conn, &StreamPlan) -> io::Result<()>,
) -> io::Result<()> {
    let plan = shared.lock().plans.pop_front().unwrap_or_default();
    match plan {
        Plan::Reply(r) => reply(conn, &r),
        Plan::Hangup => Ok(()),
        Plan::Silent => wait_for_close(conn),
        Plan::Stream(p) => serve(conn, &p),
    }
}

/// A REST page (or the refusal, or the reply a test queued), rate limit headers included.
fn timeline(
    shared: &Shared,
    req: &RecordedRequest,
    collection: Collection,
    filter: &Filter,
) -> Result<Reply, Reply> {
    let grant = auth::authorize(shared, req)?;
    let scope = match collection {
        Collection::Notifications => "read:notifications",
        _ => "read:statuses",
    };
    if !grant.allows(scope) {
        return Err(auth::outside_scopes());
    }
    let mut st = shared.lock();
    if let Some(planned) = st.rest_plans.pop_front() {
        return Ok(planned);
    }
    let rate = match &mut st.budget {
        Some(budget) => budget.spend(Instant::now())?,
        None => Vec::new(),
    };
    let mut r = paging::answer(shared, &mut st, req, collection, filter)?;
    r.headers.extend(rate);
    Ok(r)
}

/// The `ws://` / `wss://` streaming base URL the instance documents name.
pub(crate) fn streaming_url(shared: &Shared) -> String {
    let scheme = if shared.opts.tls { "wss" } else { "ws" };
    let addr = shared.streaming_addr.unwrap_or(shared.main_addr);
    format!("{scheme}://{addr}")
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

/// Serves an SSE stream named `key` (see [`route`]) until it is cut or the peer leaves.
fn stream(
    shared: &Shared,
    conn: &mut Conn,
    id: u64,
    key: &[String],
    plan: &StreamPlan,
) -> io::Result<()> {
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
            Cmd::Event(wire) if !wire.route.reaches(key, &wire.name, true) => continue,
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
