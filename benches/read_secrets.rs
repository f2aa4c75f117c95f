//! Sequential `read_secrets` against a local keep-alive Control Service running in its own
//! process (so that process CPU here is client CPU only), through the Rust API and through the
//! C ABI, in interleaved rounds. Prints medians; `benches/run.sh` adds wrk and the upstream
//! Python client against the same server and writes the table for BENCHMARKS.md.
//!
//!   cargo build --release -p vdk-control-service && cargo bench --bench read_secrets
//!
//! Environment: VDK_BENCH_URL (use a running server instead of starting one),
//! VDK_BENCH_CALLS (per round, default 5000), VDK_BENCH_ROUNDS (default 7).
//!
//! Matrix mode (used by `benches/matrix.sh`): VDK_BENCH_MATRIX=read runs VDK_BENCH_THREADS
//! threads (default 1) reading through one shared `SecretsClient` for VDK_BENCH_SECONDS
//! (default 1) per round, VDK_BENCH_ROUNDS rounds (default 3), recording every call's latency;
//! prints `RESULT rps=.. p50=.. p99=.. cpu=..` (medians over rounds; µs; client CPU per read).
//! VDK_BENCH_MATRIX=write-concurrent is the read mode's loop with writes, each thread writing a
//! job of its own (bench-write-N). Needs VDK_BENCH_URL; the read mode does not write (the
//! server may be a static one). VDK_BENCH_MATRIX=read-async runs tasks on the async API;
//! `reqwest-floor` and `hyper-floor` make the same exchange with the transport crates alone.

use std::ffi::{c_char, CStr};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vdk_secrets::ffi::client::{vdk_client_free, vdk_client_new, vdk_client_read_secrets, VdkClient};
use vdk_secrets::ffi::string::vdk_string_free;
use vdk_secrets::ffi::VdkStatus;
use vdk_secrets::{Config, SecretMap, SecretsClient};

const JOB: &str = "bench-job";
const TEAM: &str = "bench-team";

struct Service {
    child: Option<Child>,
    url: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn start_service() -> Service {
    if let Ok(url) = std::env::var("VDK_BENCH_URL") {
        return Service { child: None, url };
    }
    let binary = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/vdk-control-service");
    let mut child = Command::new(&binary)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "start {} (build it with cargo build --release -p vdk-control-service): {e}",
                binary.display()
            )
        });
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_string();
    Service {
        child: Some(child),
        url,
    }
}

fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct we pass.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    // SAFETY: initialised by getrusage (or zeroed).
    let u = unsafe { usage.assume_init() };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(u.ru_utime) + micros(u.ru_stime))
}

struct Round {
    wall: Duration,
    cpu: Duration,
    calls: u32,
}

