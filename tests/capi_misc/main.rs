//! The C API functions of capi/{peparse,os,extra_json,vcpu,events,slat}.rs,
//! called through their exported symbols as a C program would.

mod common;
mod events;
mod json;
mod pe;
mod regs;
