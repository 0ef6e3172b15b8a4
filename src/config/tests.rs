//! Tests of the config module as a whole: grammar, every key, string mode,
//! file search, and randomised no-panic / round-trip checks.

use super::*;
use crate::addr::PageSize;
use std::path::{Path, PathBuf};

fn cerr(line: u32, what: &'static str) -> Error {
    Error::Config { line, what }
}

fn one(text: &str) -> Config {
    let mut all = parse_file_text(text).unwrap();
    assert_eq!(all.len(), 1);
    all.pop().unwrap().1
}

#[test]
fn every_grammar_key_round_trips_with_its_type() {
    let mut text = String::from("all {\n");
    let mut expect = Vec::new();
    for (i, k) in KEYS.iter().enumerate() {
        if k.name == LINUX_ADDR {
            continue;
        }
        match k.kind {
            ValueKind::Num => {
                let n = 0x1000 + i as u64 * 0x11;
                // Alternate notations so each key sees a different one.
                let lit = match i % 3 {
                    0 => format!("{n:#x}"),
                    1 => format!("{n}"),
                    _ => format!("0{n:o}"),
                };
                text += &format!("    {} = {lit};\n", k.name);
                expect.push((k.name, Value::Num(n)));
            }
            ValueKind::Str => {
                let s = format!("/v/{}.{i}", k.name);
                text += &format!("    {} = \"{s}\";\n", k.name);
                expect.push((k.name, Value::Str(s)));
            }
        }
    }
    text += "}\n";
    let cfg = one(&text);
    assert_eq!(cfg.len(), expect.len());
    let got: Vec<(&str, Value)> = cfg.iter().map(|(k, v)| (k, v.clone())).collect();
    assert_eq!(got, expect);
}

#[test]
fn linux_addr_is_accepted_and_dropped() {
    let cfg = one("d { linux_addr = 0x10; linux_pid = 0x20; }");
    assert!(!cfg.contains_key(LINUX_ADDR));
    assert_eq!(cfg.get_u64(LINUX_PID), Some(0x20));
    // ...but its value must still be a number, as in upstream's grammar.
    assert_eq!(
        parse_file_text("d { linux_addr = \"x\"; }")
            .unwrap_err()
            .to_string(),
        cerr(1, "expected a number (decimal, 0x hex or 0-prefixed octal)").to_string()
    );
}

#[test]
fn typical_file_with_comments_and_several_entries() {
    let text = "# libvmi.conf for tests\n\
        \n\
        Fedora-HVM {   # trailing comment\n\
            ostype = \"Linux\";\n\
            sysmap = \"/boot/System.map-6.1.0\";\n\
            linux_tasks = 0x4d8;  linux_mm = 1304;\n\
            linux_pid=0x5d0;linux_name=0x738;\n\
            linux_pgd = 0x50;\n\
        }\n\
        win7_64 {\n\
        #   win_tasks = 0x1;\n\
            ostype = \"Windows\";\n\
            win_tasks   = 0x188;\n\
            win_pdbase  = 0x28;\n\
            win_pid     = 0x180;\n\
            win_pname   = 0x2d8;\n\
        }\n\
        win8.1_64 { ; ; }\n\
        \"a name with spaces\" { kpgd = 0x1aa000; }\n\
        # last line comment without newline";
    let all = parse_file_text(text).unwrap();
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["Fedora-HVM", "win7_64", "win8.1_64", "a name with spaces"]
    );
    let linux = &all[0].1;
    assert_eq!(linux.os_type(), Some(OsType::Linux));
    assert_eq!(linux.get_str(SYSMAP), Some("/boot/System.map-6.1.0"));
    assert_eq!(linux.get_u64(LINUX_TASKS), Some(0x4d8));
    assert_eq!(linux.get_u64(LINUX_MM), Some(1304));
    assert_eq!(linux.get_u64(LINUX_PID), Some(0x5d0));
    assert_eq!(linux.get_u64(LINUX_NAME), Some(0x738));
    assert_eq!(linux.get_u64(LINUX_PGD), Some(0x50));
    assert_eq!(linux.len(), 7);
    let win = &all[1].1;
    assert_eq!(win.os_type(), Some(OsType::Windows));
    assert_eq!(win.get_u64(WIN_TASKS), Some(0x188));
    assert_eq!(win.get_u64(WIN_PNAME), Some(0x2d8));
    assert_eq!(win.len(), 5);
    assert!(all[2].1.is_empty());
    assert_eq!(all[3].1.get_u64(KPGD), Some(0x1aa000));
}

