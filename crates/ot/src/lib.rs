//! reefwatch-ot (being written)
