//! The struct-member offsets the Linux layer walks with, from the config's
//! `linux_*` keys or from a profile's types.

use super::types::Types;
use crate::config::Config;
use crate::error::{Error, Result};

/// Offsets inside `task_struct` and `mm_struct`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskOffsets {
    /// task_struct.tasks (a list_head)
    pub tasks: u64,
    /// task_struct.mm
    pub mm: u64,
    /// task_struct.active_mm; upstream assumes it directly follows `mm`.
    pub active_mm: Option<u64>,
    /// task_struct.pid
    pub pid: u64,
    /// task_struct.comm (char[16])
    pub comm: u64,
    /// mm_struct.pgd
    pub pgd: u64,
    /// task_struct.real_parent, when the profile knows it.
    pub real_parent: Option<u64>,
}

/// Config key, struct, member: where each offset may come from.
const SOURCES: [(&str, &str, &str); 5] = [
    ("linux_tasks", "task_struct", "tasks"),
    ("linux_mm", "task_struct", "mm"),
    ("linux_pid", "task_struct", "pid"),
    ("linux_name", "task_struct", "comm"),
    ("linux_pgd", "mm_struct", "pgd"),
];

impl TaskOffsets {
    /// Config values win over the profile, as upstream.
    pub fn resolve(config: Option<&Config>, types: Types<'_>) -> Result<TaskOffsets> {
        let mut v = [0u64; 5];
        for (i, (key, st, member)) in SOURCES.iter().enumerate() {
            v[i] = config
                .and_then(|c| c.get_u64(key))
                .or_else(|| types.member_offset(st, member))
                .ok_or(Error::NotFound(
                    "Linux task offsets: give linux_tasks, linux_mm, linux_pid, linux_name and \
                     linux_pgd in the config, or a profile (volatility_ist / rekall_profile) with types",
                ))?;
        }
        Ok(TaskOffsets {
            tasks: v[0],
            mm: v[1],
            active_mm: types.member_offset("task_struct", "active_mm"),
            pid: v[2],
            comm: v[3],
            pgd: v[4],
            real_parent: types.member_offset("task_struct", "real_parent"),
        })
    }

    /// The value upstream's `vmi_get_offset` returns for `name`.
    pub fn named(&self, name: &str) -> Option<u64> {
        Some(match name {
            "linux_tasks" => self.tasks,
            "linux_mm" => self.mm,
            "linux_pid" => self.pid,
            "linux_name" => self.comm,
            "linux_pgd" => self.pgd,
            _ => return None,
        })
    }
}
