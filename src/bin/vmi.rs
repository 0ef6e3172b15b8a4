//! `vmi`: introspect a guest memory image from the command line.
//!
//!     vmi ps      IMAGE [options]    processes: pid, name, page table
//!     vmi modules IMAGE [options]    loaded kernel modules
//!     vmi dmesg   IMAGE [options]    the kernel log
//!     vmi sym     IMAGE [options] NAME...   symbol addresses
//!     vmi isf     IMAGE [options] OUT.json  the kernel's symbols and types
//!                                           as a Volatility 3 ISF file
//!     vmi dump    IMAGE [options] OUT       physical memory to a raw file
//!
//! Options: --sysmap FILE, --profile FILE (ISF or Rekall JSON), --config
//! FILE [--entry NAME] (a libvmi.conf), --offsets tasks,mm,pid,name,pgd.
//! With none of them the library looks for the global libvmi.conf entry
//! named after the image, and without one reads the kernel's own symbols
//! (kallsyms) and types (BTF) from the image.

use std::path::PathBuf;
use std::process::ExitCode;

use vmi::config::{Config, Value};
use vmi::instance::Vmi;
use vmi::os::linux::LinuxOs;

struct Args {
    cmd: String,
    image: PathBuf,
    config: Config,
    rest: Vec<String>,
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: vmi <ps|modules|dmesg|sym|isf|dump> IMAGE [--sysmap FILE] [--profile FILE] \
         [--config FILE [--entry NAME]] [--offsets tasks,mm,pid,name,pgd] [ARGS...]"
    );
    ExitCode::from(2)
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let cmd = it.next().ok_or("missing command")?;
    let image = PathBuf::from(it.next().ok_or("missing image")?);
    let mut config = Config::new();
    let mut config_file: Option<PathBuf> = None;
    let mut entry: Option<String> = None;
    let mut rest = Vec::new();
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--sysmap" => {
                config.insert("sysmap", Value::Str(val()?));
            }
            "--profile" => {
                config.insert("volatility_ist", Value::Str(val()?));
            }
            "--config" => config_file = Some(PathBuf::from(val()?)),
            "--entry" => entry = Some(val()?),
            "--offsets" => {
                let v = val()?;
                let parts: Vec<&str> = v.split(',').collect();
                let keys = [
                    "linux_tasks",
                    "linux_mm",
                    "linux_pid",
                    "linux_name",
                    "linux_pgd",
                ];
                if parts.len() != keys.len() {
                    return Err("--offsets takes five comma-separated numbers".into());
                }
                for (k, p) in keys.iter().zip(parts) {
                    let n = vmi::config::parse_number(p.trim()).map_err(|e| format!("{p}: {e}"))?;
                    config.insert(*k, Value::Num(n));
                }
            }
            _ => rest.push(a),
        }
    }
    let name = image
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(f) = config_file {
        let loaded = vmi::config::load_entry(&f, entry.as_deref().unwrap_or(&name))
            .map_err(|e| e.to_string())?;
        for (k, v) in loaded.iter() {
            if !config.contains_key(k) {
                config.insert(k, v.clone());
            }
        }
    } else if config.is_empty() {
        // A global libvmi.conf entry for this image, if there is a file at
        // all (without one the kernel is read from the image itself).
        let found = vmi::config::SearchPaths::from_process()
            .candidates()
            .into_iter()
            .find(|p| p.is_file());
        if let Some(f) = found {
            if let Ok(c) = vmi::config::load_entry(&f, &name) {
                config = c;
            }
        }
    }
    if !config.contains_key("ostype") {
        config.insert("ostype", Value::Str("Linux".into()));
    }
    Ok(Args {
        cmd,
        image,
        config,
        rest,
    })
}

fn open(args: &Args) -> Result<Vmi, String> {
    let mut vmi =
        Vmi::open_file(&args.image, false).map_err(|e| format!("{}: {e}", args.image.display()))?;
    vmi.set_config(args.config.clone());
    Ok(vmi)
}

fn open_linux(args: &Args) -> Result<Vmi, String> {
    let mut vmi = open(args)?;
    LinuxOs::init(&mut vmi).map_err(|e| format!("Linux init failed: {e}"))?;
    Ok(vmi)
}

