//! Runs a target's cases one by one: each under `catch_unwind`, timed,
//! with its allocation peak measured, and watched by a thread that aborts
//! the process (after printing the reproducer) if one case hangs. Every
//! failure names the seed and iteration that reproduce it; its input is
//! written under `target/fuzz-failures/`.
//!
//! Environment:
//! * `VMI_FUZZ_SEED`  base seed (default fixed, so CI is deterministic)
//! * `VMI_FUZZ_ITERS` cases per target (default: the target's own)
//! * `VMI_FUZZ_SECS`  run each target this long instead (ITERS then caps)
//! * `VMI_FUZZ_REPLAY` run only this iteration (hex with 0x, or decimal)
//! * `VMI_FUZZ_CASE_SECS` per-case time bound (default 2, guests more)
//! * `VMI_FUZZ_HANG_SECS` a case this slow aborts the run (default 60)

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use super::alloc;
use super::rng::Rng;

/// Growth of a case's live heap above this is a failure. The library's
/// own largest cap is 1 GiB (a JSON profile read from a device such as
/// `/dev/zero`, refused at the cap), so the bound sits just above it.
pub const PEAK_LIMIT: usize = (1 << 30) + (256 << 20);

const DEFAULT_SEED: u64 = 0x5eed_f022_1b71_0001;

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    }
}

fn env_f64(name: &str) -> Option<f64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

pub fn seed() -> u64 {
    env_u64("VMI_FUZZ_SEED").unwrap_or(DEFAULT_SEED)
}

/// What one case must do besides returning.
pub struct Limits {
    pub case_secs: f64,
}

impl Limits {
    pub fn secs(case_secs: f64) -> Limits {
        Limits {
            case_secs: env_f64("VMI_FUZZ_CASE_SECS").unwrap_or(case_secs),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::secs(2.0)
    }
}

/// A generated input: its bytes for the failure file, and a description
/// for inputs that are not a file (a list of guest-memory corruptions).
pub trait Case {
    fn bytes(&self) -> Vec<u8>;
    fn describe(&self) -> String {
        String::new()
    }
}

impl Case for Vec<u8> {
    fn bytes(&self) -> Vec<u8> {
        self.clone()
    }
}

thread_local! {
    static IN_CASE: Cell<bool> = const { Cell::new(false) };
    static PANICS: Cell<u64> = const { Cell::new(0) };
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Records panics raised inside a case (even ones the C layer catches)
/// instead of printing them; panics elsewhere print as usual.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_CASE.with(|c| c.get()) {
                PANICS.with(|p| p.set(p.get() + 1));
                let msg = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let loc = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                LAST_PANIC.with(|l| *l.borrow_mut() = format!("{msg} at {loc}"));
            } else {
                default(info);
            }
        }));
    });
}

/// Shared with the watchdog: the running iteration and when it started.
struct Watch {
    iter: AtomicU64,
    started_ms: AtomicU64,
    running: AtomicBool,
    done: AtomicBool,
}

fn spawn_watchdog(target: &'static str, seed: u64, hang: f64, epoch: Instant) -> Arc<Watch> {
    let w = Arc::new(Watch {
        iter: AtomicU64::new(0),
        started_ms: AtomicU64::new(0),
        running: AtomicBool::new(false),
        done: AtomicBool::new(false),
    });
    let w2 = w.clone();
    std::thread::spawn(move || {
        while !w2.done.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(200));
            if !w2.running.load(Ordering::Acquire) {
                continue;
            }
            let now = epoch.elapsed().as_millis() as u64;
            let started = w2.started_ms.load(Ordering::Acquire);
            if now.saturating_sub(started) as f64 > hang * 1e3 && w2.running.load(Ordering::Acquire)
            {
                eprintln!(
                    "\nfuzz: HANG in target {target}: one case ran over {hang} s; reproduce with \
                     VMI_FUZZ_SEED={seed:#x} VMI_FUZZ_REPLAY={} cargo test --release --test \
                     fuzz_parsers {target}",
                    w2.iter.load(Ordering::Acquire)
                );
                std::process::abort();
            }
        }
    });
    w
}

fn failure_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|p| p.join("fuzz-failures"))
        .unwrap_or_else(|| std::env::temp_dir().join("fuzz-failures"))
}

/// Summary of a finished target, for the report.
#[derive(Debug, Default)]
pub struct Stats {
    pub cases: u64,
    pub ok: u64,
    pub slowest: Duration,
    pub peak: usize,
}

