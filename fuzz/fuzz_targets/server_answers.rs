//! What a server sends back: any body, as a secrets answer and as an error answer of any
//! status. Must classify without panicking, and error texts must stay one bounded line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vdk_secrets::error::{Error, Redactor};
use vdk_secrets::SecretMap;

fuzz_target!(|data: &[u8]| {
    if let Ok(map) = SecretMap::from_json(data) {
        let again = SecretMap::from_json(map.to_json().as_bytes()).expect("our own JSON parses");
        assert_eq!(again, map);
    }
    let status = data.first().map_or(500, |b| 400 + u16::from(*b) % 200);
    let redactor = Redactor::new(vec!["hunter2"]);
    let error = Error::from_http_answer(status, "read secrets", data, &redactor);
    let message = error.message();
    assert!(!message.contains('\n'));
    assert!(!message.contains("hunter2"));
    assert!(error.why().chars().count() < 4 * 600);
});
