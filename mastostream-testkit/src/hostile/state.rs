//! The server's shared state, its accept loops, and the start of every connection: TLS,
//! the request head, the next behaviour, and the record of how it ended.

use std::collections::VecDeque;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::MAX_FRAMES;
use super::behaviour::{Behaviour, Pace};
use super::record::{ClientFrame, Connection, Ending, Listener, Request};
use super::wire::{Step, Stop, Wire};
use super::{flood, http, redirect, ws};

/// What every thread of one server shares.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    stop: AtomicBool,
    /// The two listeners' addresses, by [`Listener::index`].
    pub(crate) addrs: [SocketAddr; 2],
    /// The two listeners' TLS configurations.
    pub(crate) tls: [Option<Arc<rustls::ServerConfig>>; 2],
}

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) queues: [VecDeque<Behaviour>; 2],
    pub(crate) defaults: [Behaviour; 2],
    pub(crate) conns: Vec<Connection>,
    /// A clone of each open connection's socket, by connection index, to shut them all
    /// down at once.
    pub(crate) sockets: Vec<(usize, TcpStream)>,
    pub(crate) threads: Vec<JoinHandle<()>>,
    /// Bytes released for [`Pace::Step`] drips and not yet written.
    pub(crate) permits: u64,
}

impl Shared {
    pub(crate) fn new(
        addrs: [SocketAddr; 2],
        tls: [Option<Arc<rustls::ServerConfig>>; 2],
        defaults: [Behaviour; 2],
    ) -> Shared {
        Shared {
            state: Mutex::new(State {
                queues: [VecDeque::new(), VecDeque::new()],
                defaults,
                conns: Vec::new(),
                sockets: Vec::new(),
                threads: Vec::new(),
                permits: 0,
            }),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
            addrs,
            tls,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the state and wakes every waiter.
    pub(crate) fn update<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.lock());
        self.changed.notify_all();
        out
    }

    pub(crate) fn with_conn(&self, index: usize, f: impl FnOnce(&mut Connection)) {
        self.update(|st| {
            if let Some(c) = st.conns.get_mut(index) {
                f(c);
            }
        });
    }

    pub(crate) fn wrote(&self, index: usize, n: usize) {
        self.with_conn(index, |c| c.bytes_written += n as u64);
    }

    pub(crate) fn stalled(&self, index: usize) {
        self.with_conn(index, |c| c.write_stalls += 1);
    }

    pub(crate) fn client_frame(&self, index: usize, frame: ClientFrame) {
        self.with_conn(index, |c| {
            if c.frames.len() < MAX_FRAMES {
                c.frames.push(frame);
            }
        });
    }

    pub(crate) fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    pub(crate) fn set_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.update(|st| {
            for (_, s) in st.sockets.drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
        });
    }

    /// Waits (at most `timeout`) until `pred` holds for the state; returns whether it held.
    pub(crate) fn wait(&self, timeout: Duration, pred: impl FnMut(&State) -> bool) -> bool {
        self.wait_locked(Some(Instant::now() + timeout), pred).1
    }

    /// Waits until `pred` holds or the deadline (if any) passes; returns the state, still
    /// locked, and whether `pred` held.
    fn wait_locked(
        &self,
        deadline: Option<Instant>,
        mut pred: impl FnMut(&State) -> bool,
    ) -> (MutexGuard<'_, State>, bool) {
        let mut st = self.lock();
        loop {
            if pred(&st) {
                return (st, true);
            }
            let left = deadline.map_or(Duration::from_secs(1), |at| {
                at.saturating_duration_since(Instant::now())
            });
            if left.is_zero() {
                return (st, false);
            }
            st = self
                .changed
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits for the next drip byte's turn: a released permit ([`Pace::Step`]) or the
    /// interval ([`Pace::Every`]). Ends when the server stops.
    pub(crate) fn drip_turn(&self, pace: Pace) -> Step {
        let (mut st, _) = match pace {
            Pace::Every(d) => self.wait_locked(Some(Instant::now() + d), |_| self.stopping()),
            Pace::Step => self.wait_locked(None, |st| self.stopping() || st.permits > 0),
        };
        if self.stopping() {
            return Err(Stop::Stopped);
        }
        if pace == Pace::Step {
            st.permits -= 1;
        }
        Ok(())
    }

    /// The base URL of a listener: `http(s)://127.0.0.1:PORT`.
    pub(crate) fn base(&self, l: Listener) -> String {
        let scheme = if self.tls[l.index()].is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addrs[l.index()])
    }
}

