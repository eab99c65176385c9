//! Building a [`Client`]: options resolved explicit > environment > default.

use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::proxy::ProxyEnv;
use crate::transport::FRAMING_HEADERS;
use crate::Client;

/// Where the client sends requests when neither the builder nor `LEAP0_BASE_URL` says.
pub const DEFAULT_BASE_URL: &str = "https://api.leap0.dev";
/// How long a call may take, retries included, unless the builder or the call says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// How many times a failed call is tried again, unless the builder or the call says otherwise.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The header that carries the API key unless the builder names another.
pub const DEFAULT_AUTH_HEADER: &str = "authorization";
/// The environment variable read for the API key.
pub const API_KEY_ENV: &str = "LEAP0_API_KEY";
/// The environment variable read for the base URL.
pub const BASE_URL_ENV: &str = "LEAP0_BASE_URL";

/// Configures and builds a [`Client`]. Setters never fail; the first bad value is reported by
/// [`ClientBuilder::build`].
#[derive(Clone, Default)]
pub struct ClientBuilder {
    api_key: Option<String>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    max_retries: Option<u32>,
    auth_header: Option<String>,
    bearer: Option<bool>,
    user_agent_suffix: Option<String>,
    proxy_loopback: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("auth_header", &self.auth_header)
            .field("bearer", &self.bearer)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("proxy_loopback", &self.proxy_loopback)
            .finish()
    }
}

impl ClientBuilder {
    /// A builder with nothing set: everything comes from the environment or the defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The API key. Default: `LEAP0_API_KEY`; without either, `build` fails.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The API's base URL, http or https. Default: `LEAP0_BASE_URL`, else
    /// [`DEFAULT_BASE_URL`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// How long each call may take in all, retries included. Default: 300 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How many times a failed call is tried again when that is safe. Default: 2.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }

    /// The header that carries the API key. Default: `authorization`.
    pub fn auth_header(mut self, name: impl Into<String>) -> Self {
        self.auth_header = Some(name.into());
        self
    }

    /// Whether the key is sent as `Bearer <key>`. Default: true. A key that already starts
    /// with `Bearer ` is sent as it is.
    pub fn bearer(mut self, bearer: bool) -> Self {
        self.bearer = Some(bearer);
        self
    }

    /// Text appended to the `User-Agent`, such as the binding that wraps this client.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Whether requests to a loopback host (`localhost`, `127.0.0.0/8`, `::1`) may go
    /// through a proxy named by `HTTP_PROXY`, `HTTPS_PROXY` or `ALL_PROXY`. Default: false,
    /// they go direct, since a proxy cannot reach this machine's loopback; `NO_PROXY` is
    /// honoured either way.
    pub fn proxy_loopback(mut self, proxy_loopback: bool) -> Self {
        self.proxy_loopback = proxy_loopback;
        self
    }

    /// Checks every option and builds the client, with its one HTTP connection pool. Reads
    /// `LEAP0_API_KEY`, `LEAP0_BASE_URL` and the proxy variables (`HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, or their lower-case forms) once, now.
    pub fn build(self) -> Result<Client> {
        self.build_with_env(|name| std::env::var(name).ok())
    }

    /// Like [`ClientBuilder::build`], with the environment read through `env` instead of the
    /// process's: for tests, and for hosts that keep an environment of their own.
    pub fn build_with_env(self, env: impl Fn(&str) -> Option<String>) -> Result<Client> {
        Client::from_settings(self.resolve(env)?)
    }

