//! Walking the kernel's task list (`init_task.tasks`), bounded and
//! cycle-safe: a hostile guest may link the list into a loop that never
//! returns to its head.

use hashbrown::HashSet;

use super::offsets::TaskOffsets;
use crate::error::{Error, Result};
use crate::instance::{Access, Vmi};

/// No real kernel has more tasks than this (PID_MAX_LIMIT is 4M); the bound
/// keeps a corrupted list from running forever.
pub const MAX_TASKS: usize = 1 << 22;

/// One task as read from memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub address: u64,
    pub pid: i32,
    pub comm: String,
    /// task_struct.mm (0 for kernel threads).
    pub mm: u64,
    /// task_struct.active_mm.
    pub active_mm: u64,
}

pub struct TaskReader<'a> {
    pub vmi: &'a Vmi,
    pub kpgd: u64,
    pub offsets: &'a TaskOffsets,
    pub ptr_width: u64,
}

impl<'a> TaskReader<'a> {
    fn ptr(&self, va: u64) -> Result<u64> {
        self.vmi.read_addr(&Access::dtb(self.kpgd, va))
    }

    pub fn read(&self, task: u64) -> Result<Task> {
        let o = self.offsets;
        let pid = self
            .vmi
            .read_u32(&Access::dtb(self.kpgd, task.wrapping_add(o.pid)))? as i32;
        let mut comm = [0u8; 16];
        self.vmi
            .read(
                &Access::dtb(self.kpgd, task.wrapping_add(o.comm)),
                &mut comm,
            )
            .into_result()?;
        let len = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
        let mm = self.ptr(task.wrapping_add(o.mm))?;
        let active_off = o.active_mm.unwrap_or(o.mm + self.ptr_width);
        let active_mm = self.ptr(task.wrapping_add(active_off)).unwrap_or(0);
        Ok(Task {
            address: task,
            pid,
            comm: String::from_utf8_lossy(&comm[..len]).into_owned(),
            mm,
            active_mm,
        })
    }

    /// Calls `f` for each task from `init_task` on until the list returns
    /// to its head, `f` returns `Some`, or the list misbehaves.
    pub fn find<T>(
        &self,
        init_task: u64,
        mut f: impl FnMut(&Task) -> Option<T>,
    ) -> Result<Option<T>> {
        let head = init_task.wrapping_add(self.offsets.tasks);
        let mut seen = HashSet::new();
        let mut task = init_task;
        loop {
            let t = self.read(task)?;
            if let Some(r) = f(&t) {
                return Ok(Some(r));
            }
            let next = self.ptr(task.wrapping_add(self.offsets.tasks))?;
            if next == head {
                return Ok(None);
            }
            if next == 0 || !seen.insert(next) || seen.len() > MAX_TASKS {
                return Err(Error::Malformed("task list is cyclic or broken"));
            }
            task = next.wrapping_sub(self.offsets.tasks);
        }
    }

    pub fn all(&self, init_task: u64) -> Result<Vec<Task>> {
        let mut out = Vec::new();
        self.find(init_task, |t| {
            out.push(t.clone());
            None::<()>
        })?;
        Ok(out)
    }

    /// Page-table root of a task: its mm's pgd, or its borrowed active_mm's
    /// for kernel threads (as upstream), translated to physical.
    pub fn dtb(&self, t: &Task) -> Result<u64> {
        let mm = if t.mm != 0 { t.mm } else { t.active_mm };
        if mm == 0 {
            return Ok(self.kpgd);
        }
        let pgd_va = self.ptr(mm.wrapping_add(self.offsets.pgd))?;
        self.vmi.translate(self.kpgd, pgd_va)
    }
}
