//! The access functions on a real Linux x86_64 guest (KASLR) whose ground
//! truth was recorded inside the guest. Skipped when the guest image has
//! not been built (`target/guests/x86_64`).

#[path = "capi_access/ffi.rs"]
mod ffi;

use core::ffi::{c_void, CStr};
use std::collections::HashMap;
use std::path::PathBuf;
use std::ptr;

use ffi::*;
use vmi::capi::types::*;

#[allow(improper_ctypes)]
extern "C" {
    fn vmi_init_complete(
        vmi: *mut vmi_instance_t,
        domain: *const c_void,
        init_flags: u64,
        init_data: *mut vmi_init_data_t,
        config_mode: vmi_config_t,
        config: *mut c_void,
        error: *mut vmi_init_error_t,
    ) -> status_t;
    fn vmi_destroy(vmi: vmi_instance_t) -> status_t;
}

fn guest_dir() -> Option<PathBuf> {
    let candidates = [
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/guests/x86_64"),
        PathBuf::from("/work/main/target/guests/x86_64"),
    ];
    candidates.into_iter().find(|d| d.join("mem.raw").is_file())
}

fn truth(dir: &std::path::Path) -> HashMap<String, String> {
    std::fs::read_to_string(dir.join("truth/marker.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn num(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

#[test]
fn real_linux_guest() {
    let Some(dir) = guest_dir() else {
        eprintln!("SKIP: no guest image under target/guests/x86_64");
        return;
    };
    let t = truth(&dir);
    let image = std::ffi::CString::new(dir.join("mem.raw").to_str().unwrap()).unwrap();
    let conf = format!(
        "{{ ostype = \"Linux\"; sysmap = \"{}\"; linux_tasks = 2192; linux_mm = 2272; \
         linux_pid = 2416; linux_name = 2976; linux_pgd = 72; }}",
        dir.join("System.map").display()
    );
    let conf = std::ffi::CString::new(conf).unwrap();
    let mut vmi: vmi_instance_t = ptr::null_mut();
    let mut err = 0;
    let st = unsafe {
        vmi_init_complete(
            &mut vmi,
            image.as_ptr().cast(),
            u64::from(VMI_INIT_DOMAINNAME),
            ptr::null_mut(),
            VMI_CONFIG_STRING,
            conf.as_ptr().cast_mut().cast(),
            &mut err,
        )
    };
    assert_eq!(st, VMI_SUCCESS, "init error {err}");
    let pid: i32 = t["pid"].parse().unwrap();
    let arg = num(&t["arg_start_hex"]);
    let cmdline = hex(&t["cmdline_hex"]);
    unsafe {
        // Kernel symbols against the guest's own /proc/kallsyms.
        let kallsyms = std::fs::read_to_string(dir.join("truth/kallsyms")).unwrap();
        let init_task = kallsyms
            .lines()
            .find(|l| l.ends_with(" init_task"))
            .map(|l| num(l.split(' ').next().unwrap()))
            .unwrap();
        let mut va = 0;
        assert_eq!(
            vmi_translate_ksym2v(vmi, c"init_task".as_ptr(), &mut va),
            VMI_SUCCESS
        );
        assert_eq!(va, init_task);
        let c = access_context_t::new(VMI_TM_PROCESS_PID, 0, 0);
        let name = vmi_translate_v2ksym(vmi, &c, init_task);
        assert_eq!(CStr::from_ptr(name).to_bytes(), b"init_task");
        // init_task.comm is "swapper/0".
        let mut comm = [0u8; 16];
        let mut n = 0;
        assert_eq!(
            vmi_read_va(
                vmi,
                init_task + 2976,
                0,
                16,
                comm.as_mut_ptr().cast(),
                &mut n
            ),
            VMI_SUCCESS
        );
        assert!(comm.starts_with(b"swapper"), "{comm:?}");
        let mut b = [0u8; 8];
        assert_eq!(
            vmi_read_ksym(vmi, c"init_task".as_ptr(), 8, b.as_mut_ptr().cast(), &mut n),
            VMI_SUCCESS
        );

        // The marker process: translation and contents.
        let mut pa = 0;
        assert_eq!(vmi_translate_uv2p(vmi, arg, pid, &mut pa), VMI_SUCCESS);
        assert_eq!(pa, num(&t["arg_start_phys_hex"]));
        let mut buf = vec![0u8; cmdline.len()];
        assert_eq!(
            vmi_read_va(vmi, arg, pid, buf.len(), buf.as_mut_ptr().cast(), &mut n),
            VMI_SUCCESS
        );
        assert_eq!(buf, cmdline);
        let s = vmi_read_str_va(vmi, arg, pid);
        assert_eq!(
            CStr::from_ptr(s).to_bytes(),
            &cmdline[..cmdline.iter().position(|&b| b == 0).unwrap()]
        );
        libc::free(s.cast());

        let mut dtb = 0;
        assert_eq!(vmi_pid_to_dtb(vmi, pid, &mut dtb), VMI_SUCCESS);
        let mut back = 0;
        assert_eq!(vmi_dtb_to_pid(vmi, dtb, &mut back), VMI_SUCCESS);
        assert_eq!(back, pid);
        let mut info = page_info_t::default();
        assert_eq!(
            vmi_pagetable_lookup_extended(vmi, dtb, arg, &mut info),
            VMI_SUCCESS
        );
        assert_eq!(info.paddr, pa);
        assert_eq!(info.size, VMI_PS_4KB);
        assert_eq!(
            info.arch.x86_ia32e.pte_value & 0x000f_ffff_ffff_f000,
            pa & !0xfff
        );

        // The page list of the process contains the argument page.
        let list = vmi_get_va_pages(vmi, dtb);
        let mut found = false;
        let mut l = list;
        let mut count = 0;
        while !l.is_null() {
            let p = &*(*l).data.cast::<page_info_t>();
            if p.vaddr == arg & !0xfff {
                found = p.paddr == pa & !0xfff;
            }
            count += 1;
            l = (*l).next;
        }
        glib_sys::g_slist_free_full(list, Some(glib_sys::g_free));
        assert!(found, "argument page among {count} pages");

        assert_eq!(vmi_destroy(vmi), VMI_SUCCESS);
    }
}
