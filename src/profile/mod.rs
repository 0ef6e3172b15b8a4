//! Symbol and structure profiles.