fn measure(calls: u32, mut call: impl FnMut()) -> Round {
    let (start, cpu) = (Instant::now(), cpu_time());
    for _ in 0..calls {
        call();
    }
    Round {
        wall: start.elapsed(),
        cpu: cpu_time() - cpu,
        calls,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn report(label: &str, rounds: &[Round]) -> (f64, f64) {
    let us: Vec<f64> = rounds
        .iter()
        .map(|r| r.wall.as_secs_f64() * 1e6 / r.calls as f64)
        .collect();
    let cpu: Vec<f64> = rounds
        .iter()
        .map(|r| r.cpu.as_secs_f64() * 1e6 / r.calls as f64)
        .collect();
    let (us, cpu) = (median(us), median(cpu));
    println!(
        "{label:<10} reads/s {:>9.0}   us/call {us:>7.2}   client CPU us/call {cpu:>6.2}",
        1e6 / us
    );
    (us, cpu)
}

/// Per-round figures of the matrix modes, printed as medians over rounds.
#[derive(Default)]
struct MatrixSummary {
    rps: Vec<f64>,
    p50: Vec<f64>,
    p99: Vec<f64>,
    cpu: Vec<f64>,
}

impl MatrixSummary {
    /// One round: every call's latency in ns, the round's wall time and the process CPU it used.
    fn add_round(&mut self, mut latencies: Vec<u64>, wall: Duration, cpu: Duration) {
        latencies.sort_unstable();
        let n = latencies.len();
        self.rps.push(n as f64 / wall.as_secs_f64());
        self.p50.push(latencies[n / 2] as f64 / 1e3);
        self.p99.push(latencies[n * 99 / 100] as f64 / 1e3);
        self.cpu.push(cpu.as_secs_f64() * 1e6 / n as f64);
    }

    fn print(self) {
        println!(
            "RESULT rps={:.0} p50={:.1} p99={:.1} cpu={:.1}",
            median(self.rps),
            median(self.p50),
            median(self.p99),
            median(self.cpu)
        );
    }
}

fn matrix(mode: &str) {
    let env =
        |name: &str, default: f64| -> f64 { std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default) };
    let url = std::env::var("VDK_BENCH_URL").expect("VDK_BENCH_URL");
    let (threads, seconds, rounds) = (
        env("VDK_BENCH_THREADS", 1.0) as usize,
        env("VDK_BENCH_SECONDS", 1.0),
        env("VDK_BENCH_ROUNDS", 3.0) as usize,
    );
    if mode.ends_with("-floor") {
        return matrix_floor(mode, &url, threads, seconds, rounds);
    }
    let config_json = serde_json::json!({"control_service_rest_api_url": url}).to_string();
    let client = SecretsClient::new(Config::from_json(&config_json).unwrap()).unwrap();
    if mode == "read-async" {
        return matrix_async(client, threads, seconds, rounds);
    }
    let secrets =
        SecretMap::from_json(br#"{"api-key":"sk-abc123xyz789","db-password":"secretpass","port":5432}"#).unwrap();
    // Concurrent writers each write a job of their own, as jobs of a fleet do.
    let jobs: Vec<String> = (0..threads).map(|i| format!("bench-write-{i}")).collect();
    let op = |thread: usize| match mode {
        "write-concurrent" => client
            .write_secrets_blocking(&jobs[thread], TEAM, &secrets, None)
            .unwrap(),
        _ => assert_eq!(client.read_secrets_blocking(JOB, TEAM, None).unwrap().len(), 3),
    };
    for _ in 0..200 {
        op(0);
    }
    let mut summary = MatrixSummary::default();
    for _ in 0..rounds {
        let barrier = std::sync::Barrier::new(threads + 1);
        let deadline = Instant::now() + Duration::from_secs_f64(seconds) + Duration::from_millis(1);
        let (all, wall, used) = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|thread| {
                    let (barrier, op) = (&barrier, &op);
                    s.spawn(move || {
                        let mut lat = Vec::with_capacity(1 << 16);
                        barrier.wait();
                        while Instant::now() < deadline {
                            let t0 = Instant::now();
                            op(thread);
                            lat.push(t0.elapsed().as_nanos() as u64);
                        }
                        lat
                    })
                })
                .collect();
            barrier.wait();
            let (t0, c0) = (Instant::now(), cpu_time());
            let all: Vec<u64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
            (all, t0.elapsed(), cpu_time() - c0)
        });
        summary.add_round(all, wall, used);
    }
    summary.print();
}

/// VDK_BENCH_MATRIX=read-async: VDK_BENCH_THREADS concurrent tasks (not threads) calling the
/// async API on a tokio runtime with VDK_BENCH_WORKERS worker threads (default 1; 0 = a
/// current-thread runtime), the way an async host or `wrk` keeps many requests in flight.
fn matrix_async(client: SecretsClient, tasks: usize, seconds: f64, rounds: usize) {
    let client = std::sync::Arc::new(client);
    run_tasks(tasks, seconds, rounds, move || {
        let client = client.clone();
        async move { assert_eq!(client.read_secrets(JOB, TEAM).await.unwrap().len(), 3) }
    });
}

/// The floors under the library: the same exchange as a read (GET of the secrets path with the
/// headers the library sends, status check, the body read whole and parsed as a JSON object),
/// made with reqwest alone (`reqwest-floor`, the transport the library is built on, configured
/// as the library configures it) or with hyper-util's pooled client alone (`hyper-floor`, what
/// reqwest is built on), from VDK_BENCH_THREADS tasks on a one-worker runtime. They show how
/// much of the gap to `wrk` the library could close at all without replacing its transport.
fn matrix_floor(mode: &str, url: &str, tasks: usize, seconds: f64, rounds: usize) {
    let full = format!(
        "{}/data-jobs/for-team/{TEAM}/jobs/{JOB}/deployments/TODO/secrets",
        url.trim_end_matches('/')
    );
    let check = |status: u16, body: &[u8]| {
        assert_eq!(status, 200);
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body).unwrap();
        assert_eq!(map.len(), 3);
    };
    match mode {
        "reqwest-floor" => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .referer(false)
                .connect_timeout(Duration::from_secs(30))
                .read_timeout(Duration::from_secs(30))
                .pool_max_idle_per_host(64)
                .http1_only()
                .build()
                .unwrap();
            let url = reqwest::Url::parse(&full).unwrap();
            run_tasks(tasks, seconds, rounds, move || {
                let (client, url) = (client.clone(), url.clone());
                async move {
                    let response = client
                        .get(url)
                        .header("accept", "application/json")
                        .header("user-agent", "vdk-secrets-bench")
                        .header("x-opid", "bench-floor")
                        .send()
                        .await
                        .unwrap();
                    let status = response.status().as_u16();
                    check(status, &response.bytes().await.unwrap());
                }
            });
        }
        "hyper-floor" => {
            use http_body_util::BodyExt;
            let client: hyper_util::client::legacy::Client<_, http_body_util::Empty<bytes::Bytes>> =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
            let uri: hyper::Uri = full.parse().unwrap();
            run_tasks(tasks, seconds, rounds, move || {
                let (client, uri) = (client.clone(), uri.clone());
                async move {
                    let request = hyper::Request::get(uri)
                        .header("accept", "application/json")
                        .header("user-agent", "vdk-secrets-bench")
                        .header("x-opid", "bench-floor")
                        .body(http_body_util::Empty::new())
                        .unwrap();
                    let response = client.request(request).await.unwrap();
                    let status = response.status().as_u16();
                    check(status, &response.into_body().collect().await.unwrap().to_bytes());
                }
            });
        }
        other => panic!("unknown VDK_BENCH_MATRIX mode {other}"),
    }
}