#[test]
fn empty_and_comment_only_files_have_no_entries() {
    assert!(parse_file_text("").unwrap().is_empty());
    assert!(parse_file_text("  \n# x { y }\n\t\r\n").unwrap().is_empty());
}

#[test]
fn numbers_read_like_strtoull_base_0() {
    assert_eq!(parse_number("0"), Ok(0));
    assert_eq!(parse_number("42"), Ok(42));
    assert_eq!(parse_number("0x2A"), Ok(42));
    assert_eq!(parse_number("0X2a"), Ok(42));
    assert_eq!(parse_number("052"), Ok(42));
    assert_eq!(parse_number("00"), Ok(0));
    assert_eq!(parse_number("0xffffffffffffffff"), Ok(u64::MAX));
    assert_eq!(parse_number("18446744073709551615"), Ok(u64::MAX));
    assert_eq!(parse_number("01777777777777777777777"), Ok(u64::MAX));
    assert_eq!(
        parse_number("18446744073709551616"),
        Err("number does not fit in 64 bits")
    );
    assert_eq!(
        parse_number("0x10000000000000000"),
        Err("number does not fit in 64 bits")
    );
    assert_eq!(
        parse_number("02000000000000000000000"),
        Err("number does not fit in 64 bits")
    );
    assert_eq!(
        parse_number("0128"),
        Err("digit 8 or 9 in a number with a leading 0 (octal)")
    );
    assert_eq!(
        parse_number("0999999999999999999999999"),
        Err("digit 8 or 9 in a number with a leading 0 (octal)")
    );
    for bad in ["", "0x", "0xg", "12ab", "1.5", "x10", "-1", "abc"] {
        assert!(parse_number(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn duplicate_keys_keep_the_last_value_and_first_position() {
    let cfg = one("d { win_pid = 1; ostype = \"Linux\"; win_pid = 2; }");
    assert_eq!(cfg.get_u64(WIN_PID), Some(2));
    assert_eq!(
        cfg.iter().map(|(k, _)| k).collect::<Vec<_>>(),
        [WIN_PID, OSTYPE]
    );
}

#[test]
fn last_entry_of_a_name_wins() {
    let all = parse_file_text("a { kpgd = 1; } b { kpgd = 2; } a { kpgd = 3; }").unwrap();
    assert_eq!(
        select_entry(all.clone(), "a").unwrap().get_u64(KPGD),
        Some(3)
    );
    assert_eq!(
        select_entry(all.clone(), "b").unwrap().get_u64(KPGD),
        Some(2)
    );
    let e = select_entry(all, "c").unwrap_err();
    assert_eq!(e, Error::NotFound("config entry"));
    assert_eq!(init_stage(&e), InitStage::NoConfigEntry);
}

#[test]
fn unknown_keys_are_kept_with_the_type_of_their_value() {
    let cfg = one("d { my_offset = 0x30; my_path = \"/p\"; osx_pid = 0x10; os_type = \"OSX\"; }");
    assert_eq!(cfg.get_u64("my_offset"), Some(0x30));
    assert_eq!(cfg.get_str("my_path"), Some("/p"));
    assert_eq!(cfg.get_u64(OSX_PID), Some(0x10));
    assert_eq!(cfg.os_type(), Some(OsType::Osx));
    assert_eq!(
        parse_file_text("d {\n my_key = word;\n}").unwrap_err(),
        cerr(2, "expected a number (decimal, 0x hex or 0-prefixed octal)")
    );
    assert_eq!(
        parse_file_text("d { my_key = ; }").unwrap_err(),
        cerr(1, "expected a number or a quoted string")
    );
}

#[test]
fn string_mode_parses_a_body() {
    let cfg =
        parse_entry_body("{ostype = \"Windows\"; win_kdvb = 0xfffff80002c4b0a0; win_sysproc=0x4;}")
            .unwrap();
    assert_eq!(cfg.os_type(), Some(OsType::Windows));
    assert_eq!(cfg.get_u64(WIN_KDVB), Some(0xfffff80002c4b0a0));
    assert_eq!(cfg.get_u64(WIN_SYSPROC), Some(4));
    let cfg =
        parse_entry_body("\n # leading comment\n { volatility_ist = \"/tmp/k.json\"; }\n").unwrap();
    assert_eq!(cfg.json_profile_path(), Some("/tmp/k.json"));
    assert!(parse_entry_body("{}").unwrap().is_empty());
    // Upstream parses what follows the body as more entries: checked, ignored.
    let cfg = parse_entry_body("{ kpgd = 1; } other { kpgd = 2; }").unwrap();
    assert_eq!(cfg.get_u64(KPGD), Some(1));
    assert_eq!(
        parse_entry_body("{ kpgd = 1; } other {").unwrap_err(),
        cerr(1, "unexpected end of input: expected '}'")
    );
}

#[test]
fn string_mode_errors() {
    assert_eq!(
        parse_entry_body("").unwrap_err(),
        cerr(1, "expected '{' to open the entry")
    );
    assert_eq!(
        parse_entry_body("name { }").unwrap_err(),
        cerr(1, "expected '{' to open the entry")
    );
    assert_eq!(
        parse_entry_body("{ kpgd = 1;\n").unwrap_err(),
        cerr(2, "unexpected end of input: expected '}'")
    );
    assert_eq!(
        parse_entry_body("{ } }").unwrap_err(),
        cerr(1, "expected an entry name")
    );
}

#[test]
fn syntax_errors_name_the_line_and_what_was_expected() {
    let cases: &[(&str, u32, &str)] = &[
        ("{ }", 1, "expected an entry name"),
        ("d\n\n= ", 3, "expected '{' after the entry name"),
        ("d", 1, "expected '{' after the entry name"),
        ("d {\n kpgd 0x1;\n}", 2, "expected '=' after the key"),
        ("d {\n kpgd = 0x1\n}", 3, "expected ';' after the value"),
        (
            "d {\n ostype = \"Linux\" }",
            2,
            "expected ';' after the value",
        ),
        (
            "d {\n\n kpgd = \"0x1\";\n}",
            3,
            "expected a number (decimal, 0x hex or 0-prefixed octal)",
        ),
        (
            "d {\n kpgd = 0x1g;\n}",
            2,
            "expected a number (decimal, 0x hex or 0-prefixed octal)",
        ),
        (
            "d {\n kpgd = 099;\n}",
            2,
            "digit 8 or 9 in a number with a leading 0 (octal)",
        ),
        (
            "d {\n kpgd = 0x1ffffffffffffffff;}",
            2,
            "number does not fit in 64 bits",
        ),
        (
            "d {\n sysmap = /boot/System.map;\n}",
            2,
            "expected a quoted string",
        ),
        ("d {\n ostype = Linux;\n}", 2, "expected a quoted string"),
        ("d {\n ostype = \"\";\n}", 2, "empty string"),
        (
            "d {\n sysmap = \"/boot/x\n\";}",
            2,
            "unterminated string: expected '\"' before end of line",
        ),
        ("d {\n = 1;\n}", 2, "expected a key, ';' or '}'"),
        ("d {\n {\n}", 2, "expected a key, ';' or '}'"),
        (
            "d {\n kpgd = 1;\n\n",
            4,
            "unexpected end of input: expected '}'",
        ),
        ("d {\n kpgd = 1,\n}", 2, "unexpected character"),
        ("d {\r\n kpgd = 1;\r\n}\r\n\0", 4, "unexpected character"),
        ("\"\" { }", 1, "expected an entry name"),
        ("a { } ; b { }", 1, "expected an entry name"),
    ];
    for &(text, line, what) in cases {
        assert_eq!(
            parse_file_text(text).unwrap_err(),
            cerr(line, what),
            "input {text:?}"
        );
    }
}

#[test]
fn too_many_keys_and_too_much_text_are_refused() {
    let mut text = String::from("d {\n");
    for i in 0..MAX_KEYS_PER_ENTRY {
        text += &format!("k{i} = {i};\n");
    }
    let cfg = one(&(text.clone() + "}"));
    assert_eq!(cfg.len(), MAX_KEYS_PER_ENTRY);
    // Re-setting a present key is fine, a new one is not.
    assert_eq!(one(&(text.clone() + "k0 = 7;}")).get_u64("k0"), Some(7));
    let line = MAX_KEYS_PER_ENTRY as u32 + 2;
    assert_eq!(
        parse_file_text(&(text + "extra = 1;}")).unwrap_err(),
        cerr(line, "too many keys in one entry")
    );

    let big = format!("d {{ {} }}", ";".repeat(MAX_CONFIG_BYTES));
    assert_eq!(
        parse_file_text(&big).unwrap_err(),
        cerr(0, "config text larger than 1 MiB")
    );
    let fits = format!("d {{{}}}", ";".repeat(MAX_CONFIG_BYTES - 4));
    assert!(one(&fits).is_empty());
}

#[test]
fn config_api() {
    let mut c = Config::new();
    assert_eq!(c.insert("a", Value::Num(1)), None);
    assert_eq!(c.insert("b", Value::Str("x".into())), None);
    assert_eq!(c.insert("a", Value::Num(2)), Some(Value::Num(1)));
    assert_eq!(c.get_u64("a"), Some(2));
    assert_eq!(c.get_str("a"), None);
    assert_eq!(c.get_str("b"), Some("x"));
    assert_eq!(c.get_u64("b"), None);
    assert_eq!(c.get("b").map(Value::kind), Some(ValueKind::Str));
    assert_eq!(c.remove("a"), Some(Value::Num(2)));
    assert_eq!(c.len(), 1);

    let j = Config::from_json_profile_path("/p/k.json");
    assert_eq!(j.get_str(VOLATILITY_IST), Some("/p/k.json"));
    assert_eq!(j.json_profile_path(), Some("/p/k.json"));
    assert_eq!(j.os_type(), None);
    let r = one("d { rekall_profile = \"/r.json\"; }");
    assert_eq!(r.json_profile_path(), Some("/r.json"));

    let mut o = one("d { os_type = \"FreeBSD\"; }");
    assert_eq!(o.os_type(), Some(OsType::FreeBsd));
    o.insert(OSTYPE, Value::Str("Linux".into()));
    assert_eq!(o.os_type(), Some(OsType::Linux));
    o.insert(OSTYPE, Value::Str("Plan9".into()));
    assert_eq!(o.os_type_name(), Some("Plan9"));
    assert_eq!(o.os_type(), None);

    assert_eq!(Config::new().page_mode(), PageMode::Unknown);
    assert_eq!(
        one("d { pagemode = \"VMI_PM_IA32E\"; }").page_mode(),
        PageMode::Ia32e
    );
    assert_eq!(
        one("d { pagemode = \"VMI_PM_BOGUS\"; }").page_mode(),
        PageMode::Unknown
    );
    let a = one("d { aarch64_ttbr0_va_width = 48; aarch64_ttbr0_granule_size = \"VMI_PS_4KB\"; }");
    assert_eq!(a.get_u64(AARCH64_TTBR0_VA_WIDTH), Some(48));
    assert_eq!(
        a.get_str(AARCH64_TTBR0_GRANULE_SIZE)
            .and_then(page_size_from_name),
        Some(PageSize::K4)
    );
}

/// A fresh empty directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("vmi-config-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn search_order_is_cwd_sudo_home_home_system() {
    let t = TempDir::new("search");
    let sp = SearchPaths {
        cwd: Some(t.0.join("cwd")),
        sudo_home: Some(t.0.join("sudo")),
        home: Some(t.0.join("home")),
        system: t.0.join("sys/libvmi.conf"),
    };
    let files = [
        t.0.join("cwd/libvmi.conf"),
        t.0.join("sudo/etc/libvmi.conf"),
        t.0.join("home/etc/libvmi.conf"),
        t.0.join("sys/libvmi.conf"),
    ];
    assert_eq!(sp.candidates(), files);
    assert_eq!(sp.find(), None);
    for f in &files {
        write(f, "");
    }
    // Remove the winner each time: the next candidate takes over.
    for (i, f) in files.iter().enumerate() {
        assert_eq!(sp.find().as_ref(), Some(f), "step {i}");
        std::fs::remove_file(f).unwrap();
    }
    assert_eq!(sp.find(), None);

    // A directory of that name does not count; missing sources are skipped.
    std::fs::create_dir_all(&files[0]).unwrap();
    write(&files[2], "");
    let partial = SearchPaths {
        sudo_home: None,
        ..sp.clone()
    };
    assert_eq!(partial.candidates().len(), 3);
    assert_eq!(partial.find().as_ref(), Some(&files[2]));
}

#[test]
fn process_search_paths_follow_the_environment() {
    let sp = SearchPaths::from_process();
    assert_eq!(sp.cwd, std::env::current_dir().ok());
    assert_eq!(sp.home, std::env::var_os("HOME").map(PathBuf::from));
    assert_eq!(sp.system, Path::new("/etc/libvmi.conf"));
}

#[test]
fn home_of_user_reads_the_password_database() {
    // Compare with /etc/passwd for whichever local user comes first.
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let fields: Vec<&str> = passwd
        .lines()
        .find(|l| !l.starts_with('#'))
        .unwrap()
        .split(':')
        .collect();
    assert_eq!(
        home_of_user(fields[0].as_ref()),
        Some(PathBuf::from(fields[5]))
    );
    assert_eq!(home_of_user("no-such-user-vmi-test".as_ref()), None);
    assert_eq!(home_of_user("bad\0name".as_ref()), None);
}

#[test]
fn load_entry_distinguishes_no_config_from_no_entry() {
    let t = TempDir::new("load");
    let path = t.0.join("libvmi.conf");

    let e = load_entry(&path, "vm").unwrap_err();
    assert!(
        matches!(e, Error::Os { errno, .. } if errno == libc::ENOENT),
        "{e:?}"
    );
    assert_eq!(init_stage(&e), InitStage::NoConfig);

    write(
        &path,
        "vm { ostype = \"Linux\"; linux_kaslr = 0x1c000000; }\nother { }\n",
    );
    let cfg = load_entry(&path, "vm").unwrap();
    assert_eq!(cfg.get_u64(LINUX_KASLR), Some(0x1c000000));
    let e = load_entry(&path, "mem.img").unwrap_err();
    assert_eq!(init_stage(&e), InitStage::NoConfigEntry);

    write(&path, "vm { ostype = \"Linux\"; }\nother {\n kpgd = ;\n}\n");
    let e = load_entry(&path, "vm").unwrap_err();
    assert_eq!(
        e,
        cerr(3, "expected a number (decimal, 0x hex or 0-prefixed octal)")
    );
    assert_eq!(init_stage(&e), InitStage::NoConfig);

    std::fs::write(&path, b"vm { sysmap = \"\xff\"; }").unwrap();
    assert_eq!(
        load_entry(&path, "vm").unwrap_err(),
        cerr(1, "string is not valid UTF-8")
    );

    std::fs::write(&path, vec![b' '; MAX_CONFIG_BYTES + 1]).unwrap();
    assert_eq!(
        load_entry(&path, "vm").unwrap_err(),
        cerr(0, "config text larger than 1 MiB")
    );

    assert_eq!(
        init_stage(&Error::NotFound("config file")),
        InitStage::NoConfig
    );
}

// ---- randomised checks ------------------------------------------------

/// xorshift64*: deterministic, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const SEEDS: &[&str] = &[
    "a { ostype = \"Linux\"; sysmap = \"/b/S.map\"; linux_tasks = 0x10; }\n",
    "# c\nwin { win_tasks = 136; win_pdbase = 030; kpgd = 0xffff; }\nx{;}",
    "{ volatility_ist = \"/p.json\"; pagemode = \"VMI_PM_PAE\"; }",
    "\"q n\" { my = 1; mine = \"s\"; }",
];

const FRAGMENTS: &[&str] = &[
    "{", "}", ";", "=", "\"", "#", "\n", " ", "0x", "0", "9", "kpgd", "ostype", "\r", "\0", "é",
    "ab", "/",
];

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = at.min(v.len() - 1);
                v[i] = rng.next() as u8;
            }
            1 => {
                let end = (at + rng.below(8)).min(v.len());
                v.drain(at..end);
            }
            2 => {
                let f = rng.pick(FRAGMENTS).as_bytes();
                v.splice(at..at, f.iter().copied());
            }
            3 => {
                let end = (at + rng.below(16)).min(v.len());
                let chunk = v[at..end].to_vec();
                v.splice(at..at, chunk);
            }
            _ => {
                let b = rng.next() as u8;
                v.insert(at, b);
            }
        }
    }
    v
}

