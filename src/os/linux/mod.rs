//! The Linux OS layer: kernel symbols with the KASLR slide applied, the
//! task list, pid <-> page table, from a System.map plus offsets or from a
//! JSON profile (Volatility 3 ISF, Rekall).

pub mod kallsyms;
pub mod locate;
pub mod offsets;
pub mod tasks;

use crate::addr::PageMode;
use crate::config::Config;
use crate::driver::Reg;
use crate::error::{Error, Result};
use crate::instance::Vmi;
use crate::os::{OsLayer, OsType, Process};
use crate::profile::{self, Profile};

use locate::{Hints, KernelLocation};
use offsets::TaskOffsets;
use tasks::{Task, TaskReader};

pub struct LinuxOs {
    profile: Profile,
    offsets: TaskOffsets,
    location: KernelLocation,
    /// Running address of `init_task`.
    init_task: u64,
    sysmap_path: Option<String>,
    profile_path: Option<String>,
}

/// The symbols and types to work with, and which files they came from.
struct Sources {
    profile: Profile,
    sysmap_path: Option<String>,
    profile_path: Option<String>,
}

fn load_sources(config: &Config) -> Result<Sources> {
    let profile_path = config.json_profile_path().map(str::to_owned);
    let sysmap_path = config.get_str("sysmap").map(str::to_owned);
    let mut profile = match &profile_path {
        Some(p) => {
            let (prof, kind) = profile::load_json_profile(std::path::Path::new(p))?;
            log_info!("linux: symbols and types from {kind:?} profile {p}");
            prof
        }
        None => Profile::new(profile::ProfileSource::SystemMap),
    };
    if let Some(p) = &sysmap_path {
        let map = profile::from_system_map_path(std::path::Path::new(p))?;
        log_info!("linux: {} symbols from System.map {p}", map.symbol_count());
        if profile.symbol_count() == 0 {
            for s in map.symbols() {
                profile.add_symbol_entry(s.clone());
            }
        }
    }
    if profile.symbol_count() == 0 {
        return Err(Error::NotFound(
            "Linux symbols: the config names no sysmap, volatility_ist or rekall_profile",
        ));
    }
    Ok(Sources {
        profile,
        sysmap_path,
        profile_path,
    })
}

/// Page-table root and mode the vCPU registers give, if the driver has any.
fn register_hints(vmi: &Vmi) -> (Option<u64>, Option<PageMode>) {
    let mode = Some(vmi.page_mode()).filter(|m| !matches!(m, PageMode::Unknown | PageMode::None));
    let root = match mode {
        Some(PageMode::Aarch64) => vmi
            .get_reg(Reg::Ttbr1, 0)
            .ok()
            .map(|t| t & 0x0000_ffff_ffff_fffe),
        Some(_) => vmi
            .get_reg(Reg::Cr3, 0)
            .ok()
            .map(|c| c & !0x1fff & 0x000f_ffff_ffff_f000),
        None => None,
    };
    (root.filter(|r| *r != 0), mode)
}

impl LinuxOs {
    /// Initialises the Linux layer on `vmi` from its config: loads the
    /// profile, finds the kernel (paging mode, page tables, KASLR slide),
    /// checks `init_task`, and installs itself as the instance's OS layer.
    pub fn init(vmi: &mut Vmi) -> Result<()> {
        let config = vmi.config().cloned().unwrap_or_default();
        let src = load_sources(&config)?;
        let offsets = TaskOffsets::resolve(Some(&config), &src.profile)?;

        // Registers (live guests, ELF cores with CPU notes) are the cheap
        // exact way to the paging mode and page tables.
        if matches!(vmi.page_mode(), PageMode::Unknown | PageMode::None) {
            if let Err(e) = vmi.init_paging_from_registers() {
                log_debug!("linux: no paging from registers: {e}");
            }
        }
        let (reg_root, reg_mode) = register_hints(vmi);
        let cfg_mode =
            Some(config.page_mode()).filter(|m| !matches!(m, PageMode::Unknown | PageMode::None));
        let hints = Hints {
            kpgd: config.get_u64("kpgd").or(reg_root),
            slide: config.get_u64("linux_kaslr"),
            mode: cfg_mode.or(reg_mode),
        };
        let location = locate::locate(vmi, &src.profile, hints)?;
        log_info!(
            "linux: kernel at pa {:#x}, slide {:#x}, kpgd {:#x}, mode {:?} ({})",
            location.text_pa,
            location.slide,
            location.kpgd,
            location.mode,
            location.method
        );
        vmi.set_paging(location.mode, location.paging);
        vmi.set_kernel_dtb(location.kpgd);

        let init_task = config
            .get_u64("linux_init_task")
            .or_else(|| src.profile.symbol("init_task"))
            .ok_or(Error::NotFound("init_task (symbol or linux_init_task)"))?
            .wrapping_add(location.slide);
        let os = LinuxOs {
            profile: src.profile,
            offsets,
            location,
            init_task,
            sysmap_path: src.sysmap_path,
            profile_path: src.profile_path,
        };
        let first = os.reader(vmi).read(init_task)?;
        if first.pid != 0 {
            return Err(Error::Malformed(
                "init_task does not hold pid 0: the task offsets do not match this kernel",
            ));
        }
        log_info!("linux: init_task at {init_task:#x} ({})", first.comm);
        vmi.set_os(Box::new(os));
        Ok(())
    }

