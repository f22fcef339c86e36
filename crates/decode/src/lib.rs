//! reefwatch-decode (being written)
