//! [`Control`]: what a running stream shares with whoever watches, commands or closes it.
//! It carries the application's commands to the driver, and the session's [`Status`]
//! back; it decides nothing.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use event_listener::{Event, EventListener};
use mastostream_proto::Channel;
use mastostream_proto::session::{Command, Status};

#[derive(Debug, Default)]
struct Shared {
    /// Commands not yet taken by the driver.
    pending: VecDeque<Command>,
    /// Commands taken, whose effect the published status does not show yet.
    in_flight: Vec<Command>,
    /// What the session last said.
    status: Status,
    /// The stream is over.
    over: bool,
}

/// Shared between a running stream and its handles.
#[derive(Debug, Default)]
pub(crate) struct Control {
    shared: Mutex<Shared>,
    event: Event,
}

impl Control {
    /// A control for a session that starts with `channels`.
    pub(crate) fn new(channels: Vec<Channel>) -> Control {
        let control = Control::default();
        control.lock().status.subscriptions = channels;
        control
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a command for the session (applied in order, as soon as the driver runs).
    pub(crate) fn command(&self, command: Command) {
        let mut shared = self.lock();
        if shared.over {
            return;
        }
        shared.pending.push_back(command);
        drop(shared);
        self.event.notify(usize::MAX);
    }

    /// The next command, for the driver.
    pub(crate) fn take_command(&self) -> Option<Command> {
        let mut shared = self.lock();
        let command = shared.pending.pop_front()?;
        shared.in_flight.push(command.clone());
        Some(command)
    }

    /// A listener woken by the next command.
    pub(crate) fn listen(&self) -> EventListener {
        self.event.listen()
    }

    /// What the session says now; the commands taken so far are in it.
    pub(crate) fn publish(&self, status: Status) {
        let mut shared = self.lock();
        shared.status = status;
        shared.in_flight.clear();
    }

    /// The stream ended: not receiving, and commands go nowhere.
    pub(crate) fn end(&self) {
        let mut shared = self.lock();
        shared.over = true;
        shared.status.live = false;
        shared.pending.clear();
        shared.in_flight.clear();
    }

    /// The subscriptions as the application sees them: the session's, with the commands
    /// not yet applied (as proto's [`Command::apply_to`] says they will be).
    pub(crate) fn subscriptions(&self) -> Vec<Channel> {
        let shared = self.lock();
        let mut channels = shared.status.subscriptions.clone();
        for c in shared.in_flight.iter().chain(&shared.pending) {
            c.apply_to(&mut channels);
        }
        channels
    }

    /// Whether the stream is live now.
    pub(crate) fn is_receiving(&self) -> bool {
        self.lock().status.live
    }

    /// Whether the stream is over.
    pub(crate) fn is_over(&self) -> bool {
        self.lock().over
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_show_commands_until_the_session_answers() {
        let c = Control::new(vec![Channel::User]);
        c.command(Command::Subscribe(Channel::Direct));
        assert_eq!(c.subscriptions(), [Channel::User, Channel::Direct]);
        let taken = c.take_command();
        assert_eq!(taken, Some(Command::Subscribe(Channel::Direct)));
        assert_eq!(
            c.subscriptions(),
            [Channel::User, Channel::Direct],
            "in flight"
        );
        // The session refused it: its status no longer lists it.
        c.publish(Status::new(true, vec![Channel::User]));
        assert_eq!(c.subscriptions(), [Channel::User]);
        assert!(c.is_receiving());
        c.end();
        assert!(!c.is_receiving());
        c.command(Command::Close);
        assert!(
            c.take_command().is_none(),
            "commands after the end go nowhere"
        );
    }
}
