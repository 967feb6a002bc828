//! Ctrl-C as a stream of interrupts: `tail` closes its stream on the first and stops
//! waiting for the close on the second. Where no handler can be installed, Ctrl-C keeps
//! its default action.

/// The process's interrupts (SIGINT; Ctrl-C on Windows).
pub(crate) struct Interrupts {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
    #[cfg(windows)]
    signal: Option<tokio::signal::windows::CtrlC>,
}

impl Interrupts {
    /// Installs the handler (from then on Ctrl-C no longer ends the process by itself).
    pub(crate) fn install() -> Interrupts {
        #[cfg(unix)]
        let signal = {
            use tokio::signal::unix::{SignalKind, signal};
            signal(SignalKind::interrupt()).ok()
        };
        #[cfg(windows)]
        let signal = tokio::signal::windows::ctrl_c().ok();
        Interrupts { signal }
    }

    /// The next interrupt; never, without a handler. Cancel-safe: an interrupt that
    /// arrives while nobody waits is delivered to the next call.
    pub(crate) async fn next(&mut self) {
        match &mut self.signal {
            Some(signal) => {
                if signal.recv().await.is_none() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending().await,
        }
    }
}
