//! The secrets of every job deployment: an in-memory cache in front of an optional
//! [`DiskStore`], with one lock per job so that writes to a job are serialized while different
//! jobs proceed in parallel.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::disk::DiskStore;
use crate::identity::JobIdentity;

/// A job's compact JSON object, or `None` while not yet read from disk.
type Slot = Arc<tokio::sync::Mutex<Option<Bytes>>>;

pub struct SecretsStore {
    slots: Mutex<HashMap<JobIdentity, Slot>>,
    disk: Option<Arc<DiskStore>>,
}

const EMPTY_OBJECT: &[u8] = b"{}";

impl SecretsStore {
    pub fn new(disk: Option<DiskStore>) -> Self {
        SecretsStore {
            slots: Mutex::new(HashMap::new()),
            disk: disk.map(Arc::new),
        }
    }

    fn slot(&self, id: &JobIdentity) -> Slot {
        self.slots.lock().unwrap().entry(id.clone()).or_default().clone()
    }

    /// The job's secrets as compact JSON; `{}` when nothing is stored.
    pub async fn get(&self, id: &JobIdentity) -> io::Result<Bytes> {
        let slot = self.slot(id);
        let mut cached = slot.lock().await;
        if let Some(json) = &*cached {
            return Ok(json.clone());
        }
        let loaded = match &self.disk {
            None => None,
            Some(disk) => {
                let (disk, id) = (disk.clone(), id.clone());
                tokio::task::spawn_blocking(move || disk.load(&id)).await??
            }
        };
        let json = loaded.map_or_else(|| Bytes::from_static(EMPTY_OBJECT), Bytes::from);
        *cached = Some(json.clone());
        Ok(json)
    }

    /// Replaces the job's secrets with `json` (a compact JSON object).
    pub async fn put(&self, id: &JobIdentity, json: Bytes) -> io::Result<()> {
        let slot = self.slot(id);
        let Some(disk) = self.disk.clone() else {
            *slot.lock().await = Some(json);
            return Ok(());
        };
        let id = id.clone();
        // Run in a task of its own: if the client goes away mid-write, the handler's future is
        // dropped, but the disk write and the cache update still happen together, so the cache
        // never disagrees with the disk.
        tokio::spawn(async move {
            let mut cached = slot.lock_owned().await;
            let to_write = json.clone();
            tokio::task::spawn_blocking(move || disk.save(&id, &to_write)).await??;
            *cached = Some(json);
            Ok(())
        })
        .await?
    }
}
