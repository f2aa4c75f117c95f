//! Secrets at rest: survival across restarts, file modes, encryption and atomic replacement.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::*;
use vdk_control_service::{RunningService, ServiceConfig};

const SECRET_VALUE: &str = "hunter2-very-secret-value";
const TEAM: &str = "persistent-team-name";

async fn start_in(dir: &Path) -> RunningService {
    start_with(ServiceConfig {
        data_dir: Some(dir.to_path_buf()),
        ..Default::default()
    })
    .await
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

fn secrets_files(dir: &Path) -> Vec<PathBuf> {
    files_in(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "secrets"))
        .collect()
}

#[tokio::test]
async fn secrets_survive_a_restart() {
    let dir = TempDir::new("restart");
    let client = client();
    let body = format!(r#"{{"password":"{SECRET_VALUE}","n":1}}"#);

    let service = start_in(dir.path()).await;
    let url = secrets_url(&service.base_url(), TEAM, "job");
    assert_eq!(put_json(&client, &url, &body, None).await.status(), 202);
    service.shutdown().await;

    let service = start_in(dir.path()).await;
    let url = secrets_url(&service.base_url(), TEAM, "job");
    assert_eq!(get(&client, &url, None).await.text().await.unwrap(), body);
    // Replacing persists too.
    assert_eq!(put_json(&client, &url, "{}", None).await.status(), 202);
    service.shutdown().await;

    let service = start_in(dir.path()).await;
    let url = secrets_url(&service.base_url(), TEAM, "job");
    assert_eq!(get(&client, &url, None).await.text().await.unwrap(), "{}");
    service.shutdown().await;
}

#[tokio::test]
async fn key_and_directory_are_private() {
    let dir = TempDir::new("modes");
    let data = dir.path().join("nested/data");
    let service = start_in(&data).await;
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    let key = data.join("store.key");
    assert_eq!(mode(&key), 0o600);
    assert_eq!(fs::metadata(&key).unwrap().len(), 32);

    let client = client();
    let url = secrets_url(&service.base_url(), TEAM, "job");
    put_json(&client, &url, r#"{"a":1}"#, None).await;
    for file in secrets_files(&data) {
        assert_eq!(mode(&file), 0o600);
    }
    service.shutdown().await;

    // The same key is used after a restart, and a key readable by others is refused.
    let before = fs::read(&key).unwrap();
    start_in(&data).await.shutdown().await;
    assert_eq!(fs::read(&key).unwrap(), before);
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    let refused = vdk_control_service::start(ServiceConfig {
        data_dir: Some(data.clone()),
        ..Default::default()
    })
    .await;
    assert_eq!(refused.err().unwrap().kind(), std::io::ErrorKind::PermissionDenied);
}

#[tokio::test]
async fn nothing_readable_on_disk() {
    let dir = TempDir::new("cipher");
    let service = start_in(dir.path()).await;
    let client = client();
    let url = secrets_url(&service.base_url(), TEAM, "readable-job-name");
    let body = format!(r#"{{"password":"{SECRET_VALUE}"}}"#);
    put_json(&client, &url, &body, None).await;
    // Writing the same map again uses a new nonce.
    let first = fs::read(&secrets_files(dir.path())[0]).unwrap();
    put_json(&client, &url, &body, None).await;
    service.shutdown().await;

    let files = secrets_files(dir.path());
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().unwrap().to_str().unwrap();
    assert!(!name.contains(TEAM) && !name.contains("readable"));
    let second = fs::read(&files[0]).unwrap();
    assert_ne!(first, second);
    for file in files_in(dir.path()) {
        let content = fs::read(&file).unwrap();
        for needle in [SECRET_VALUE, "password", TEAM, "readable-job-name"] {
            assert!(
                !content.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} found in {}",
                file.display()
            );
        }
    }
}

#[tokio::test]
async fn stale_temp_files_are_removed_and_targets_stay_intact() {
    let dir = TempDir::new("atomic");
    let client = client();
    let service = start_in(dir.path()).await;
    let url = secrets_url(&service.base_url(), TEAM, "job");
    put_json(&client, &url, r#"{"old":"map"}"#, None).await;
    service.shutdown().await;

    // What a crash in the middle of a write leaves: a half-written temp file beside the target.
    let target = secrets_files(dir.path()).remove(0);
    let target_before = fs::read(&target).unwrap();
    let stale = dir.path().join(".tmp-0123456789abcdef");
    fs::write(&stale, b"half a ciphertext").unwrap();

    let service = start_in(dir.path()).await;
    assert!(!stale.exists(), "stale temp file removed at start");
    assert_eq!(fs::read(&target).unwrap(), target_before);
    let url = secrets_url(&service.base_url(), TEAM, "job");
    assert_eq!(get(&client, &url, None).await.text().await.unwrap(), r#"{"old":"map"}"#);

    // A completed write leaves no temp file behind.
    put_json(&client, &url, r#"{"new":"map"}"#, None).await;
    assert!(files_in(dir.path())
        .iter()
        .all(|p| !p.file_name().unwrap().to_string_lossy().starts_with(".tmp-")));
    service.shutdown().await;
}

#[tokio::test]
async fn swapped_or_damaged_files_are_refused_without_leaking() {
    let dir = TempDir::new("swap");
    let client = client();
    let service = start_in(dir.path()).await;
    let base = service.base_url();
    put_json(
        &client,
        &secrets_url(&base, TEAM, "a"),
        &format!(r#"{{"s":"{SECRET_VALUE}"}}"#),
        None,
    )
    .await;
    put_json(&client, &secrets_url(&base, TEAM, "b"), r#"{"s":"b"}"#, None).await;
    service.shutdown().await;

    // Copy a's file over b's: b must not serve a's secrets.
    let files = secrets_files(dir.path());
    assert_eq!(files.len(), 2);
    let contents: Vec<_> = files.iter().map(|f| fs::read(f).unwrap()).collect();
    fs::write(&files[0], &contents[1]).unwrap();
    fs::write(&files[1], &contents[0]).unwrap();

    let service = start_in(dir.path()).await;
    let base = service.base_url();
    for job in ["a", "b"] {
        let response = get(&client, &secrets_url(&base, TEAM, job), None).await;
        let body = assert_vdk_error(response, 500).await;
        assert!(!body.to_string().contains(SECRET_VALUE));
    }
    // A write replaces the damaged file.
    put_json(&client, &secrets_url(&base, TEAM, "a"), r#"{"fixed":true}"#, None).await;
    let fixed = get(&client, &secrets_url(&base, TEAM, "a"), None).await;
    assert_eq!(fixed.text().await.unwrap(), r#"{"fixed":true}"#);
    service.shutdown().await;
}
