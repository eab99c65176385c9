//! Validation of the nested parts of a sandbox request: `env_vars`, `network_policy` and
//! `mounts`. Each returns messages that name the offending sub-field.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::{Map, Value};

use super::validation::optional;
use crate::state::MountSpec;

const MODES: [&str; 3] = ["allow-all", "deny-all", "custom"];

/// `env_vars`: an object of strings. Names and values end up in a process environment, which
/// cannot hold `=` in a name or NUL anywhere.
pub fn env_vars(value: &Value) -> Result<BTreeMap<String, String>, String> {
    let object = value.as_object().ok_or("must be an object of strings")?;
    let mut env = BTreeMap::new();
    for (name, value) in object {
        let value = value.as_str().ok_or("must be an object of strings")?;
        if name.is_empty() || name.contains(['=', '\0']) {
            return Err(format!("{name:?} is not a valid variable name"));
        }
        if value.contains('\0') {
            return Err(format!("value of {name:?} contains a NUL character"));
        }
        env.insert(name.clone(), value.to_owned());
    }
    Ok(env)
}

fn string_list(
    object: &Map<String, Value>,
    field: &str,
    max: usize,
    errors: &mut Vec<String>,
) -> Vec<String> {
    let Some(value) = optional(object, field) else {
        return Vec::new();
    };
    let items: Option<Vec<String>> = value.as_array().and_then(|items| {
        items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect()
    });
    match items {
        Some(items) if items.len() <= max => items,
        Some(_) => {
            errors.push(format!("{field} may hold at most {max} entries"));
            Vec::new()
        }
        None => {
            errors.push(format!("{field} must be an array of strings"));
            Vec::new()
        }
    }
}

fn is_cidr(text: &str) -> bool {
    let Some((addr, bits)) = text.split_once('/') else {
        return false;
    };
    let (Ok(addr), Ok(bits)) = (addr.parse::<IpAddr>(), bits.parse::<u8>()) else {
        return false;
    };
    bits <= if addr.is_ipv4() { 32 } else { 128 }
}

fn transform(index: usize, value: &Value, errors: &mut Vec<String>) {
    let Some(rule) = value.as_object() else {
        errors.push(format!("transforms[{index}] must be an object"));
        return;
    };
    match rule.get("domain") {
        Some(Value::String(domain)) if !domain.is_empty() => {}
        _ => errors.push(format!(
            "transforms[{index}].domain must be a non-empty string"
        )),
    }
    if let Some(headers) = optional(rule, "inject_headers") {
        let all_strings = headers
            .as_object()
            .is_some_and(|headers| headers.values().all(Value::is_string));
        if !all_strings {
            errors.push(format!(
                "transforms[{index}].inject_headers must be an object of strings"
            ));
        }
    }
    let mut inner = Vec::new();
    string_list(rule, "strip_headers", usize::MAX, &mut inner);
    errors.extend(
        inner
            .into_iter()
            .map(|e| format!("transforms[{index}].{e}")),
    );
}

/// `network_policy`: a `NetworkPolicy` object (`null` is handled by the caller).
pub fn network_policy(value: &Value) -> Result<(), Vec<String>> {
    let Some(policy) = value.as_object() else {
        return Err(vec!["must be an object".into()]);
    };
    let mut errors = Vec::new();
    match policy.get("mode").and_then(Value::as_str) {
        Some(mode) if MODES.contains(&mode) => {}
        _ => errors.push(format!("mode must be one of {}", MODES.join(", "))),
    }
    string_list(policy, "allow_domains", 50, &mut errors);
    let cidrs = string_list(policy, "allow_cidrs", 10, &mut errors);
    for bad in cidrs.iter().filter(|cidr| !is_cidr(cidr)) {
        errors.push(format!("allow_cidrs entry {bad:?} is not a CIDR range"));
    }
    if let Some(transforms) = optional(policy, "transforms") {
        match transforms.as_array() {
            Some(rules) if rules.len() <= 20 => {
                for (index, rule) in rules.iter().enumerate() {
                    transform(index, rule, &mut errors);
                }
            }
            Some(_) => errors.push("transforms may hold at most 20 entries".into()),
            None => errors.push("transforms must be an array".into()),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn mount(index: usize, value: &Value, errors: &mut Vec<String>) -> Option<MountSpec> {
    let Some(mount) = value.as_object() else {
        errors.push(format!("[{index}] must be an object"));
        return None;
    };
    let before = errors.len();
    let text = |field: &str| mount.get(field).and_then(Value::as_str).map(str::to_owned);
    if text("type").as_deref() != Some("object-storage") {
        errors.push(format!("[{index}].type must be object-storage"));
    }
    let bucket = text("bucket").filter(|bucket| !bucket.is_empty());
    if bucket.is_none() {
        errors.push(format!("[{index}].bucket must be a non-empty string"));
    }
    let mount_path = text("mount_path").filter(|path| path.starts_with('/'));
    if mount_path.is_none() {
        errors.push(format!("[{index}].mount_path must be an absolute path"));
    }
    let endpoint =
        text("endpoint").filter(|url| url.starts_with("https://") || url.starts_with("http://"));
    if endpoint.is_none() {
        errors.push(format!("[{index}].endpoint must be an http(s) URL"));
    }
    let prefix = match optional(mount, "prefix") {
        None => None,
        Some(Value::String(prefix)) if prefix.ends_with('/') => Some(prefix.clone()),
        Some(_) => {
            errors.push(format!("[{index}].prefix must be a string ending with /"));
            None
        }
    };
    match optional(mount, "read_only") {
        None | Some(Value::Bool(true)) => {}
        Some(_) => errors.push(format!("[{index}].read_only: object storage is read-only")),
    }
    for secret in ["access_key_id", "secret_access_key"] {
        if optional(mount, secret).is_some_and(|value| !value.is_string()) {
            errors.push(format!("[{index}].{secret} must be a string"));
        }
    }
    if errors.len() > before {
        return None;
    }
    Some(MountSpec {
        bucket: bucket?,
        mount_path: mount_path?,
        prefix,
        read_only: true,
    })
}

/// `mounts`: at most 8 `MountRequest` objects. Credentials are checked, then dropped.
pub fn mounts(value: &Value) -> Result<Vec<MountSpec>, Vec<String>> {
    let items = match value.as_array() {
        Some(items) if items.len() <= 8 => items,
        Some(_) => return Err(vec!["may hold at most 8 mounts".into()]),
        None => return Err(vec!["must be an array".into()]),
    };
    let mut errors = Vec::new();
    let specs: Vec<MountSpec> = items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| mount(index, item, &mut errors))
        .collect();
    if errors.is_empty() {
        Ok(specs)
    } else {
        Err(errors)
    }
}
