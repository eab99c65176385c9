//! The option objects of the client and of each call.

use std::collections::BTreeMap;

use napi::bindgen_prelude::*;
use napi::ValueType;
use napi_derive::napi;

use crate::args::{clear_thrown, ArgResult, Fields};
use crate::env_data::EnvData;

/// How a {@link Leap0Client} connects. `apiKey` and `baseUrl` fall back to their
/// environment variables, as `process.env` shows them (in a worker thread, the worker's own
/// environment); every option then falls back to its default.
#[napi(object, object_to_js = false)]
pub struct ClientOptions {
    /// The API key. Default: `LEAP0_API_KEY`; without either, the constructor throws a
    /// `Leap0AuthenticationError` with code `MISSING_API_KEY`.
    pub api_key: Option<String>,
    /// The API's base URL, http or https, without credentials, query or fragment; at most
    /// 8 KiB. Default: `LEAP0_BASE_URL`, else `https://api.leap0.dev`. `client.baseUrl`
    /// shows it normalised, with a trailing `/`.
    pub base_url: Option<String>,
    /// How long each call may take in all, retries included, in seconds. Default: 300.
    pub timeout: Option<f64>,
    /// How many times a failed call is tried again when that is safe. Default: 2.
    pub max_retries: Option<u32>,
    /// The header that carries the API key. Default: `authorization`. Not one that frames
    /// the request (`host`, `content-length`, …) nor `accept`, `content-type` or
    /// `user-agent`.
    pub auth_header: Option<String>,
    /// Whether the key is sent as `Bearer <key>`. Default: true. A key that already starts
    /// with `Bearer ` is never prefixed twice.
    pub bearer: Option<bool>,
}

impl ClientOptions {
    pub(crate) fn read(value: Option<Unknown>) -> ArgResult<Self> {
        let fields = Fields::of("options", value)?;
        Ok(ClientOptions {
            api_key: fields.string("apiKey")?,
            base_url: fields.string("baseUrl")?,
            timeout: fields.seconds("timeout")?.map(|t| t.as_secs_f64()),
            max_retries: fields.count("maxRetries")?,
            auth_header: fields.string("authHeader")?,
            bearer: fields.boolean("bearer")?,
        })
    }

    pub(crate) fn builder(self) -> leap0::ClientBuilder {
        let mut builder = leap0::Client::builder()
            .user_agent_suffix(concat!("leap0-node/", env!("CARGO_PKG_VERSION")));
        if let Some(key) = self.api_key {
            builder = builder.api_key(key);
        }
        if let Some(url) = self.base_url {
            builder = builder.base_url(url);
        }
        if let Some(timeout) = self
            .timeout
            .and_then(|t| std::time::Duration::try_from_secs_f64(t).ok())
        {
            builder = builder.timeout(timeout);
        }
        if let Some(retries) = self.max_retries {
            builder = builder.max_retries(retries);
        }
        if let Some(header) = self.auth_header {
            builder = builder.auth_header(header);
        }
        if let Some(bearer) = self.bearer {
            builder = builder.bearer(bearer);
        }
        builder
    }
}

/// Options of one call; each overrides the client's setting for that call only.
#[napi(object, object_to_js = false)]
pub struct RequestOptions<'env> {
    /// How long this call may take in all, retries included, in seconds.
    pub timeout: Option<f64>,
    /// Cancels the call: it rejects with an `AbortError` (`Leap0AbortError`) and its
    /// connection is dropped. An already aborted signal rejects without sending anything;
    /// aborting before the call settles rejects it even if its answer had just arrived.
    /// Any number of calls may share one signal.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Object<'env>>,
    /// Extra headers sent with this call. Each replaces the SDK's own header of that name
    /// (`accept`, `content-type`, the key's header). Refused with `INVALID_ARGUMENT`: the
    /// headers that frame the request (`host`, `content-length`, `transfer-encoding`,
    /// `connection`, `keep-alive`, `proxy-connection`, `te`, `trailer`, `upgrade`,
    /// `expect`), and one name given twice, in any case.
    pub headers: Option<BTreeMap<String, String>>,
    /// How many times this call may be tried again when that is safe.
    pub max_retries: Option<u32>,
}

impl<'env> RequestOptions<'env> {
    pub(crate) fn read(env: &'env Env, value: Option<Unknown<'env>>) -> ArgResult<Self> {
        let fields = Fields::of("options", value)?;
        let signal = match fields.optional("signal")? {
            None => None,
            Some(signal) => Some(abort_signal(env, signal)?),
        };
        Ok(RequestOptions {
            timeout: fields.seconds("timeout")?.map(|t| t.as_secs_f64()),
            signal,
            headers: fields.string_map("headers")?,
            max_retries: fields.count("maxRetries")?,
        })
    }

    /// The options for the Rust client, and the signal to watch.
    pub(crate) fn split(self) -> (leap0::RequestOptions, Option<Object<'env>>) {
        let options = leap0::RequestOptions {
            timeout: self
                .timeout
                .and_then(|t| std::time::Duration::try_from_secs_f64(t).ok()),
            max_retries: self.max_retries,
            headers: self.headers.unwrap_or_default().into_iter().collect(),
            cancellation: None,
        };
        (options, self.signal)
    }
}

fn abort_signal<'env>(env: &'env Env, value: Unknown<'env>) -> ArgResult<Object<'env>> {
    let refused = || leap0::Error::invalid_argument("options.signal", "must be an AbortSignal");
    let is_signal: Function<Unknown, bool> =
        EnvData::helper(env, "isAbortSignal").map_err(|_| refused())?;
    let is_object = value.get_type().ok() == Some(ValueType::Object);
    if !is_object {
        return Err(refused());
    }
    let is_signal = is_signal.call(value).unwrap_or_else(|_| {
        // A proxy whose trap threw, say: not a signal this call can use.
        clear_thrown(env.raw());
        false
    });
    if !is_signal {
        return Err(refused());
    }
    // SAFETY: checked to be an object (an AbortSignal) just above.
    unsafe { value.cast::<Object>() }.map_err(|_| refused())
}
