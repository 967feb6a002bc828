//! [`Control`]: what a running stream shares with whoever watches, commands or closes it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use mastostream_proto::Channel;
use tokio::sync::Notify;

/// Shared between a running stream and whoever watches, commands or closes it.
#[derive(Debug, Default)]
pub(crate) struct Control {
    closing: AtomicBool,
    pub(crate) notify: Notify,
    receiving: AtomicBool,
    commands: Mutex<Vec<Command>>,
    /// A WebSocket session's subscriptions as the application last saw them.
    subscriptions: Mutex<Vec<Channel>>,
}

/// What the application asks of a running session besides closing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Subscribe(Channel),
    Unsubscribe(Channel),
}

impl Control {
    /// Asks the driver to close the machine (a clean finish).
    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }

    /// Queues a command for the machine (applied in order, as soon as the driver runs).
    pub(crate) fn command(&self, command: Command) {
        self.commands
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(command);
        self.notify.notify_one();
    }

    pub(crate) fn take_commands(&self) -> Vec<Command> {
        std::mem::take(&mut *self.commands.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub(crate) fn subscriptions(&self) -> Vec<Channel> {
        self.subscriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Sets the application's view of the subscriptions: the session's, changed by the
    /// commands not yet applied.
    pub(crate) fn set_subscriptions(&self, mut channels: Vec<Channel>) {
        for command in self
            .commands
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            apply(&mut channels, command);
        }
        *self.subscriptions.lock().unwrap_or_else(|e| e.into_inner()) = channels;
    }

    /// Queues a (un)subscription and updates the application's view of the subscriptions.
    pub(crate) fn subscription(&self, command: Command) {
        apply(
            &mut self.subscriptions.lock().unwrap_or_else(|e| e.into_inner()),
            &command,
        );
        self.command(command);
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    pub(crate) fn is_receiving(&self) -> bool {
        self.receiving.load(Ordering::SeqCst)
    }

    pub(crate) fn set_receiving(&self, on: bool) {
        self.receiving.store(on, Ordering::SeqCst);
    }
}

fn apply(channels: &mut Vec<Channel>, command: &Command) {
    match command {
        Command::Subscribe(c) if !channels.contains(c) => channels.push(c.clone()),
        Command::Unsubscribe(c) => channels.retain(|s| s != c),
        Command::Subscribe(_) => {}
    }
}
