//! A server that runs as a task with a graceful-stop signal: what the sandbox's git and
//! registry servers share.

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A spawned server task and the sender of its stop signal. [`ServerTask::stop`] signals
/// and waits for the task to end; dropping it signals and aborts the task, which drops
/// whatever the task owns (the git server's connections, and with them their backends).
#[derive(Debug)]
pub(crate) struct ServerTask {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ServerTask {
    /// The task `task`, stopped gracefully through `stop`.
    pub(crate) fn new(stop: oneshot::Sender<()>, task: JoinHandle<()>) -> ServerTask {
        ServerTask {
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Sends the stop signal (once; a task already gone is fine).
    fn signal(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Signals the stop and waits for the task to end.
    pub(crate) async fn stop(mut self) {
        self.signal();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerTask {
    fn drop(&mut self) {
        self.signal();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