fn linux(vmi: &Vmi) -> Result<&LinuxOs, String> {
    vmi.os()
        .and_then(|o| o.as_any())
        .and_then(|a| a.downcast_ref::<LinuxOs>())
        .ok_or_else(|| "not a Linux guest".to_string())
}

fn run(args: Args) -> Result<(), String> {
    match args.cmd.as_str() {
        "ps" => {
            let vmi = open_linux(&args)?;
            let procs = vmi
                .os()
                .ok_or("no OS layer")?
                .processes(&vmi)
                .map_err(|e| e.to_string())?;
            let mut out = String::new();
            out += &format!(
                "{:>7}  {:<16}  {:>18}  {:>18}\n",
                "PID", "NAME", "DTB", "TASK"
            );
            for p in procs {
                out += &format!(
                    "{:>7}  {:<16}  {:#18x}  {:#18x}\n",
                    p.pid, p.name, p.dtb, p.address
                );
            }
            emit(&out);
        }
        "modules" => {
            let vmi = open_linux(&args)?;
            let mods = vmi
                .os()
                .ok_or("no OS layer")?
                .modules(&vmi)
                .map_err(|e| e.to_string())?;
            let out: String = mods
                .iter()
                .map(|m| format!("{:<24} {:#18x} {:>10}\n", m.name, m.base, m.size))
                .collect();
            emit(&out);
        }
        "dmesg" => {
            let vmi = open_linux(&args)?;
            let recs = linux(&vmi)?.dmesg(&vmi).map_err(|e| e.to_string())?;
            let out: String = recs.iter().map(|r| r.line() + "\n").collect();
            emit(&out);
        }
        "isf" => {
            let out = args.rest.first().ok_or("isf needs an output file")?;
            let vmi = open_linux(&args)?;
            let os = linux(&vmi)?;
            let banner = vmi
                .read_cstr(&vmi::instance::Access::ksym("linux_banner"))
                .ok()
                .map(|mut b| {
                    b.push(0);
                    b
                });
            let opts = vmi::profile::isf_export::IsfOptions {
                banner: banner.as_deref(),
                producer: None,
            };
            let f = std::fs::File::create(out).map_err(|e| format!("{out}: {e}"))?;
            let mut w = std::io::BufWriter::new(f);
            vmi::profile::isf_export::write_isf(&os.export_profile(&vmi), &opts, &mut w)
                .map_err(|e| format!("{out}: {e}"))?;
            std::io::Write::flush(&mut w).map_err(|e| format!("{out}: {e}"))?;
        }
        "sym" => {
            let vmi = open_linux(&args)?;
            for name in &args.rest {
                match vmi.ksym2v(name) {
                    Ok(va) => emit(&format!("{name} {va:#x}\n")),
                    Err(e) => emit(&format!("{name} not found ({e})\n")),
                }
            }
        }
        "dump" => {
            let vmi = open(&args)?;
            let out = args.rest.first().ok_or("dump needs an output file")?;
            dump(&vmi, out)?;
        }
        other => return Err(format!("unknown command {other}")),
    }
    Ok(())
}

/// Writes to stdout; a closed pipe (`vmi ps | head`) is not an error.
fn emit(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn dump(vmi: &Vmi, out: &str) -> Result<(), String> {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::File::create(out).map_err(|e| format!("{out}: {e}"))?;
    let mut page = vec![0u8; 1 << 20];
    for r in vmi.driver().ranges().to_vec() {
        let mut pa = r.start;
        while pa < r.end {
            let n = ((r.end - pa) as usize).min(page.len());
            let t = vmi.read_pa(pa, &mut page[..n]);
            if let Some(e) = t.error {
                return Err(format!("read at {:#x}: {e}", pa + t.bytes as u64));
            }
            f.seek(SeekFrom::Start(pa)).map_err(|e| e.to_string())?;
            f.write_all(&page[..n]).map_err(|e| e.to_string())?;
            pa += n as u64;
        }
    }
    f.set_len(vmi.max_physical_address())
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("vmi: {e}");
            return usage();
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vmi: {e}");
            ExitCode::FAILURE
        }
    }
}