/// Runs `target`: case `i` is `run(&gen(rng_i))` where `rng_i` depends
/// only on (seed, target, i). `run` returns `Ok(true)` when the library
/// accepted the input, `Ok(false)` when it rejected it cleanly, and
/// `Err` when an invariant of the harness broke. Panics at the end with
/// every failure and its reproducer.
pub fn fuzz<I: Case>(
    target: &'static str,
    default_iters: u64,
    limits: Limits,
    gen: impl Fn(&mut Rng) -> I,
    run: impl Fn(&I) -> Result<bool, String>,
) -> Stats {
    install_hook();
    let seed = seed();
    let secs = env_f64("VMI_FUZZ_SECS");
    let iters = env_u64("VMI_FUZZ_ITERS").unwrap_or(if secs.is_some() {
        u64::MAX
    } else {
        default_iters
    });
    let replay = env_u64("VMI_FUZZ_REPLAY");
    let hang = env_f64("VMI_FUZZ_HANG_SECS").unwrap_or(60.0);
    let epoch = Instant::now();
    let watch = spawn_watchdog(target, seed, hang, epoch);
    let mut stats = Stats::default();
    let mut failures: Vec<String> = Vec::new();

    let range = match replay {
        Some(i) => i..i.saturating_add(1),
        None => 0..iters,
    };
    for iter in range {
        if replay.is_none() && secs.is_some_and(|s| epoch.elapsed().as_secs_f64() >= s) {
            break;
        }
        let mut rng = Rng::for_case(seed, target, iter);
        let input = gen(&mut rng);
        if replay.is_some() {
            // A replayed case may hang or abort: keep its input first.
            let dir = failure_dir();
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(
                dir.join(format!("{target}-{seed:#x}-{iter}.bin")),
                input.bytes(),
            );
        }
        watch.iter.store(iter, Ordering::Release);
        watch
            .started_ms
            .store(epoch.elapsed().as_millis() as u64, Ordering::Release);
        watch.running.store(true, Ordering::Release);

        let start_live = alloc::live();
        alloc::begin_case(target, seed, iter);
        PANICS.with(|p| p.set(0));
        IN_CASE.with(|c| c.set(true));
        let t = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| run(&input)));
        let took = t.elapsed();
        IN_CASE.with(|c| c.set(false));
        let (peak, refused) = alloc::end_case(start_live);
        watch.running.store(false, Ordering::Release);

        stats.cases += 1;
        stats.slowest = stats.slowest.max(took);
        stats.peak = stats.peak.max(peak);
        let mut problems = Vec::new();
        match &result {
            Ok(Ok(true)) => stats.ok += 1,
            Ok(Ok(false)) => {}
            Ok(Err(e)) => problems.push(format!("invariant: {e}")),
            Err(_) => problems.push(format!(
                "panic: {}",
                LAST_PANIC.with(|l| l.borrow().clone())
            )),
        }
        let panics = PANICS.with(|p| p.get());
        if result.is_ok() && panics > 0 {
            problems.push(format!(
                "{panics} panic(s) caught inside the library (C boundary): {}",
                LAST_PANIC.with(|l| l.borrow().clone())
            ));
        }
        if took.as_secs_f64() > limits.case_secs {
            problems.push(format!(
                "slow: {:.2} s > {} s",
                took.as_secs_f64(),
                limits.case_secs
            ));
        }
        if refused > 0 {
            problems.push(format!("asked for a single allocation of {refused} bytes"));
        }
        if peak > PEAK_LIMIT {
            problems.push(format!("heap grew by {peak} bytes"));
        }
        if !problems.is_empty() {
            let dir = failure_dir();
            let file = dir.join(format!("{target}-{seed:#x}-{iter}.bin"));
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(&file, input.bytes());
            let desc = input.describe();
            let line = format!(
                "{target} iteration {iter}: {}{}\n    reproduce: VMI_FUZZ_SEED={seed:#x} \
                 VMI_FUZZ_REPLAY={iter} cargo test --release --test fuzz_parsers {target}\n    \
                 input: {}",
                problems.join("; "),
                if desc.is_empty() {
                    String::new()
                } else {
                    format!("\n    case: {desc}")
                },
                file.display()
            );
            eprintln!("fuzz: FAILURE {line}");
            failures.push(line);
            if failures.len() >= 20 {
                break;
            }
        }
    }
    watch.done.store(true, Ordering::Release);
    eprintln!(
        "fuzz: {target}: {} cases ({} accepted) in {:.1} s; slowest {:.0} ms; peak heap growth {} KiB",
        stats.cases,
        stats.ok,
        epoch.elapsed().as_secs_f64(),
        stats.slowest.as_secs_f64() * 1e3,
        stats.peak / 1024
    );
    assert!(
        failures.is_empty(),
        "{} failing case(s) in {target}:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(stats.cases > 0, "{target}: no cases ran");
    stats
}
