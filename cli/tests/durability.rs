//! Durability of `vdk-secrets serve --data-dir`: SIGKILL the server at random moments while a
//! client writes large maps, restart it on the same directory, and check that the job's map is
//! readable and is exactly the last acknowledged write or the one in flight at the kill: never
//! corrupt, never a mix, never older than what was acknowledged, never empty once a write was
//! acknowledged.
//!
//! `VDK_DURABILITY_KILLS` sets the number of kills (default 30, a few seconds);
//! `VDK_DURABILITY_SEED` replays a run. The full run:
//! `VDK_DURABILITY_KILLS=200 cargo test -p vdk-secrets-cli --test durability --release -- --nocapture`.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Map, Value};
use vdk_secrets::{Config, SecretMap, SecretsClient};

const JOB: &str = "durable";
/// Each map is about this large, so that a write (parse, encrypt, fsync, rename) takes time.
const MAP_BYTES: usize = 200 * 1024;
const CHUNK: usize = 4096;

/// Map A (even generations) or map B (odd): recognizable by their tag, key names and filler,
/// and numbered, so that an older map cannot pass for a newer one.
fn map_for(generation: u64) -> Value {
    let (tag, prefix, fill) = if generation % 2 == 0 {
        ("A", "a", 'a')
    } else {
        ("B", "b", 'b')
    };
    let mut map = Map::new();
    map.insert("map".into(), json!(tag));
    map.insert("generation".into(), json!(generation));
    let filler: String = std::iter::repeat_n(fill, CHUNK).collect();
    for i in 0..MAP_BYTES / CHUNK {
        map.insert(format!("{prefix}-{i:03}"), json!(filler));
    }
    Value::Object(map)
}

/// splitmix64: enough randomness for kill moments, reproducible from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A client that gives up at the first failure: a retry could reach the restarted server and
/// blur which write was in flight at the kill.
fn writer_client(url: &str) -> SecretsClient {
    let config = Config::from_json(
        &json!({
            "control_service_rest_api_url": url,
            "control_http_total_retries": 0,
            "control_http_connect_retries": 0,
            "control_http_read_retries": 0,
            "control_http_read_timeout_seconds": 10,
            "control_http_deadline_seconds": 20,
        })
        .to_string(),
    )
    .unwrap();
    SecretsClient::new(config).unwrap()
}

/// The stored map, read with the binary (`--list -o json`).
fn read_stored(url: &str) -> Value {
    let r = run(&mut job(url, JOB, &["-o", "json", "--list"]));
    assert_eq!(r.code, 0, "the map is readable after a restart; stderr: {}", r.stderr);
    r.json()
}

#[derive(Default)]
struct Tally {
    acknowledged: u64,
    kept_acknowledged: u64,
    kept_in_flight: u64,
    write_time: Duration,
}

