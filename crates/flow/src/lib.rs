//! reefwatch-flow (being written)