fn check_ok_result(text: &[u8], entries: &[(String, Config)]) {
    for (name, cfg) in entries {
        assert!(!name.is_empty() && name.len() <= 1023);
        assert!(cfg.len() <= MAX_KEYS_PER_ENTRY);
        for (k, v) in cfg.iter() {
            if let Some(kind) = key_kind(k) {
                assert_eq!(
                    v.kind(),
                    kind,
                    "key {k} in {:?}",
                    String::from_utf8_lossy(text)
                );
            }
            assert_ne!(k, LINUX_ADDR);
        }
    }
}

fn check_err_line(text: &[u8], e: &Error) {
    match *e {
        Error::Config { line, .. } => {
            let lines = text.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            assert!(
                line >= 1 && line <= lines,
                "line {line} of {lines} in {:?}",
                String::from_utf8_lossy(text)
            );
        }
        ref other => panic!("unexpected error kind {other:?}"),
    }
}

#[test]
fn fuzz_mutated_inputs_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut oks = 0;
    for i in 0..20_000 {
        let seed = SEEDS[i % SEEDS.len()].as_bytes();
        let input = mutate(&mut rng, seed);
        match parse_file_bytes(&input) {
            Ok(entries) => {
                oks += 1;
                check_ok_result(&input, &entries);
            }
            Err(e) => check_err_line(&input, &e),
        }
        match parse_body_bytes(&input) {
            Ok(cfg) => check_ok_result(&input, &[("body".into(), cfg)]),
            Err(e) => check_err_line(&input, &e),
        }
    }
    // The mutator must leave some inputs valid, or the Ok path goes untested.
    assert!(oks > 100, "only {oks} valid inputs");
}