    fn reader<'a>(&'a self, vmi: &'a Vmi) -> TaskReader<'a> {
        TaskReader {
            vmi,
            kpgd: self.location.kpgd,
            offsets: &self.offsets,
            ptr_width: self.location.mode.address_width() as u64,
        }
    }

    pub fn slide(&self) -> u64 {
        self.location.slide
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn tasks(&self, vmi: &Vmi) -> Result<Vec<Task>> {
        self.reader(vmi).all(self.init_task)
    }
}

impl OsLayer for LinuxOs {
    fn os_type(&self) -> OsType {
        OsType::Linux
    }

    fn ksym2v(&self, _vmi: &Vmi, symbol: &str) -> Result<u64> {
        self.profile
            .symbol(symbol)
            .map(|a| a.wrapping_add(self.location.slide))
            .ok_or(Error::SymbolNotFound)
    }

    fn v2ksym(&self, _vmi: &Vmi, va: u64, nearest: bool) -> Result<(String, u64)> {
        let link = va.wrapping_sub(self.location.slide);
        if nearest {
            let (name, at) = self
                .profile
                .nearest_symbol(link)
                .ok_or(Error::SymbolNotFound)?;
            return Ok((name.to_owned(), link - at));
        }
        self.profile
            .symbol_at(link)
            .map(|n| (n.to_owned(), 0))
            .ok_or(Error::SymbolNotFound)
    }

    fn pid_to_dtb(&self, vmi: &Vmi, pid: i32) -> Result<u64> {
        let r = self.reader(vmi);
        let task = r.find(self.init_task, |t| (t.pid == pid).then(|| t.clone()))?;
        r.dtb(&task.ok_or(Error::NotFound("no task with that pid"))?)
    }

    fn dtb_to_pid(&self, vmi: &Vmi, dtb: u64) -> Result<i32> {
        let r = self.reader(vmi);
        // KPTI gives each mm a second (user) table 4 KiB above the kernel one.
        let want = dtb & !0x1fff;
        r.find(self.init_task, |t| {
            if t.mm == 0 {
                return None;
            }
            match r.dtb(t) {
                Ok(d) if d == dtb || d == want => Some(t.pid),
                _ => None,
            }
        })?
        .ok_or(Error::NotFound("no process with that page table"))
    }

    fn offset(&self, name: &str) -> Option<u64> {
        match name {
            "linux_kaslr" => Some(self.location.slide),
            "linux_init_task" => Some(self.init_task),
            "kpgd" => Some(self.location.kpgd),
            _ => self.offsets.named(name),
        }
    }

    fn struct_member_offset(&self, structure: &str, member: &str) -> Option<u64> {
        self.profile.member_offset(structure, member)
    }

    fn processes(&self, vmi: &Vmi) -> Result<Vec<Process>> {
        let r = self.reader(vmi);
        r.all(self.init_task)?
            .into_iter()
            .map(|t| {
                let dtb = r.dtb(&t).unwrap_or(0);
                Ok(Process {
                    pid: t.pid,
                    name: t.comm,
                    dtb,
                    address: t.address,
                })
            })
            .collect()
    }

    fn profile_path(&self) -> Option<&str> {
        self.profile_path.as_deref()
    }

    fn sysmap_path(&self) -> Option<&str> {
        self.sysmap_path.as_deref()
    }
}
