fn main() {
    let t = std::time::Instant::now();
    let p =
        vmi::profile::from_system_map_path(std::path::Path::new("target/guests/x86_64/System.map"))
            .unwrap();
    println!("sysmap parse {:?} ({} syms)", t.elapsed(), p.symbol_count());
    let t = std::time::Instant::now();
    let mut vmi =
        vmi::instance::Vmi::open_file(std::path::Path::new("target/guests/x86_64/mem.raw"), false)
            .unwrap();
    println!("open {:?}", t.elapsed());
    let mut c = vmi::config::Config::new();
    c.insert("ostype", vmi::config::Value::Str("Linux".into()));
    c.insert(
        "sysmap",
        vmi::config::Value::Str("target/guests/x86_64/System.map".into()),
    );
    for (k, v) in [
        ("linux_tasks", 2192u64),
        ("linux_mm", 2272),
        ("linux_pid", 2416),
        ("linux_name", 2976),
        ("linux_pgd", 72),
    ] {
        c.insert(k, vmi::config::Value::Num(v));
    }
    vmi.set_config(c);
    let t = std::time::Instant::now();
    vmi::os::init_os(&mut vmi).unwrap();
    println!("init_os {:?}", t.elapsed());
}
