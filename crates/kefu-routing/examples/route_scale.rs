//! Load generator for the router at contact-center scale (default 10,000
//! agents, 200 skills, 1,000 queues, 100,000 waiting interactions). Prints
//! routing decisions per second, decision latency percentiles, bytes per
//! waiting interaction, and the same workload on a scan-everything baseline.
//!
//! `cargo run --release -p kefu-routing --example route_scale -- [--agents N]
//! [--skills N] [--queues N] [--waiting N] [--steps N] [--baseline-steps N] [--seed N]`
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kefu_routing::scale::{Driver, Engine, NaiveRouter, ScaleParams};
use kefu_routing::{Router, RouterConfig};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes so memory per waiting interaction is measured.
struct Counting;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's own arguments,
// so `System` upholds the `GlobalAlloc` contract exactly as if called
// directly; the only addition is an atomic counter, which never touches the
// memory being managed and cannot fail or unwind.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same layout contract as our caller's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc`/`realloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; `ptr` and `layout` come from us.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live_bytes() -> usize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

struct Args {
    params: ScaleParams,
    steps: usize,
    baseline_steps: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        params: ScaleParams::default(),
        steps: 500_000,
        baseline_steps: 20_000,
    };
    let raw: Vec<String> = std::env::args().skip(1).collect();
    for pair in raw.chunks(2) {
        let value = pair.get(1).and_then(|v| v.parse::<u64>().ok());
        let Some(value) = value else {
            panic!(
                "usage: --agents N --skills N --queues N --waiting N --steps N --baseline-steps N --seed N"
            );
        };
        match pair[0].as_str() {
            "--agents" => args.params.agents = value as u32,
            "--skills" => args.params.skills = value as u16,
            "--queues" => args.params.queues = value as u32,
            "--waiting" => args.params.waiting = value as u32,
            "--seed" => args.params.seed = value,
            "--steps" => args.steps = value as usize,
            "--baseline-steps" => args.baseline_steps = value as usize,
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

/// One routing decision is one call that decided something: an arrival
/// (assigned, or no one eligible so it waits) or a completion whose agent
/// was freed (takes the next interaction, or nothing is eligible so it goes
/// idle). Assignments are counted apart; a call that assigns twice is still
/// one decision, so the rate is never inflated by multi-assignment calls.
struct Measured {
    decisions: usize,
    assignments: usize,
    busy: Duration,
    /// Time in `complete` (agent freed, takes the next interaction) and in
    /// `enqueue` (arrival: to an idle agent, or queued).
    busy_by_call: [Duration; 2],
    assignments_by_call: [usize; 2],
    /// Latency of every decision (the whole call, timer reads included).
    latencies_ns: Vec<u64>,
    /// Time this thread was on a CPU during the whole run (loop and timer
    /// reads included), when the kernel says: unlike `busy`, it leaves out
    /// the time other processes on this shared machine held the core.
    on_cpu: Option<Duration>,
}

/// This thread's time on a CPU so far (Linux `schedstat`), if readable.
fn on_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = stat.split_whitespace().next()?.parse::<u64>().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Runs `steps` steady-state steps (a completion, then an arrival) and
/// times each call.
fn measure<E: Engine>(driver: &mut Driver<E>, steps: usize) -> Measured {
    let mut measured = Measured {
        decisions: 0,
        assignments: 0,
        busy: Duration::ZERO,
        busy_by_call: [Duration::ZERO; 2],
        assignments_by_call: [0; 2],
        latencies_ns: Vec::with_capacity(steps * 2),
        on_cpu: None,
    };
    let cpu_before = on_cpu_time();
    for _ in 0..steps {
        for arrival in [false, true] {
            // A completion needs something in progress; otherwise no call is made.
            let calls = arrival || driver.in_progress() > 0;
            let started = Instant::now();
            let made = if arrival {
                driver.arrive_one()
            } else {
                driver.complete_one()
            }
            .unwrap();
            let spent = started.elapsed();
            measured.busy += spent;
            measured.assignments += made;
            measured.busy_by_call[usize::from(arrival)] += spent;
            measured.assignments_by_call[usize::from(arrival)] += made;
            if calls {
                measured.decisions += 1;
                measured.latencies_ns.push(spent.as_nanos() as u64);
            }
        }
    }
    measured.on_cpu = on_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    measured.latencies_ns.sort_unstable();
    measured
}

fn on_cpu_rate(run: &Measured) -> String {
    match run.on_cpu {
        // The kernel brings the figure up to date at scheduler ticks only.
        Some(cpu) if cpu < run.busy / 2 => "run too short for on-CPU time".to_owned(),
        Some(cpu) => format!(
            "{:.0} decisions/s of on-CPU time ({:.3?} on CPU)",
            run.decisions as f64 / cpu.as_secs_f64(),
            cpu
        ),
        None => "on-CPU time not available".to_owned(),
    }
}

fn report_calls(name: &str, run: &Measured, steps: usize) {
    for (index, call) in ["complete", "enqueue"].iter().enumerate() {
        println!(
            "  {name} {call}: {:.0} ns per call, {} assignments over {steps} calls",
            run.busy_by_call[index].as_nanos() as f64 / steps.max(1) as f64,
            run.assignments_by_call[index]
        );
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index]
}

fn main() {
    let args = parse_args();
    let params = args.params;
    println!(
        "workload: {} agents, {} skills, {} queues, {} waiting interactions (seed {})",
        params.agents, params.skills, params.queues, params.waiting, params.seed
    );

    let before = live_bytes();
    let started = Instant::now();
    let router = Router::new(RouterConfig::default()).unwrap();
    let mut indexed = Driver::build(router, params).unwrap();
    let built_bytes = live_bytes() - before;
    println!(
        "indexed router built in {:.2?}: {} waiting, {} in progress, {:.1} MiB",
        started.elapsed(),
        indexed.engine.waiting_count(),
        indexed.in_progress(),
        built_bytes as f64 / (1024.0 * 1024.0)
    );
    let per_interaction = interaction_bytes(params);
    println!(
        "memory: {per_interaction:.0} bytes per waiting interaction (live heap delta of all interactions held / waiting ones)"
    );

    // The same first steps after the build as the baseline runs, for a
    // like-for-like ratio; they also warm up before the main measurement.
    let early = measure(&mut indexed, args.baseline_steps);
    measure(&mut indexed, args.steps / 10);
    let run = measure(&mut indexed, args.steps);
    let rate = run.decisions as f64 / run.busy.as_secs_f64();
    println!(
        "indexed: {} decisions ({} assignments) in {:.3?} of routing calls = {:.0} decisions/s ({:.0} assignments/s); latency per decision p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns; waiting now {}",
        run.decisions,
        run.assignments,
        run.busy,
        rate,
        run.assignments as f64 / run.busy.as_secs_f64(),
        percentile(&run.latencies_ns, 0.50),
        percentile(&run.latencies_ns, 0.99),
        percentile(&run.latencies_ns, 0.999),
        run.latencies_ns.last().copied().unwrap_or(0),
        indexed.engine.waiting_count()
    );
    println!("  indexed: {}", on_cpu_rate(&run));
    report_calls("indexed", &run, args.steps);
    drop(indexed);

    let started = Instant::now();
    let mut naive = Driver::build(NaiveRouter::new(), params).unwrap();
    println!("baseline built in {:.2?}", started.elapsed());
    let base = measure(&mut naive, args.baseline_steps);
    let base_rate = base.decisions as f64 / base.busy.as_secs_f64();
    println!(
        "baseline (scan every agent / every queue): {} decisions ({} assignments) in {:.3?} = {:.0} decisions/s ({:.0} assignments/s); p50 {} ns, p99 {} ns",
        base.decisions,
        base.assignments,
        base.busy,
        base_rate,
        base.assignments as f64 / base.busy.as_secs_f64(),
        percentile(&base.latencies_ns, 0.50),
        percentile(&base.latencies_ns, 0.99)
    );
    println!("  baseline: {}", on_cpu_rate(&base));
    let early_rate = early.decisions as f64 / early.busy.as_secs_f64();
    println!(
        "speed-up over the baseline: {:.1}x on the same first {} steps after the build ({:.0} vs {:.0} decisions/s; p99 {} vs {} ns); {:.1}x against the main run",
        early_rate / base_rate,
        args.baseline_steps,
        early_rate,
        base_rate,
        percentile(&early.latencies_ns, 0.99),
        percentile(&base.latencies_ns, 0.99),
        rate / base_rate
    );
}

/// Live heap bytes the router holds per interaction: the same center with
/// and without its interactions, so agents and queues cancel out.
fn interaction_bytes(params: ScaleParams) -> f64 {
    let empty = ScaleParams {
        waiting: 0,
        ..params
    };
    let before = live_bytes();
    let without = Driver::build(Router::new(RouterConfig::default()).unwrap(), empty).unwrap();
    let without_bytes = live_bytes() - before;
    drop(without);
    let before = live_bytes();
    let with = Driver::build(Router::new(RouterConfig::default()).unwrap(), params).unwrap();
    let with_bytes = live_bytes() - before;
    // Conservative: interactions being handled are counted in the bytes but
    // not in the divisor.
    let waiting = with.engine.waiting_count();
    let extra = with_bytes.saturating_sub(without_bytes) as f64;
    extra / waiting.max(1) as f64
}
