//! Configuration: libvmi.conf grammar and other sources.
