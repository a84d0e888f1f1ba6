//! Raw HTTP helpers for the emulator's tests (no client crate: these test the server itself).

#![allow(dead_code, missing_docs)]

use opencloud_core::http;
use opencloud_emulator::{BackgroundEmulator, EmulatorConfig};
use serde_json::Value;

pub const KEY: &str = opencloud_emulator::DEV_API_KEY;

pub struct Http {
    pub em: BackgroundEmulator,
    agent: ureq::Agent,
    pub key: Option<String>,
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: http::HeaderMap,
}

impl Http {
    pub fn start(config: EmulatorConfig) -> Self {
        let em = BackgroundEmulator::start(config).expect("emulator starts");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            em,
            agent,
            key: Some(KEY.to_string()),
        }
    }

    pub fn unthrottled() -> Self {
        Self::start(EmulatorConfig::unthrottled())
    }

    pub fn with_key(&self, key: Option<&str>) -> Http2<'_> {
        Http2 {
            http: self,
            key: key.map(String::from),
        }
    }

    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.send(
            self.key.as_deref(),
            method,
            path,
            body.map(|b| b.to_string()),
            true,
        )
    }

    pub fn send(
        &self,
        key: Option<&str>,
        method: &str,
        path: &str,
        body: Option<String>,
        json_type: bool,
    ) -> Reply {
        let mut b =
            http::Request::builder()
                .method(method)
                .uri(format!("{}{}", self.em.base_url(), path));
        if let Some(k) = key {
            b = b.header("x-api-key", k);
        }
        let body = match body {
            Some(s) => {
                if json_type {
                    b = b.header("content-type", "application/json");
                }
                s.into_bytes()
            }
            None => Vec::new(),
        };
        self.run(b.body(body).unwrap())
    }

    fn run(&self, req: http::Request<Vec<u8>>) -> Reply {
        let mut resp = self.agent.run(req).expect("the emulator answers");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            body,
            text,
            headers,
        }
    }

    /// A request with exactly these headers (besides the key) and body bytes.
    pub fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut b =
            http::Request::builder()
                .method(method)
                .uri(format!("{}{}", self.em.base_url(), path));
        if let Some(k) = &self.key {
            b = b.header("x-api-key", k);
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.run(b.body(body.to_vec()).unwrap())
    }

    pub fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None)
    }
    pub fn post(&self, path: &str, body: Value) -> Reply {
        self.call("POST", path, Some(body))
    }
    pub fn patch(&self, path: &str, body: Value) -> Reply {
        self.call("PATCH", path, Some(body))
    }
    pub fn delete(&self, path: &str) -> Reply {
        self.call("DELETE", path, None)
    }

    /// A control-plane call.
    pub fn control(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.send(None, method, path, body.map(|b| b.to_string()), true)
    }
}

pub struct Http2<'a> {
    http: &'a Http,
    key: Option<String>,
}

impl Http2<'_> {
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.http.send(
            self.key.as_deref(),
            method,
            path,
            body.map(|b| b.to_string()),
            true,
        )
    }
}

/// Asserts a status and the v2 error code in the body.
#[track_caller]
pub fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "body: {}", r.text);
    assert_eq!(r.body["code"], code, "body: {}", r.text);
    assert!(
        r.body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message: {}",
        r.text
    );
}

/// Asserts a status and the legacy v1 standard error body with its `datastoreErrorCode`.
#[track_caller]
pub fn assert_v1_error(r: &Reply, status: u16, error: &str, datastore_code: &str) {
    assert_eq!(r.status, status, "body: {}", r.text);
    assert_eq!(r.body["error"], error, "body: {}", r.text);
    assert!(
        r.body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message: {}",
        r.text
    );
    assert_eq!(
        r.body["errorDetails"][0]["errorDetailType"], "DatastoreErrorInfo",
        "body: {}",
        r.text
    );
    assert_eq!(
        r.body["errorDetails"][0]["datastoreErrorCode"], datastore_code,
        "body: {}",
        r.text
    );
}

impl Reply {
    /// A header as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub const E: &str = "/cloud/v2/universes/1/data-stores/Inv/entries";
pub const SE: &str = "/cloud/v2/universes/1/data-stores/Inv/scopes/s1/entries";
pub const O: &str = "/cloud/v2/universes/1/ordered-data-stores/Scores/scopes/global/entries";
