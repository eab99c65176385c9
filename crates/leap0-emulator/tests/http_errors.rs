//! Authentication and the error answers: 400 field lists, 401, 404, 405, 413.

mod common;

use common::{fields, raw, raw_request, start};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn both_auth_headers_are_accepted() {
    let (_emulator, api) = start().await;
    let url = format!("{}/v1/sandboxes", api.base);
    let headers = [
        ("authorization", format!("Bearer {}", api.key)),
        ("leap0-authorization", api.key.clone()),
        ("leap0-authorization", format!("Bearer {}", api.key)),
    ];
    for (name, value) in headers {
        let response = api.http.get(&url).header(name, value).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{name}");
    }
}

#[tokio::test]
async fn missing_or_wrong_keys_are_401_before_anything_else() {
    let (_emulator, api) = start().await;
    let wrong = format!("{}x", api.key);
    let attempts = [
        (None, "/v1/sandboxes"),
        (
            Some(("authorization", format!("Bearer {wrong}"))),
            "/v1/sandboxes",
        ),
        (Some(("authorization", api.key.clone())), "/v1/sandboxes"),
        (
            Some(("leap0-authorization", wrong.clone())),
            "/v1/sandboxes",
        ),
        (None, "/no/such/path"),
        (None, "/_emulator/state"),
    ];
    for (header, path) in attempts {
        let mut request = api.http.get(format!("{}{path}", api.base));
        if let Some((name, value)) = header.clone() {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{header:?} {path}"
        );
        let body: Value = response.json().await.unwrap();
        assert!(body["message"].is_string());
    }
    let response = api
        .http
        .post(format!("{}/v1/sandbox/", api.base))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn each_bad_create_field_is_named() {
    let (_emulator, api) = start().await;
    let cases = [
        (json!({}), "template_name"),
        (json!({"template_name": 7}), "template_name"),
        (json!({"template_name": ""}), "template_name"),
        (json!({"template_name": "t", "vcpu": 0}), "vcpu"),
        (json!({"template_name": "t", "vcpu": 9}), "vcpu"),
        (json!({"template_name": "t", "vcpu": "2"}), "vcpu"),
        (json!({"template_name": "t", "vcpu": 1.5}), "vcpu"),
        (json!({"template_name": "t", "memory": 511}), "memory"),
        (json!({"template_name": "t", "memory": 1025}), "memory"),
        (json!({"template_name": "t", "memory": 8194}), "memory"),
        (json!({"template_name": "t", "timeout": 0}), "timeout"),
        (json!({"template_name": "t", "timeout": 28801}), "timeout"),
        (
            json!({"template_name": "t", "auto_pause": "yes"}),
            "auto_pause",
        ),
        (
            json!({"template_name": "t", "env_vars": ["A=b"]}),
            "env_vars",
        ),
        (
            json!({"template_name": "t", "env_vars": {"A": 1}}),
            "env_vars",
        ),
        (
            json!({"template_name": "t", "env_vars": {"A=B": "c"}}),
            "env_vars",
        ),
        (
            json!({"template_name": "t", "network_policy": "open"}),
            "network_policy",
        ),
        (
            json!({"template_name": "t", "network_policy": {}}),
            "network_policy",
        ),
        (
            json!({"template_name": "t",
                "network_policy": {"mode": "custom", "allow_cidrs": "x"}}),
            "network_policy",
        ),
        (json!({"template_name": "t", "mounts": {}}), "mounts"),
        (
            json!({"template_name": "t", "mounts": [{"type": "nfs"}]}),
            "mounts",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = api.post("/v1/sandbox/", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let named = fields(&answer);
        assert!(named.iter().all(|f| f == field), "{body}: {named:?}");
        assert!(answer["errors"][0]["error"].is_string());
    }
}

#[tokio::test]
async fn all_bad_fields_come_back_at_once() {
    let (_emulator, api) = start().await;
    let body = json!({"vcpu": 0, "memory": 3, "timeout": -1, "auto_pause": 1,
        "env_vars": 2, "network_policy": 3, "mounts": 4});

    let (status, answer) = api.post("/v1/sandbox/", body).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    let expected = [
        "template_name",
        "vcpu",
        "memory",
        "timeout",
        "auto_pause",
        "env_vars",
        "network_policy",
        "mounts",
    ];
    assert_eq!(fields(&answer), expected);
}

#[tokio::test]
async fn malformed_and_non_object_bodies_are_body_errors() {
    let (_emulator, api) = start().await;
    let sandbox = api.sandbox().await;
    let validate = format!("/v1/sandbox/{sandbox}/ssh/anyone/validate");
    for path in ["/v1/sandbox/", validate.as_str()] {
        for body in ["{\"template_name\": ", "[1, 2]", "\"text\"", "", "null"] {
            let request = api.request(Method::POST, path).body(body);
            let (status, answer) = api.send(request).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}");
            assert_eq!(fields(&answer), ["body"]);
        }
    }
}

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405() {
    let (_emulator, api) = start().await;

    let (status, body) = api.get("/v2/elsewhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["message"].is_string());
    let (status, _) = api.get("/_emulator/faults").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let response = api
        .request(Method::PUT, "/v1/sandboxes")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(response.headers().contains_key("allow"));
    let (status, body) = api.send(api.request(Method::GET, "/v1/sandbox/")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn bodies_over_10_mib_are_413() {
    let (emulator, api) = start().await;
    let big = format!(
        "{{\"template_name\": \"{}\"}}",
        "x".repeat(10 * 1024 * 1024)
    );

    let (status, body) = api
        .send(api.request(Method::POST, "/v1/sandbox/").body(big))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["message"].is_string());

    // Declared too large: refused from the headers alone, without waiting for the body.
    let head = format!(
        "POST /v1/sandbox/ HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-length: 20000000\r\n\r\n",
        api.key
    );
    let answer = String::from_utf8(raw(emulator.http_addr(), head.as_bytes()).await).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    let just_under = format!(
        "{{\"template_name\": \"{}\"}}",
        "x".repeat(10 * 1024 * 1000)
    );
    let request = raw_request("POST", "/v1/sandbox/", &api.key, &just_under);
    let answer = String::from_utf8(raw(emulator.http_addr(), &request).await).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{}", &answer[..40]);
}