/// Runs `call` in a loop from `tasks` tasks on a tokio runtime with VDK_BENCH_WORKERS worker
/// threads (default 1; 0 = a current-thread runtime) for `rounds` rounds of `seconds`, after a
/// warm-up, and prints the matrix summary.
fn run_tasks<F, Fut>(tasks: usize, seconds: f64, rounds: usize, call: F)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let workers: usize = std::env::var("VDK_BENCH_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let runtime = if workers == 0 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
    }
    .unwrap();
    let call = std::sync::Arc::new(call);
    let mut summary = MatrixSummary::default();
    runtime.block_on(async {
        for _ in 0..200 {
            call().await;
        }
        for _ in 0..rounds {
            let deadline = Instant::now() + Duration::from_secs_f64(seconds);
            let (t0, c0) = (Instant::now(), cpu_time());
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    let call = call.clone();
                    tokio::spawn(async move {
                        let mut lat = Vec::with_capacity(1 << 16);
                        while Instant::now() < deadline {
                            let t0 = Instant::now();
                            call().await;
                            lat.push(t0.elapsed().as_nanos() as u64);
                        }
                        lat
                    })
                })
                .collect();
            let mut all = Vec::new();
            for handle in handles {
                all.extend(handle.await.unwrap());
            }
            summary.add_round(all, t0.elapsed(), cpu_time() - c0);
        }
    });
    summary.print();
}

fn main() {
    if let Ok(mode) = std::env::var("VDK_BENCH_MATRIX") {
        return matrix(&mode);
    }
    let calls: u32 = std::env::var("VDK_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let rounds: usize = std::env::var("VDK_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let service = start_service();
    let config_json = serde_json::json!({"control_service_rest_api_url": service.url}).to_string();

    let rust = SecretsClient::new(Config::from_json(&config_json).unwrap()).unwrap();
    let secrets =
        SecretMap::from_json(br#"{"api-key":"sk-abc123xyz789","db-password":"secretpass","port":5432}"#).unwrap();
    rust.write_secrets_blocking(JOB, TEAM, &secrets, None).unwrap();

    let config_c = std::ffi::CString::new(config_json).unwrap();
    let mut c_client: *mut VdkClient = std::ptr::null_mut();
    assert_eq!(
        vdk_client_new(config_c.as_ptr(), &mut c_client, std::ptr::null_mut()),
        VdkStatus::VDK_STATUS_OK
    );
    let (job, team) = (c"bench-job", c"bench-team");

    let read_rust = || {
        let read = rust.read_secrets_blocking(JOB, TEAM, None).unwrap();
        assert_eq!(read.len(), 3);
    };
    let read_c = || {
        let mut out: *mut c_char = std::ptr::null_mut();
        let status = vdk_client_read_secrets(c_client, job.as_ptr(), team.as_ptr(), &mut out, std::ptr::null_mut());
        assert_eq!(status, VdkStatus::VDK_STATUS_OK);
        // SAFETY: a string the library just returned.
        assert!(unsafe { CStr::from_ptr(out) }.to_bytes().len() > 10);
        vdk_string_free(out);
    };
    // Warm up: connection, caches, CPU frequency.
    measure(calls / 5, read_rust);
    measure(calls / 5, read_c);

    let (mut rust_rounds, mut c_rounds) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        rust_rounds.push(measure(calls, read_rust));
        c_rounds.push(measure(calls, read_c));
    }
    println!(
        "server {} | {rounds} rounds x {calls} sequential reads, medians",
        service.url
    );
    let (rust_us, _) = report("rust", &rust_rounds);
    let (c_us, _) = report("c-abi", &c_rounds);
    // Per-round pairing cancels drift of a noisy machine.
    let overhead: Vec<f64> = rust_rounds
        .iter()
        .zip(&c_rounds)
        .map(|(r, c)| (c.wall.as_secs_f64() / c.calls as f64 - r.wall.as_secs_f64() / r.calls as f64) * 1e6)
        .collect();
    println!(
        "c-abi overhead over rust: median {:.2} us/call (medians differ by {:.2})",
        median(overhead),
        c_us - rust_us
    );
    vdk_client_free(c_client);
}
