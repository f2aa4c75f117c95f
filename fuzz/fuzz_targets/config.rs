//! Configuration parsing: any text, as JSON or as environment variables, gives a config or a
//! clean error; neither ever echoes a value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vdk_secrets::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = Config::from_json(text) {
        let _ = e.message();
    }
    // The same bytes as KEY=VALUE lines of an environment.
    let vars = text.lines().filter_map(|line| {
        let (k, v) = line.split_once('=')?;
        Some((format!("VDK_{k}"), v.to_string()))
    });
    if let Ok(config) = Config::from_vars(vars) {
        let _ = vdk_secrets::SecretsClient::new(config);
    }
});
