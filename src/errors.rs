//! Errors as JavaScript sees them: one class per kind of failure, each a real `Error`.
//!
//! A native class cannot extend `Error`, so the classes are written in `js/helpers.js`. The
//! placeholder classes below exist for two reasons only: their declarations put the names in
//! `index.d.ts` (where `js/header.d.ts` merges in `extends Error` and the fields), and they
//! make the generated loader export the names, so ESM named imports find them. At load,
//! `install` replaces each placeholder on the exports with the real class.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::env_data::EnvData;

macro_rules! error_class {
    // Docs come as plain `#[doc = "…"]` literals: napi's type generator copies the literal's
    // text, so `///` lines (raw strings once inside a macro) would arrive garbled.
    ($(#[doc = $doc:literal])* $name:ident) => {
        $(#[doc = $doc])*
        #[napi]
        pub struct $name {}

        #[napi]
        impl $name {
            /// Builds an error, as the SDK does; useful to fake one in a test.
            #[napi(constructor, ts_args_type = "message: string, options?: Leap0ErrorOptions")]
            pub fn new() -> Self {
                $name {}
            }
        }
    };
}

error_class! {
    #[doc = " Every failure of a leap0 call rejects with a `Leap0Error`: `code` says what"]
    #[doc = " kind, and `statusCode`, `body` and `message` carry what the server answered."]
    Leap0Error
}
error_class! {
    #[doc = " A request refused for its content: by the server (400, `code`"]
    #[doc = " `VALIDATION_ERROR`) or by the client before sending (`code`"]
    #[doc = " `INVALID_ARGUMENT`). `errors` lists the fields."]
    Leap0ValidationError
}
error_class! {
    #[doc = " The API key was refused (401, `AUTHENTICATION_ERROR`) or there is none"]
    #[doc = " (`MISSING_API_KEY`)."]
    Leap0AuthenticationError
}
error_class! {
    #[doc = " The API key may not do this (403, `PERMISSION_DENIED`)."]
    Leap0PermissionError
}
error_class! {
    #[doc = " No such sandbox or SSH credential (404, `NOT_FOUND`)."]
    Leap0NotFoundError
}
error_class! {
    #[doc = " The request conflicts with the current state, such as the sandbox limit (409,"]
    #[doc = " `CONFLICT`)."]
    Leap0ConflictError
}
error_class! {
    #[doc = " Too many requests (429, `RATE_LIMITED`); `retryAfter` is the wait the server"]
    #[doc = " asked for, in seconds."]
    Leap0RateLimitError
}
error_class! {
    #[doc = " The service failed (5xx, `SERVER_ERROR`)."]
    Leap0ServerError
}
error_class! {
    #[doc = " The call did not finish within its `timeout` (`TIMEOUT`)."]
    Leap0TimeoutError
}
error_class! {
    #[doc = " The connection failed or dropped before an answer arrived"]
    #[doc = " (`CONNECTION_ERROR`)."]
    Leap0ConnectionError
}
error_class! {
    #[doc = " The call was cancelled through its `signal`; its `name` is `AbortError` and"]
    #[doc = " its `cause` the signal's reason (`ABORTED`)."]
    Leap0AbortError
}

/// Puts the real classes on the module's exports in place of the placeholders.
pub(crate) fn install(exports: &mut Object, classes: &Object) -> Result<()> {
    for name in Object::keys(classes)? {
        let class: Unknown = classes.get_named_property(&name)?;
        exports.set_named_property(&name, class)?;
    }
    Ok(())
}

/// The class and stable `code` an error of this kind rejects with.
fn class_and_code(kind: leap0::ErrorKind) -> (&'static str, &'static str) {
    use leap0::ErrorKind as K;
    match kind {
        K::InvalidArgument => ("Leap0ValidationError", "INVALID_ARGUMENT"),
        K::MissingApiKey => ("Leap0AuthenticationError", "MISSING_API_KEY"),
        K::Validation => ("Leap0ValidationError", "VALIDATION_ERROR"),
        K::Authentication => ("Leap0AuthenticationError", "AUTHENTICATION_ERROR"),
        K::Permission => ("Leap0PermissionError", "PERMISSION_DENIED"),
        K::NotFound => ("Leap0NotFoundError", "NOT_FOUND"),
        K::Conflict => ("Leap0ConflictError", "CONFLICT"),
        K::RateLimit => ("Leap0RateLimitError", "RATE_LIMITED"),
        K::Server => ("Leap0ServerError", "SERVER_ERROR"),
        K::UnexpectedStatus => ("Leap0Error", "UNEXPECTED_STATUS"),
        K::InvalidResponse => ("Leap0Error", "INVALID_RESPONSE"),
        K::ResponseTooLarge => ("Leap0Error", "RESPONSE_TOO_LARGE"),
        K::Timeout => ("Leap0TimeoutError", "TIMEOUT"),
        K::Connection => ("Leap0ConnectionError", "CONNECTION_ERROR"),
        K::Aborted => ("Leap0AbortError", "ABORTED"),
        K::Closed => ("Leap0Error", "CLIENT_CLOSED"),
        _ => ("Leap0Error", "LEAP0_ERROR"),
    }
}

/// The fields of the JavaScript error, in the shape `Leap0ErrorOptions` declares.
fn error_options(error: &leap0::Error, code: &str) -> serde_json::Value {
    let mut options = serde_json::json!({
        "code": code,
        "retryable": error.is_retryable(),
    });
    if let Some(status) = error.status() {
        options["statusCode"] = status.into();
    }
    if let Some(body) = error.body() {
        options["body"] = body.clone();
    }
    if !error.field_errors().is_empty() || error.kind() == leap0::ErrorKind::Validation {
        let fields: Vec<serde_json::Value> = error
            .field_errors()
            .iter()
            .map(|f| serde_json::json!({ "field": f.field, "error": f.error }))
            .collect();
        options["errors"] = fields.into();
    }
    if let Some(wait) = error.retry_after() {
        options["retryAfter"] = wait.as_secs_f64().into();
    }
    options
}

/// The source chain, one cause a line, for the error's `cause`.
fn cause_text(error: &leap0::Error) -> Option<String> {
    let mut lines = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        lines.push(cause.to_string());
        source = cause.source();
    }
    (!lines.is_empty()).then(|| lines.join("\n  caused by: "))
}

/// What `new` of a class only the client hands out throws: a `Leap0ValidationError` saying
/// where to get one. The class is declared with a `never` argument, so TypeScript refuses the
/// call too.
pub(crate) fn not_constructible(env: &Env, class: &str, instead: &str) -> Error {
    let reason = format!("cannot be constructed; use {instead}");
    to_js(env, &leap0::Error::invalid_argument(class, reason), None)
}

/// Builds the JavaScript error for `error`, as a `napi::Error` that rejects or throws with
/// exactly that object. `abort_reason` is the signal's reason, for a cancelled call.
pub(crate) fn to_js(env: &Env, error: &leap0::Error, abort_reason: Option<Unknown>) -> Error {
    match to_js_value(env, error, abort_reason) {
        Ok(js_error) => Error::from(js_error),
        // Only reachable while the environment is shutting down; a plain error still says what
        // failed.
        Err(_) => Error::new(Status::GenericFailure, error.to_string()),
    }
}

/// `createError(className, message, options, causeText, abortReason)` of helpers.js.
type CreateError<'env> = Function<
    'env,
    FnArgs<(
        &'static str,
        String,
        Unknown<'env>,
        Unknown<'env>,
        Unknown<'env>,
    )>,
    Unknown<'env>,
>;

/// The JavaScript error object for `error`.
pub(crate) fn to_js_value<'env>(
    env: &'env Env,
    error: &leap0::Error,
    abort_reason: Option<Unknown<'env>>,
) -> Result<Unknown<'env>> {
    let (class, code) = class_and_code(error.kind());
    let options = env.to_js_value(&error_options(error, code))?;
    let cause = match cause_text(error) {
        Some(text) => env.create_string(&text)?.to_unknown(),
        None => Null.into_unknown(env)?,
    };
    let abort_reason = match abort_reason {
        Some(reason) => reason,
        None => Undefined::default().into_unknown(env)?,
    };
    let create: CreateError = EnvData::helper(env, "createError")?;
    create.call(FnArgs::from((
        class,
        error.to_string(),
        options,
        cause,
        abort_reason,
    )))
}
