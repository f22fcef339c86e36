//! The direction of a packet or of stream bytes within a flow.

use core::ops::{Index, IndexMut};

/// Direction of data within a flow. The client is the side that sent the
/// first packet (or the SYN). Per-direction arrays (`[T; 2]`) are indexed
/// by it directly: `flow.pkts[dir]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    ToServer = 0,
    ToClient = 1,
}

impl Direction {
    /// Both directions, in index order.
    pub const BOTH: [Direction; 2] = [Direction::ToServer, Direction::ToClient];

    #[inline]
    pub fn flip(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }

    /// 0 to server, 1 to client.
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    #[inline]
    pub fn is_to_server(self) -> bool {
        self == Direction::ToServer
    }
}

impl<T> Index<Direction> for [T; 2] {
    type Output = T;
    #[inline]
    fn index(&self, d: Direction) -> &T {
        &self[d as usize]
    }
}

impl<T> IndexMut<Direction> for [T; 2] {
    #[inline]
    fn index_mut(&mut self, d: Direction) -> &mut T {
        &mut self[d as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::Direction;

    #[test]
    fn indexes_pairs_and_flips() {
        let mut a = [10u32, 20];
        assert_eq!(a[Direction::ToServer], 10);
        a[Direction::ToClient] += 1;
        assert_eq!(a, [10, 21]);
        assert_eq!(Direction::ToServer.flip(), Direction::ToClient);
        assert_eq!(Direction::BOTH.map(Direction::index), [0, 1]);
    }
}
