//! Hand validation of request bodies and queries, so that every wrong field is reported,
//! by name, in one answer.

use serde_json::{Map, Value};

use super::errors::{ApiError, FieldError};
use super::policy;
use crate::state::{ListQuery, Order, SandboxSpec, SandboxState, SortKey};

/// Collects field errors while a request is checked.
#[derive(Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: &str, error: impl Into<String>) {
        self.0.push(FieldError::new(field, error));
    }

    pub fn into_result<T>(self, value: T) -> Result<T, ApiError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::Invalid(self.0))
        }
    }
}

/// An optional field: absent and `null` both mean "use the default".
pub fn optional<'a>(body: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    body.get(field).filter(|value| !value.is_null())
}

fn integer_in(
    body: &Map<String, Value>,
    field: &str,
    min: i64,
    max: i64,
    problems: &mut Problems,
) -> Option<i64> {
    let value = optional(body, field)?;
    match value.as_i64() {
        Some(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            problems.add(field, format!("must be an integer between {min} and {max}"));
            None
        }
    }
}

/// The body of `POST /v1/sandbox/`.
pub fn sandbox_spec(body: &Map<String, Value>) -> Result<SandboxSpec, ApiError> {
    let mut problems = Problems::default();
    let mut spec = SandboxSpec::default();

    match optional(body, "template_name") {
        Some(Value::String(name)) if !name.trim().is_empty() => spec.template_id = name.clone(),
        Some(Value::String(_)) => problems.add("template_name", "must not be empty"),
        Some(_) => problems.add("template_name", "must be a string"),
        None => problems.add("template_name", "is required"),
    }
    if let Some(vcpu) = integer_in(body, "vcpu", 1, 8, &mut problems) {
        spec.vcpu = vcpu as u32;
    }
    if let Some(memory) = integer_in(body, "memory", 512, 8192, &mut problems) {
        if memory % 2 == 0 {
            spec.memory = memory as u32;
        } else {
            problems.add("memory", "must be an even number of MiB");
        }
    }
    if let Some(timeout) = integer_in(body, "timeout", 1, 28_800, &mut problems) {
        spec.timeout = timeout as u32;
    }
    match optional(body, "auto_pause") {
        Some(Value::Bool(auto_pause)) => spec.auto_pause = *auto_pause,
        Some(_) => problems.add("auto_pause", "must be a boolean"),
        None => {}
    }
    if let Some(value) = optional(body, "env_vars") {
        match policy::env_vars(value) {
            Ok(env_vars) => spec.env_vars = env_vars,
            Err(error) => problems.add("env_vars", error),
        }
    }
    if let Some(value) = optional(body, "network_policy") {
        match policy::network_policy(value) {
            Ok(()) => spec.network_policy = Some(value.clone()),
            Err(errors) => errors
                .into_iter()
                .for_each(|error| problems.add("network_policy", error)),
        }
    }
    if let Some(value) = optional(body, "mounts") {
        match policy::mounts(value) {
            Ok(mounts) => spec.mounts = mounts,
            Err(errors) => errors
                .into_iter()
                .for_each(|error| problems.add("mounts", error)),
        }
    }
    problems.into_result(spec)
}

/// The body of `POST /v1/sandbox/{sandboxID}/ssh/{sshID}/validate`: its `password`.
pub fn password(body: &Map<String, Value>) -> Result<String, ApiError> {
    match body.get("password") {
        Some(Value::String(password)) => Ok(password.clone()),
        Some(Value::Null) | None => Err(ApiError::invalid("password", "is required")),
        Some(_) => Err(ApiError::invalid("password", "must be a string")),
    }
}

fn page_number(text: &str, max: usize) -> Option<usize> {
    text.parse::<usize>().ok().filter(|n| (1..=max).contains(n))
}

/// The query of `GET /v1/sandboxes`. Unknown parameters are ignored; of repeated ones the
/// last counts.
pub fn list_query(raw: Option<&str>) -> Result<ListQuery, ApiError> {
    let mut problems = Problems::default();
    let mut query = ListQuery::default();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "state" => match SandboxState::parse(&value) {
                Some(state) => query.state = Some(state),
                None => {
                    let states: Vec<_> = SandboxState::ALL.iter().map(|s| s.as_str()).collect();
                    problems.add("state", format!("must be one of {}", states.join(", ")));
                }
            },
            "sort" => match value.as_ref() {
                "created_at" => query.sort = SortKey::CreatedAt,
                "state" => query.sort = SortKey::State,
                _ => problems.add("sort", "must be one of created_at, state"),
            },
            "order-by" => match value.as_ref() {
                "asc" => query.order = Order::Asc,
                "desc" => query.order = Order::Desc,
                _ => problems.add("order-by", "must be one of asc, desc"),
            },
            "page" => match page_number(&value, usize::MAX) {
                Some(page) => query.page = page,
                None => problems.add("page", "must be an integer of at least 1"),
            },
            "page-size" => match page_number(&value, 100) {
                Some(size) => query.page_size = size,
                None => problems.add("page-size", "must be an integer between 1 and 100"),
            },
            _ => {}
        }
    }
    problems.into_result(query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn defaults_follow_the_contract() {
        let spec = sandbox_spec(&object(json!({"template_name": "t"}))).unwrap();
        assert_eq!((spec.vcpu, spec.memory, spec.timeout), (1, 1024, 300));
        assert!(!spec.auto_pause);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let body = json!({"vcpu": 2.5, "memory": 513, "timeout": 0, "auto_pause": "no"});
        let err = sandbox_spec(&object(body)).unwrap_err();
        assert_eq!(
            fields(err),
            ["template_name", "vcpu", "memory", "timeout", "auto_pause"]
        );
    }

    #[test]
    fn list_query_rejects_each_bad_parameter() {
        let err = list_query(Some("state=gone&sort=x&order-by=up&page=0&page-size=101"));
        assert_eq!(
            fields(err.unwrap_err()),
            ["state", "sort", "order-by", "page", "page-size"]
        );
        let query = list_query(Some("state=running&order-by=asc&page=2&page-size=5")).unwrap();
        assert_eq!(query.state, Some(SandboxState::Running));
        assert_eq!(
            (query.order, query.page, query.page_size),
            (Order::Asc, 2, 5)
        );
    }
}
