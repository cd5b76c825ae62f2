//! The bounded queue that carries chunks of a file from the parser's reader to its hashing
//! thread ([`super::hash_beside`]): a mutex and two condition variables over a ring
//! sized once, by the reader's thread.
//!
//! The hashing thread takes from it without allocating anything. std's channels allocate a
//! waiter context in each thread that blocks on them, and a fresh thread's first allocation
//! makes the allocator map and touch new memory: a 2 MiB page, zeroed by the kernel, which took
//! from 0.7 to 5 ms on the bench's VM. SHA-256 is the critical path of a large log's ingest,
//! so its thread starts hashing at once instead.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// A bounded FIFO between one sender and one receiver, either of which may close it.
pub(crate) struct ChunkQueue<T> {
    state: Mutex<State<T>>,
    not_empty: Condvar,
    not_full: Condvar,
    capacity: usize,
}

struct State<T> {
    items: VecDeque<T>,
    /// The sender is done: the receiver gets what is queued, then `None`.
    sender_gone: bool,
    /// The receiver is done: sends fail, and what was queued is dropped.
    receiver_gone: bool,
}

impl<T> ChunkQueue<T> {
    /// A queue of at most `capacity` items (at least one), its ring allocated here.
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            state: Mutex::new(State {
                items: VecDeque::with_capacity(capacity),
                sender_gone: false,
                receiver_gone: false,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `item`, waiting while the queue is full; gives it back when the receiver is gone.
    pub(crate) fn send(&self, item: T) -> Result<(), T> {
        let mut st = self.lock();
        while st.items.len() >= self.capacity && !st.receiver_gone {
            st = self.not_full.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
        if st.receiver_gone {
            return Err(item);
        }
        st.items.push_back(item);
        drop(st);
        self.not_empty.notify_one();
        Ok(())
    }

    /// The next item, waiting while the queue is empty; `None` once the sender is gone and
    /// everything it queued was taken.
    pub(crate) fn recv(&self) -> Option<T> {
        let mut st = self.lock();
        loop {
            if let Some(item) = st.items.pop_front() {
                drop(st);
                self.not_full.notify_one();
                return Some(item);
            }
            if st.sender_gone {
                return None;
            }
            st = self.not_empty.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The sender's goodbye (wakes a waiting receiver).
    pub(crate) fn close_sender(&self) {
        self.lock().sender_gone = true;
        self.not_empty.notify_all();
    }

    /// The receiver's goodbye: queued items are dropped, a waiting sender wakes and fails.
    pub(crate) fn close_receiver(&self) {
        let items = {
            let mut st = self.lock();
            st.receiver_gone = true;
            std::mem::take(&mut st.items)
        };
        drop(items);
        self.not_full.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::ChunkQueue;

    /// Items arrive in order across threads through a queue of two, with the sender blocked
    /// on a full queue most of the time; the receiver sees the end once the sender closes.
    #[test]
    fn items_arrive_in_order_and_the_end_is_seen() {
        let q = Arc::new(ChunkQueue::new(2));
        let rx = Arc::clone(&q);
        let receiver = std::thread::spawn(move || std::iter::from_fn(|| rx.recv()).collect::<Vec<u32>>());
        for i in 0..10_000 {
            q.send(i).unwrap();
        }
        q.close_sender();
        assert_eq!(receiver.join().unwrap(), (0..10_000).collect::<Vec<_>>());
    }

    /// A sender blocked on a full queue wakes when the receiver leaves, and gets its item back.
    #[test]
    fn a_blocked_sender_fails_when_the_receiver_leaves() {
        let q = Arc::new(ChunkQueue::new(1));
        q.send(1).unwrap();
        let rx = Arc::clone(&q);
        let leaver = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            rx.close_receiver();
        });
        assert_eq!(q.send(2), Err(2));
        leaver.join().unwrap();
        assert!(q.lock().items.is_empty(), "queued items were dropped");
    }
}
