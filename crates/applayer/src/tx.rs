//! Open transactions of one flow: a FIFO bounded by [`MAX_TXS_PER_FLOW`],
//! with per-flow transaction ids. Every parser that pairs requests with
//! responses keeps them here.

use crate::MAX_TXS_PER_FLOW;
use std::collections::VecDeque;

/// Open transactions of one flow, oldest first, bounded by
/// [`MAX_TXS_PER_FLOW`].
#[derive(Debug)]
pub struct TxTable<T> {
    q: VecDeque<T>,
    next_id: u64,
}

impl<T> Default for TxTable<T> {
    /// Ids start at 1 (the OT parsers' numbering).
    fn default() -> Self {
        Self::with_first_id(1)
    }
}

impl<T> TxTable<T> {
    /// An empty table whose first [`TxTable::next_id`] is `first` (Suricata's
    /// IT loggers count from 0, the OT ones from 1).
    pub fn with_first_id(first: u64) -> Self {
        TxTable {
            q: VecDeque::new(),
            next_id: first,
        }
    }
    /// Allocate the next transaction id (per flow, increasing).
    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
    /// The id [`TxTable::next_id`] would return, without allocating it.
    pub fn peek_next_id(&self) -> u64 {
        self.next_id
    }
    /// Add an open transaction; returns the evicted oldest one when full.
    pub fn push(&mut self, tx: T) -> Option<T> {
        let ev = if self.q.len() >= MAX_TXS_PER_FLOW {
            self.q.pop_front()
        } else {
            None
        };
        self.q.push_back(tx);
        ev
    }
    /// Remove and return the oldest open transaction matching `pred`.
    pub fn take(&mut self, pred: impl Fn(&T) -> bool) -> Option<T> {
        let pos = self.q.iter().position(pred)?;
        self.q.remove(pos)
    }
    /// The oldest open transaction matching `pred`.
    pub fn find(&self, pred: impl Fn(&T) -> bool) -> Option<&T> {
        self.q.iter().find(|t| pred(t))
    }
    /// The oldest open transaction matching `pred`, mutably.
    pub fn find_mut(&mut self, pred: impl Fn(&T) -> bool) -> Option<&mut T> {
        self.q.iter_mut().find(|t| pred(t))
    }
    /// The oldest open transaction.
    pub fn oldest(&self) -> Option<&T> {
        self.q.front()
    }
    /// Remove and return the oldest open transaction.
    pub fn pop_oldest(&mut self) -> Option<T> {
        self.q.pop_front()
    }
    /// The newest open transaction, mutably.
    pub fn newest_mut(&mut self) -> Option<&mut T> {
        self.q.back_mut()
    }
    pub fn iter(&self) -> std::collections::vec_deque::Iter<'_, T> {
        self.q.iter()
    }
    pub fn len(&self) -> usize {
        self.q.len()
    }
    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }
    /// Drop every open transaction (ids keep counting).
    pub fn clear(&mut self) {
        self.q.clear()
    }
    pub fn drain(&mut self) -> std::collections::vec_deque::Drain<'_, T> {
        self.q.drain(..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_fifo() {
        let mut t = TxTable::default();
        for i in 0..MAX_TXS_PER_FLOW {
            assert!(t.push(i).is_none());
        }
        assert_eq!(t.push(9999), Some(0));
        assert_eq!(t.len(), MAX_TXS_PER_FLOW);
        assert_eq!(t.take(|x| *x == 5), Some(5));
        assert_eq!(t.take(|x| *x == 5), None);
        assert_eq!(t.find(|x| *x > 1000), Some(&9999));
        assert_eq!(t.pop_oldest(), Some(1));
        t.clear();
        assert!(t.is_empty());
    }

    #[test]
    fn ids_count_from_the_chosen_start() {
        let mut a: TxTable<()> = TxTable::default();
        assert_eq!(a.next_id(), 1);
        assert_eq!(a.next_id(), 2);
        let mut b: TxTable<()> = TxTable::with_first_id(0);
        assert_eq!(b.peek_next_id(), 0);
        assert_eq!(b.next_id(), 0);
        assert_eq!(b.peek_next_id(), 1);
    }
}
