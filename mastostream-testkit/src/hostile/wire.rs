//! One connection's bytes: plain TCP or TLS over it, writes counted into the connection's
//! record as they happen, stalls (a client not reading) noticed, reads that never block
//! when asked.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use super::STALL;
use super::record::Ending;
use super::state::Shared;

/// Why a behaviour stopped early.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The client closed or reset the connection.
    ClientClosed,
    /// The server is being dropped.
    Stopped,
    /// The request head never completed.
    NoRequest,
    /// Another I/O error.
    Failed(io::ErrorKind),
}

impl Stop {
    pub(crate) fn ending(&self) -> Ending {
        match self {
            Stop::ClientClosed => Ending::ClientClosed,
            Stop::Stopped => Ending::Stopped,
            Stop::NoRequest => Ending::NoRequest,
            Stop::Failed(kind) => Ending::Error(*kind),
        }
    }
}

/// What a behaviour step returns.
pub(crate) type Step<T = ()> = Result<T, Stop>;

enum Io {
    Plain(TcpStream),
    Tls(Box<rustls::ServerConnection>, TcpStream),
}

/// One connection, from the server's side.
pub(crate) struct Wire {
    io: Io,
    shared: Arc<Shared>,
    index: usize,
    /// Bytes read and not yet consumed.
    pub(crate) inbound: Vec<u8>,
    first_seen: bool,
}

/// The largest request head read.
const MAX_HEAD: usize = 64 * 1024;

impl Wire {
    /// Wraps an accepted socket; with a TLS config, runs the handshake first.
    pub(crate) fn new(
        shared: Arc<Shared>,
        index: usize,
        tcp: TcpStream,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Result<Wire, Ending> {
        let _ = tcp.set_nodelay(true);
        let _ = tcp.set_write_timeout(Some(STALL));
        let io = match tls {
            None => Io::Plain(tcp),
            Some(config) => {
                let mut conn =
                    rustls::ServerConnection::new(config).map_err(|_| Ending::TlsFailed)?;
                let mut tcp = tcp;
                while conn.is_handshaking() {
                    match conn.complete_io(&mut tcp) {
                        Ok(_) => {}
                        Err(e) if is_timeout(&e) && !shared.stopping() => {}
                        Err(_) if shared.stopping() => return Err(Ending::Stopped),
                        Err(_) => return Err(Ending::TlsFailed),
                    }
                }
                Io::Tls(Box::new(conn), tcp)
            }
        };
        Ok(Wire {
            io,
            shared,
            index,
            inbound: Vec::new(),
            first_seen: false,
        })
    }

    /// The connection's index in the server's records.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    fn tcp(&self) -> &TcpStream {
        match &self.io {
            Io::Plain(t) | Io::Tls(_, t) => t,
        }
    }

    fn fail(&self, e: &io::Error) -> Stop {
        if self.shared.stopping() {
            return Stop::Stopped;
        }
        match e.kind() {
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof => Stop::ClientClosed,
            kind => Stop::Failed(kind),
        }
    }

    /// Writes all of `bytes`, counting them into the record as they go. A write that makes
    /// no progress for [`STALL`] counts a stall and is retried until the server stops.
    pub(crate) fn send(&mut self, bytes: &[u8]) -> Step {
        let mut rest = bytes;
        while !rest.is_empty() {
            let wrote = match &mut self.io {
                Io::Plain(tcp) => tcp.write(rest),
                Io::Tls(conn, _) => conn.writer().write(rest),
            };
            match wrote {
                Ok(0) if matches!(self.io, Io::Plain(_)) => return Err(Stop::ClientClosed),
                Ok(n) => {
                    // Under TLS the bytes are only buffered: out they go before counting.
                    self.flush_tls()?;
                    rest = &rest[n..];
                    self.shared.wrote(self.index, n);
                }
                Err(e) => self.retry_or_stop(&e)?,
            }
        }
        Ok(())
    }

