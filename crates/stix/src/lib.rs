//! reefwatch-stix (being written)