/// Accepts connections until the server stops, each served on a thread of its own.
pub(crate) fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener, which: Listener) {
    for tcp in listener.incoming() {
        if shared.stopping() {
            return;
        }
        let Ok(tcp) = tcp else { continue };
        let tls = shared.tls[which.index()].is_some();
        let index = shared.update(|st| {
            let index = st.conns.len();
            st.conns.push(Connection::new(index, which, tls));
            if let Ok(clone) = tcp.try_clone() {
                st.sockets.push((index, clone));
            }
            index
        });
        if shared.stopping() {
            // Accepted while the server stopped: `set_stop` may have missed this socket.
            let _ = tcp.shutdown(Shutdown::Both);
        }
        let shared2 = shared.clone();
        let handle = thread::spawn(move || {
            let ending = match serve(&shared2, tcp, index, which) {
                Ok(()) => Ending::Finished,
                Err(stop) => stop.ending(),
            };
            shared2.update(|st| {
                st.conns[index].ending.get_or_insert(ending);
                // The clone kept for `set_stop` would keep the connection open.
                if let Some(i) = st.sockets.iter().position(|(c, _)| *c == index) {
                    let _ = st.sockets.swap_remove(i).1.shutdown(Shutdown::Both);
                }
            });
        });
        shared.lock().threads.push(handle);
    }
}

fn serve(shared: &Arc<Shared>, tcp: TcpStream, index: usize, which: Listener) -> Step {
    let tls = shared.tls[which.index()].clone();
    let mut wire = match Wire::new(shared.clone(), index, tcp, tls) {
        Ok(w) => w,
        Err(ending) => {
            shared.with_conn(index, |c| c.ending = Some(ending));
            return Ok(());
        }
    };
    let head = wire.read_head()?;
    let req = parse_head(&head, which, index, shared.tls[which.index()].is_some())
        .ok_or(Stop::NoRequest)?;
    let behaviour = shared.update(|st| {
        let b = st.queues[which.index()]
            .pop_front()
            .unwrap_or_else(|| st.defaults[which.index()].clone());
        let c = &mut st.conns[index];
        c.request = Some(req.clone());
        c.behaviour = Some(b.name());
        b
    });
    run(shared, &mut wire, &req, &behaviour)?;
    // Finished: say so now, then close politely.
    shared.with_conn(index, |c| c.ending = Some(Ending::Finished));
    wire.finish();
    Ok(())
}

/// Runs one behaviour to its end.
fn run(shared: &Shared, wire: &mut Wire, req: &Request, b: &Behaviour) -> Step {
    let upgrade = req.is_upgrade();
    match b {
        Behaviour::Good(good) if upgrade => ws::good(shared, wire, req, good),
        Behaviour::Good(good) => http::good(wire, good),
        Behaviour::SlowDrip(pace) if upgrade => ws::drip(shared, wire, req, *pace),
        Behaviour::SlowDrip(pace) => http::drip(shared, wire, *pace),
        Behaviour::BadPayload(bad) if upgrade => ws::bad_payload(shared, wire, req, *bad),
        Behaviour::BadPayload(bad) => http::bad_payload(wire, *bad),
        Behaviour::Flood { max_bytes } if upgrade => flood::ws(shared, wire, req, *max_bytes),
        Behaviour::Flood { max_bytes } => flood::sse(wire, *max_bytes),
        Behaviour::Ws(w) => ws::hostile(shared, wire, req, w),
        Behaviour::Redirect(r) => redirect::serve(shared, wire, req, r),
        Behaviour::Reply(c) => wire.send(&http::encode(c)),
        Behaviour::Hangup => Ok(()),
        other => http::hostile(wire, other),
    }
}

/// Parses a request head (`METHOD TARGET VERSION`, then `Name: value` lines).
pub(crate) fn parse_head(
    head: &[u8],
    listener: Listener,
    conn: usize,
    tls: bool,
) -> Option<Request> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    if !first.next()?.starts_with("HTTP/") {
        return None;
    }
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some(Request {
        listener,
        conn,
        tls,
        method,
        target,
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse_or_are_refused() {
        let r = parse_head(
            b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t",
            Listener::Second,
            3,
            true,
        )
        .unwrap();
        assert_eq!((r.method.as_str(), r.target.as_str()), ("GET", "/a?b=1"));
        assert_eq!(r.header("authorization"), Some("Bearer t"));
        assert_eq!((r.path(), r.param("b")), ("/a", Some("1")));
        assert_eq!((r.listener, r.conn, r.tls), (Listener::Second, 3, true));
        assert!(parse_head(b"\x16\x03\x01\x02\x00", Listener::Main, 0, false).is_none());
        assert!(parse_head(b"GET /", Listener::Main, 0, false).is_none());
    }
}