    pub(crate) fn resolve(self, env: impl Fn(&str) -> Option<String>) -> Result<Settings> {
        let api_key = self
            .api_key
            .or_else(|| env(API_KEY_ENV))
            .filter(|key| !without_bearer(key.trim()).trim().is_empty())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::MissingApiKey,
                    format!("no API key: pass apiKey or set {API_KEY_ENV}"),
                )
            })?;
        let base_url = self
            .base_url
            .or_else(|| env(BASE_URL_ENV).filter(|url| !url.trim().is_empty()))
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let base_url = parse_base_url(&base_url)?;
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::invalid_argument(
                "options.timeout",
                "must be more than 0 seconds",
            ));
        }
        let auth_name = self.auth_header.as_deref().unwrap_or(DEFAULT_AUTH_HEADER);
        let auth_name = HeaderName::from_bytes(auth_name.trim().as_bytes()).map_err(|_| {
            Error::invalid_argument("options.authHeader", "is not a valid header name")
        })?;
        // Carrying the key, these would frame the request wrongly, name another host, or
        // replace a header the SDK sends, such as the body's content type.
        let mut taken = FRAMING_HEADERS
            .iter()
            .chain(&["accept", "content-type", "user-agent"]);
        if taken.any(|name| *name == auth_name.as_str()) {
            return Err(Error::invalid_argument(
                "options.authHeader",
                "is set by the HTTP client and cannot carry the key",
            ));
        }
        let bearer = self.bearer.unwrap_or(true);
        let key = api_key.trim();
        let value = if bearer && !has_bearer_prefix(key) {
            format!("Bearer {key}")
        } else {
            key.to_owned()
        };
        // The error must not echo the key, so the reason is given without the value.
        let mut auth_value = HeaderValue::from_str(&value).map_err(|_| {
            Error::invalid_argument("options.apiKey", "contains characters not allowed")
        })?;
        auth_value.set_sensitive(true);
        let mut user_agent = format!("leap0-rust/{}", env!("CARGO_PKG_VERSION"));
        if let Some(suffix) = self.user_agent_suffix {
            user_agent = format!("{suffix} {user_agent}");
        }
        Ok(Settings {
            base_url,
            auth: (auth_name, auth_value),
            api_key: without_bearer(key).trim().to_owned(),
            timeout,
            max_retries: self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            user_agent,
            proxies: ProxyEnv::read(&env),
            proxy_loopback: self.proxy_loopback,
        })
    }
}

fn has_bearer_prefix(key: &str) -> bool {
    // Bytes, not a `str` slice: byte 7 may fall inside a multi-byte character.
    key.len() > 7 && key.as_bytes()[..7].eq_ignore_ascii_case(b"bearer ")
}

/// The key without a leading `Bearer ` (any case), so that `"Bearer "` alone counts as no key.
pub(crate) fn without_bearer(key: &str) -> &str {
    if key.eq_ignore_ascii_case("bearer") {
        ""
    } else if has_bearer_prefix(key) {
        &key[7..]
    } else {
        key
    }
}

/// Longest base URL accepted, so that with the longest ids a call's URL stays sendable.
const MAX_BASE_URL_BYTES: usize = 8 * 1024;

