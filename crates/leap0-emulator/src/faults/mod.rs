//! Programmable failures, served only when the emulator runs with `faults` on.
//!
//! `POST /_emulator/faults` takes
//! `{"method": "POST", "path": "<route template or exact path>", "times": N, "fault": {...}}`
//! and makes the next `N` (default 1) matching requests fail as `fault` says; rules are tried
//! in the order they were added. `DELETE /_emulator/faults` forgets all of them.

mod inject;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use crate::api::{ApiError, AppState, JsonObject};
pub use inject::inject;

/// Default size of an `oversized_body` answer: 11 MiB, past the SDK's 10 MiB cap.
const DEFAULT_OVERSIZED_BYTES: u64 = 11 * 1024 * 1024;

/// A fault as the programming request spells it.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum FaultSpec {
    Status {
        status: u16,
        #[serde(default)]
        body: Option<Value>,
        #[serde(default)]
        headers: BTreeMap<String, String>,
    },
    Delay {
        ms: u64,
    },
    StallAfterHeaders {
        #[serde(default)]
        ms: Option<u64>,
    },
    DropBeforeApply,
    DropAfterApply,
    TruncatedBody,
    OversizedBody {
        #[serde(default)]
        bytes: Option<u64>,
        #[serde(default)]
        chunked: bool,
    },
    MalformedJson {
        #[serde(default)]
        apply: bool,
    },
    Html,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    method: String,
    path: String,
    #[serde(default)]
    times: Option<u32>,
    fault: FaultSpec,
}

/// A fault ready to be served.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer this instead of running the handler.
    Status {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    },
    /// Wait, then run the handler as usual.
    Delay(Duration),
    /// 200 headers, then a body that never ends, or ends empty after the duration.
    StallAfterHeaders(Option<Duration>),
    DropBeforeApply,
    DropAfterApply,
    TruncatedBody,
    OversizedBody {
        bytes: u64,
        chunked: bool,
    },
    MalformedJson {
        apply: bool,
    },
    Html,
}

fn status_fault(
    status: u16,
    body: Option<Value>,
    headers: BTreeMap<String, String>,
) -> Result<Fault, String> {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(|status| status.as_u16() >= 200)
        .ok_or("fault.status must be an HTTP status from 200 to 999")?;
    let (content_type, body) = match body {
        Some(Value::String(raw)) => ("text/plain; charset=utf-8", Bytes::from(raw)),
        Some(json) => ("application/json", Bytes::from(json.to_string())),
        None => {
            let message = status.canonical_reason().unwrap_or("Injected fault");
            let json = serde_json::json!({ "message": message });
            ("application/json", Bytes::from(json.to_string()))
        }
    };
    let mut header_map = HeaderMap::new();
    header_map.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("fault.headers: {name:?} is not a header name"))?;
        let value = HeaderValue::from_str(&value)
            .map_err(|_| format!("fault.headers: bad value for {name}"))?;
        header_map.insert(name, value);
    }
    Ok(Fault::Status {
        status,
        headers: header_map,
        body,
    })
}

impl TryFrom<FaultSpec> for Fault {
    type Error = String;

    fn try_from(spec: FaultSpec) -> Result<Self, Self::Error> {
        Ok(match spec {
            FaultSpec::Status {
                status,
                body,
                headers,
            } => status_fault(status, body, headers)?,
            FaultSpec::Delay { ms } => Fault::Delay(Duration::from_millis(ms)),
            FaultSpec::StallAfterHeaders { ms } => {
                Fault::StallAfterHeaders(ms.map(Duration::from_millis))
            }
            FaultSpec::DropBeforeApply => Fault::DropBeforeApply,
            FaultSpec::DropAfterApply => Fault::DropAfterApply,
            FaultSpec::TruncatedBody => Fault::TruncatedBody,
            FaultSpec::OversizedBody { bytes, chunked } => {
                let bytes = bytes.unwrap_or(DEFAULT_OVERSIZED_BYTES);
                if bytes < inject::OVERSIZED_MIN_BYTES {
                    return Err(format!(
                        "fault.bytes must be at least {}",
                        inject::OVERSIZED_MIN_BYTES
                    ));
                }
                Fault::OversizedBody { bytes, chunked }
            }
            FaultSpec::MalformedJson { apply } => Fault::MalformedJson { apply },
            FaultSpec::Html => Fault::Html,
        })
    }
}

struct Rule {
    method: Method,
    path: String,
    remaining: u32,
    fault: Fault,
}

/// The programmed faults, consumed as requests match them.
#[derive(Default)]
pub struct FaultBook {
    rules: Mutex<Vec<Rule>>,
}

impl FaultBook {
    /// The fault for a request, if a rule matches its method and either its route template
    /// or its exact path; uses up one of the rule's `times`.
    pub fn take(&self, method: &Method, template: &str, path: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap_or_else(PoisonError::into_inner);
        let index = rules.iter().position(|rule| {
            rule.method == method && (rule.path == template || rule.path == path)
        })?;
        let rule = &mut rules[index];
        rule.remaining -= 1;
        let fault = rule.fault.clone();
        if rule.remaining == 0 {
            rules.remove(index);
        }
        Some(fault)
    }

    fn add(&self, rule: Rule) {
        let mut rules = self.rules.lock().unwrap_or_else(PoisonError::into_inner);
        rules.push(rule);
    }

    fn clear(&self) {
        let mut rules = self.rules.lock().unwrap_or_else(PoisonError::into_inner);
        rules.clear();
    }
}

fn parse_rule(body: serde_json::Map<String, Value>) -> Result<Rule, ApiError> {
    let spec: RuleSpec = serde_json::from_value(Value::Object(body))
        .map_err(|err| ApiError::invalid("body", err.to_string()))?;
    let method = spec
        .method
        .to_ascii_uppercase()
        .parse::<Method>()
        .map_err(|_| ApiError::invalid("method", "must be an HTTP method"))?;
    if !spec.path.starts_with('/') {
        return Err(ApiError::invalid("path", "must start with /"));
    }
    let remaining = match spec.times {
        None => 1,
        Some(0) => return Err(ApiError::invalid("times", "must be at least 1")),
        Some(times) => times,
    };
    let fault = Fault::try_from(spec.fault).map_err(|err| ApiError::invalid("fault", err))?;
    Ok(Rule {
        method,
        path: spec.path,
        remaining,
        fault,
    })
}

/// `POST /_emulator/faults`
pub async fn program(
    State(state): State<Arc<AppState>>,
    JsonObject(body): JsonObject,
) -> Result<StatusCode, ApiError> {
    let book = state
        .faults
        .as_ref()
        .ok_or(ApiError::NotFound("Not found"))?;
    book.add(parse_rule(body)?);
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /_emulator/faults`
pub async fn clear(State(state): State<Arc<AppState>>) -> Result<StatusCode, ApiError> {
    let book = state
        .faults
        .as_ref()
        .ok_or(ApiError::NotFound("Not found"))?;
    book.clear();
    Ok(StatusCode::NO_CONTENT)
}
