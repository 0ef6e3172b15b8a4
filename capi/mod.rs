//! The C ABI of upstream LibVMI 0.15.
