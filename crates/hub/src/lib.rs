//! reefwatch-hub (being written)