#[test]
fn fuzz_random_bytes_never_panic() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let alphabet = b"{}=;\"# \n\r\t0x19afAZ_./@-";
    for _ in 0..5_000 {
        let len = rng.below(200);
        let input: Vec<u8> = (0..len)
            .map(|_| {
                if rng.below(8) == 0 {
                    rng.next() as u8
                } else {
                    *rng.pick(alphabet)
                }
            })
            .collect();
        match parse_file_bytes(&input) {
            Ok(entries) => check_ok_result(&input, &entries),
            Err(e) => check_err_line(&input, &e),
        }
        if let Err(e) = parse_body_bytes(&input) {
            check_err_line(&input, &e);
        }
    }
}

/// Generates random valid configs, renders them in varied layout, and checks
/// the parser returns exactly the model.
#[test]
fn random_valid_configs_round_trip() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let names = ["vm1", "win7_64", "Fedora-HVM", "mem.img", "a/b@c"];
    let blanks = [" ", "", "\t", "\n", " # note\n", "\r\n"];
    for _ in 0..2_000 {
        let mut text = String::new();
        let mut model: Vec<(String, Config)> = Vec::new();
        for _ in 0..rng.below(4) {
            let name = rng.pick(&names).to_string();
            let mut cfg = Config::new();
            text += &format!("{name}{}{{", rng.pick(&blanks));
            for _ in 0..rng.below(8) {
                let k = rng.pick(KEYS);
                let b = *rng.pick(&blanks);
                let lit = match k.kind {
                    ValueKind::Num => {
                        let n = rng.next() >> rng.below(64);
                        let lit = match rng.below(3) {
                            0 => format!("{n:#x}"),
                            1 => format!("{n}"),
                            _ => format!("0{n:o}"),
                        };
                        if k.name != LINUX_ADDR {
                            cfg.insert(k.name, Value::Num(n));
                        }
                        lit
                    }
                    ValueKind::Str => {
                        let s = format!("/x/{}", rng.next() % 1000);
                        cfg.insert(k.name, Value::Str(s.clone()));
                        format!("\"{s}\"")
                    }
                };
                text += &format!("{b}{}{b}={b}{lit}{b};{b}", k.name);
            }
            text += "}\n";
            model.push((name, cfg));
        }
        assert_eq!(parse_file_text(&text).unwrap(), model, "{text}");
    }
}

#[test]
fn pathological_inputs_finish() {
    let n = MAX_CONFIG_BYTES / 4;
    let inputs = [
        "{".repeat(n),
        "\"".repeat(n),
        "#".repeat(n),
        "a{".to_string() + &"; ".repeat(n / 2),
        "a{}".repeat(n / 3),
        "x".repeat(n),
        "a { k = ".to_string() + &"0".repeat(n) + ";}",
    ];
    for (i, t) in inputs.iter().enumerate() {
        let r = parse_file_text(t);
        match i {
            5 => assert_eq!(r.unwrap_err(), cerr(1, "word longer than 1023 bytes")),
            2 => assert!(r.unwrap().is_empty()),
            4 => assert_eq!(r.unwrap().len(), n / 3),
            _ => assert!(r.is_err(), "input {i}"),
        }
    }
}