#[test]
fn sigkill_during_writes_never_loses_or_corrupts_the_map() {
    let kills: u64 = std::env::var("VDK_DURABILITY_KILLS")
        .ok()
        .map(|v| v.parse().expect("VDK_DURABILITY_KILLS is a number"))
        .unwrap_or(30);
    let seed: u64 = std::env::var("VDK_DURABILITY_SEED")
        .ok()
        .map(|v| v.parse().expect("VDK_DURABILITY_SEED is a number"))
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap().to_string();
    let started = Instant::now();

    // What the disk must hold: the generation verified after the last restart (0: nothing
    // was ever acknowledged, so `{}` is allowed).
    let mut durable: u64 = 0;
    let mut next_generation: u64 = 1;
    let mut tally = Tally::default();

    for kill in 1..=kills {
        let context = format!("kill {kill} of {kills}, seed {seed} (VDK_DURABILITY_SEED={seed} replays)");
        let mut served = Served::start(&["--data-dir", &data]);

        let acked = Arc::new(AtomicU64::new(0));
        let in_flight = Arc::new(AtomicU64::new(0));
        let first = next_generation;
        let writer = {
            let (acked, in_flight, url) = (acked.clone(), in_flight.clone(), served.url.clone());
            thread::spawn(move || -> (Duration, u64, String) {
                let client = writer_client(&url);
                let mut generation = first;
                let mut busy = Duration::ZERO;
                let mut writes = 0;
                loop {
                    let map = SecretMap::from_json(map_for(generation).to_string().as_bytes()).unwrap();
                    in_flight.store(generation, Ordering::SeqCst);
                    let t = Instant::now();
                    match client.write_secrets_blocking(JOB, "team", &map, None) {
                        Ok(()) => {
                            busy += t.elapsed();
                            writes += 1;
                            acked.store(generation, Ordering::SeqCst);
                            generation += 1;
                        }
                        Err(e) => return (busy, writes, e.message()),
                    }
                }
            })
        };

        // Until one write has been acknowledged, the write time is unknown: on a loaded machine
        // a guessed window can end before any write does, round after round. So until then a
        // round waits for its first acknowledgement (bounded) before drawing the kill moment.
        if tally.acknowledged == 0 {
            let waited = Instant::now();
            while acked.load(Ordering::SeqCst) == 0
                && !writer.is_finished()
                && waited.elapsed() < Duration::from_secs(20)
            {
                thread::sleep(Duration::from_millis(1));
            }
        }
        // A random moment: usually within the first few writes (the window follows the
        // measured write time), sometimes during the very first one.
        let mean_write_us = (tally.write_time.as_micros() as u64)
            .checked_div(tally.acknowledged)
            .unwrap_or(50_000);
        let window_us = (mean_write_us * 4).clamp(5_000, 400_000);
        let delay = Duration::from_micros(if rng.below(8) == 0 {
            rng.below(mean_write_us.max(1))
        } else {
            rng.below(window_us)
        });
        thread::sleep(delay);
        assert!(
            !writer.is_finished(),
            "{context}: a write failed while the server was alive: {:?}",
            writer.join().unwrap().2
        );
        served.kill();
        let (busy, writes, _error) = writer.join().unwrap();
        tally.write_time += busy;
        tally.acknowledged += writes;
        let acked = acked.load(Ordering::SeqCst);
        let in_flight = in_flight.load(Ordering::SeqCst);
        let expected_floor = if acked != 0 { acked } else { durable };
        // Generations never repeat, even when the kill came before the first write started.
        next_generation = next_generation.max(in_flight + 1);

        let restarted = Served::start(&["--data-dir", &data]);
        let stored = read_stored(&restarted.url);
        if stored == json!({}) {
            assert_eq!(
                expected_floor, 0,
                "{context}: the map is empty though generation {expected_floor} was acknowledged"
            );
        } else {
            let generation = stored["generation"]
                .as_u64()
                .unwrap_or_else(|| panic!("{context}: the stored map has no generation"));
            assert!(
                generation == expected_floor || generation == in_flight,
                "{context}: stored generation {generation}, but the last acknowledged is {expected_floor} and \
                 the one in flight {in_flight}"
            );
            assert!(
                stored == map_for(generation),
                "{context}: generation {generation} is stored, but not intact (a torn or mixed map)"
            );
            if generation == in_flight && generation != expected_floor {
                tally.kept_in_flight += 1;
            } else {
                tally.kept_acknowledged += 1;
            }
            durable = generation;
        }
        // A crash may leave a temp file; a restart removes it.
        let leftovers: Vec<String> = std::fs::read_dir(&data)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(".tmp-"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "{context}: temp files after restart: {leftovers:?}"
        );
        drop(restarted);
    }

    let elapsed = started.elapsed();
    let mean_write = tally.write_time.as_secs_f64() * 1000.0 / tally.acknowledged.max(1) as f64;
    eprintln!(
        "durability: {kills} SIGKILLs in {:.1} s (seed {seed}); {} writes of ~{} KiB acknowledged \
         (mean {mean_write:.1} ms each); after restart the map was the last acknowledged one {} times \
         and the one in flight {} times; never corrupt, never lost",
        elapsed.as_secs_f64(),
        tally.acknowledged,
        MAP_BYTES / 1024,
        tally.kept_acknowledged,
        tally.kept_in_flight,
    );
    assert!(
        tally.acknowledged > 0,
        "no write was ever acknowledged: the test tested nothing"
    );
}