fn parse_base_url(raw: &str) -> Result<Url> {
    let raw = raw.trim();
    if raw.len() > MAX_BASE_URL_BYTES {
        return Err(Error::invalid_argument(
            "options.baseUrl",
            format!("is longer than {MAX_BASE_URL_BYTES} bytes"),
        ));
    }
    let url = Url::parse(raw).map_err(|e| {
        // Quoted to help find the typo, unless it may carry a password (`user:pw@host`).
        let shown = match raw.contains('@') {
            true => String::new(),
            false => format!(": {:?}", crate::error::snippet(raw)),
        };
        Error::invalid_argument(
            "options.baseUrl",
            format!("is not a valid URL ({e}){shown}"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid_argument(
            "options.baseUrl",
            format!(
                "must be an http or https URL, got scheme {:?}",
                url.scheme()
            ),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid_argument("options.baseUrl", "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid_argument(
            "options.baseUrl",
            "must not carry credentials; pass apiKey instead",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid_argument(
            "options.baseUrl",
            "must not have a query or fragment",
        ));
    }
    Ok(url)
}

/// Everything a client needs, checked.
pub(crate) struct Settings {
    pub(crate) base_url: Url,
    pub(crate) auth: (HeaderName, HeaderValue),
    /// The bare key (no `Bearer `), so that a server echoing it back is not shown to the
    /// caller.
    pub(crate) api_key: String,
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) user_agent: String,
    pub(crate) proxies: ProxyEnv,
    pub(crate) proxy_loopback: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn explicit_options_win_over_the_environment() {
        let env = |name: &str| match name {
            API_KEY_ENV => Some("env-key".to_owned()),
            BASE_URL_ENV => Some("http://env.example:1".to_owned()),
            _ => None,
        };
        let settings = ClientBuilder::new()
            .api_key("explicit")
            .base_url("http://127.0.0.1:9")
            .resolve(env)
            .expect("valid options");
        assert_eq!(settings.base_url.as_str(), "http://127.0.0.1:9/");
        assert_eq!(settings.auth.1.to_str().ok(), Some("Bearer explicit"));

        let settings = ClientBuilder::new().resolve(env).expect("valid env");
        assert_eq!(settings.base_url.as_str(), "http://env.example:1/");
        assert_eq!(settings.auth.1.to_str().ok(), Some("Bearer env-key"));
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let settings = ClientBuilder::new()
            .api_key("k")
            .resolve(no_env)
            .expect("valid");
        assert_eq!(settings.base_url.as_str(), "https://api.leap0.dev/");
        assert_eq!(settings.timeout, DEFAULT_TIMEOUT);
        assert_eq!(settings.max_retries, DEFAULT_MAX_RETRIES);
        assert_eq!(settings.auth.0.as_str(), "authorization");
    }

    #[test]
    fn a_missing_or_blank_key_is_refused() {
        let blank =
            ["  ", "Bearer ", "bearer", " BEARER    "].map(|key| ClientBuilder::new().api_key(key));
        for builder in [vec![ClientBuilder::new()], blank.to_vec()].concat() {
            let error = builder.resolve(no_env).err().expect("no key");
            assert_eq!(error.kind(), ErrorKind::MissingApiKey);
        }
    }

    #[test]
    fn base_urls_that_are_not_http_are_refused() {
        for url in [
            "ftp://example.com",
            "not a url",
            "http://",
            "http://u:p@example.com",
        ] {
            let error = ClientBuilder::new()
                .api_key("k")
                .base_url(url)
                .resolve(no_env)
                .err()
                .expect("bad url");
            assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{url}");
            assert_eq!(error.field_errors()[0].field, "options.baseUrl");
        }
    }

    #[test]
    fn a_key_with_multi_byte_characters_does_not_panic() {
        // Byte 7 falls inside `€` (bytes 6..9) or `é`: a `str` slice there would panic.
        for key in ["abcdef€xyz", "Bearer\u{e9}abc", "bearer€"] {
            let settings = ClientBuilder::new()
                .api_key(key)
                .resolve(no_env)
                .expect("a header value, if not ASCII");
            let expected = format!("Bearer {key}");
            assert_eq!(settings.auth.1.as_bytes(), expected.as_bytes());
        }
    }

    #[test]
    fn a_bad_base_url_is_not_echoed_when_it_may_hold_a_password() {
        let error = ClientBuilder::new()
            .api_key("k")
            .base_url("http://user:s3cret-pw@[::1/")
            .resolve(no_env)
            .err()
            .expect("bad url");
        assert_eq!(error.field_errors()[0].field, "options.baseUrl");
        assert!(!error.to_string().contains("s3cret"), "{error}");

        let long = format!("http://[{}", "a".repeat(10_000));
        let error = ClientBuilder::new()
            .api_key("k")
            .base_url(long)
            .resolve(no_env)
            .err()
            .expect("bad url");
        assert!(error.to_string().len() < 300, "{error}");
    }

    #[test]
    fn bearer_is_never_doubled_and_can_be_turned_off() {
        let settings = ClientBuilder::new()
            .api_key("Bearer abc")
            .resolve(no_env)
            .expect("valid");
        assert_eq!(settings.auth.1.to_str().ok(), Some("Bearer abc"));

        let settings = ClientBuilder::new()
            .api_key("abc")
            .bearer(false)
            .auth_header("leap0-authorization")
            .resolve(no_env)
            .expect("valid");
        assert_eq!(settings.auth.0.as_str(), "leap0-authorization");
        assert_eq!(settings.auth.1.to_str().ok(), Some("abc"));
    }

    #[test]
    fn a_framing_header_cannot_carry_the_key() {
        for name in ["host", "Content-Length", "transfer-encoding"] {
            let error = ClientBuilder::new()
                .api_key("k")
                .auth_header(name)
                .resolve(no_env)
                .err()
                .expect("refused");
            assert_eq!(
                error.field_errors()[0].field,
                "options.authHeader",
                "{name}"
            );
        }
    }

    #[test]
    fn debug_output_hides_the_key() {
        let builder = ClientBuilder::new().api_key("sk-very-secret");
        assert!(!format!("{builder:?}").contains("very-secret"));
    }
}
