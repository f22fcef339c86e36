//! Pattern evaluation over observed-data (written next).