    /// After a failed write: a timeout is a stall (retry), anything else ends the
    /// connection.
    fn retry_or_stop(&self, e: &io::Error) -> Step {
        if is_timeout(e) && !self.shared.stopping() {
            self.shared.stalled(self.index);
            Ok(())
        } else if e.kind() == io::ErrorKind::Interrupted {
            Ok(())
        } else {
            Err(self.fail(e))
        }
    }

    fn flush_tls(&mut self) -> Step {
        loop {
            let Io::Tls(conn, tcp) = &mut self.io else {
                return Ok(());
            };
            if !conn.wants_write() {
                return Ok(());
            }
            if let Err(e) = conn.write_tls(tcp) {
                self.retry_or_stop(&e)?;
            }
        }
    }

    /// Reads once into [`inbound`](Wire::inbound), blocking until bytes come (`block`) or
    /// not at all. Returns how many plaintext bytes arrived; the client closing is
    /// [`Stop::ClientClosed`].
    fn read_some(&mut self, block: bool) -> Step<usize> {
        if !block {
            self.tcp()
                .set_nonblocking(true)
                .map_err(|e| Stop::Failed(e.kind()))?;
        }
        let got = self.read_raw();
        if !block {
            let _ = self.tcp().set_nonblocking(false);
        }
        match got {
            Ok(0) => Err(Stop::ClientClosed),
            Ok(n) => Ok(n),
            Err(e) if !block && e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(self.fail(&e)),
        }
    }

    fn read_raw(&mut self) -> io::Result<usize> {
        let mut buf = [0u8; 16 * 1024];
        let n = match &mut self.io {
            Io::Plain(tcp) => loop {
                match tcp.read(&mut buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other?,
                }
            },
            Io::Tls(conn, tcp) => loop {
                match conn.reader().read(&mut buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
                if conn.read_tls(tcp)? == 0 {
                    break 0;
                }
                conn.process_new_packets()
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            },
        };
        if !self.first_seen && n > 0 {
            self.first_seen = true;
            self.shared
                .with_conn(self.index, |c| c.first_bytes = buf[..n.min(16)].to_vec());
        }
        self.inbound.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    /// Blocks until more bytes arrive.
    pub(crate) fn fill(&mut self) -> Step {
        self.read_some(true).map(drop)
    }

    /// Takes in whatever the client has sent, without blocking; notices it closing.
    pub(crate) fn poll(&mut self) -> Step {
        self.read_some(false).map(drop)
    }

    /// Reads up to the end of the request head; returns the head (without the blank line)
    /// and leaves what follows in [`inbound`](Wire::inbound).
    pub(crate) fn read_head(&mut self) -> Step<Vec<u8>> {
        loop {
            if let Some(i) = self.inbound.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = self.inbound[..i].to_vec();
                self.inbound.drain(..i + 4);
                return Ok(head);
            }
            if self.inbound.len() > MAX_HEAD {
                return Err(Stop::NoRequest);
            }
            match self.fill() {
                Ok(()) => {}
                Err(Stop::ClientClosed) => return Err(Stop::NoRequest),
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads and discards until the client closes.
    pub(crate) fn hold(&mut self) -> Step {
        loop {
            self.fill()?;
            self.inbound.clear();
        }
    }

    /// Ends the connection politely: TLS `close_notify`, then a half close, then reading
    /// (for at most a few seconds) until the client closes, so no unread byte turns the
    /// close into a reset that would destroy the answer in flight.
    pub(crate) fn finish(mut self) {
        if let Io::Tls(conn, _) = &mut self.io {
            conn.send_close_notify();
            let _ = self.flush_tls();
        }
        let tcp = self.tcp();
        let _ = tcp.shutdown(Shutdown::Write);
        let _ = tcp.set_read_timeout(Some(Duration::from_secs(3)));
        let mut buf = [0u8; 4096];
        let mut tcp = tcp;
        while matches!(tcp.read(&mut buf), Ok(n) if n > 0) {}
    }
}

/// Whether an error is a socket timeout (`SO_SNDTIMEO` / `SO_RCVTIMEO`).
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
