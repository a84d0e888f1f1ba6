//! Ctrl-C for bulk jobs: the first one asks the job to stop cleanly (in-flight writes finish,
//! the journal is flushed, a summary says how to resume), a second one exits at once.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::ctx::exit;
use crate::status;

static STOP: AtomicBool = AtomicBool::new(false);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether the job should stop (Ctrl-C, or a fatal error of the job itself).
pub fn stopping() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Whether Ctrl-C was pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Asks the job to stop (not an interrupt: a fatal error of the job).
pub fn stop() {
    STOP.store(true, Ordering::Relaxed);
}

/// Handles SIGINT from now on (for bulk commands). Returns once the handler is in place.
pub fn install() {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("ctrl-c".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                let _ = ready_tx.send(());
                return;
            };
            rt.block_on(async move {
                let Ok(mut sig) =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                else {
                    let _ = ready_tx.send(());
                    return;
                };
                let _ = ready_tx.send(());
                while sig.recv().await.is_some() {
                    if INTERRUPTED.swap(true, Ordering::SeqCst) {
                        status::clear_bar();
                        eprintln!("interrupted again: exiting at once");
                        std::process::exit(exit::INTERRUPTED);
                    }
                    STOP.store(true, Ordering::SeqCst);
                    status::eprint(
                        "stopping: letting the writes in flight finish and saving the journal (Ctrl-C again exits at once)",
                    );
                }
            });
        });
    if spawned.is_ok() {
        let _ = ready_rx.recv();
    }
}
