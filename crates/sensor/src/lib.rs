//! reefwatch-sensor (being written)
