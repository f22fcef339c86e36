//! reefwatch-it (being written)
