//! Page-table walking.
