//! reefwatch-capture (being written)
