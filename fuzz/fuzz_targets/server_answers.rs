//! What a server sends back: any body, as a secrets answer and as an error answer of any
//! status. Must classify without panicking, and error texts must stay one bounded line. The
//! text path (`SecretJson`, what C reads) must accept exactly what the map path accepts and
//! produce the bytes the map writes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vdk_secrets::error::{Error, Redactor};
use vdk_secrets::{SecretBuffer, SecretJson, SecretMap};

fuzz_target!(|data: &[u8]| {
    let mut body = SecretBuffer::with_capacity(data.len() + 1);
    body.extend_from_slice(data);
    let texts = [SecretJson::from_json(data), SecretJson::from_body(body)];
    match SecretMap::from_json(data) {
        Ok(map) => {
            let again = SecretMap::from_json(map.to_json().as_bytes()).expect("our own JSON parses");
            assert_eq!(again, map);
            for text in texts {
                assert_eq!(
                    text.expect("the text path accepts it too").as_bytes(),
                    map.to_json().as_bytes()
                );
            }
        }
        Err(_) => assert!(
            texts.iter().all(Result::is_err),
            "the text path accepts what the map refuses"
        ),
    }
    let status = data.first().map_or(500, |b| 400 + u16::from(*b) % 200);
    let redactor = Redactor::new(vec!["hunter2"]);
    let error = Error::from_http_answer(status, "read secrets", data, &redactor);
    let message = error.message();
    assert!(!message.contains('\n'));
    assert!(!message.contains("hunter2"));
    assert!(error.why().chars().count() < 4 * 600);
});
