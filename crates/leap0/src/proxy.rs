//! Proxies from the environment, read once when the client is built, with loopback kept
//! direct by default.
//!
//! reqwest reads `HTTP_PROXY` and friends itself, but straight from the process environment
//! and with no way to keep loopback hosts off the proxy. So the same variables, with the same
//! precedence as reqwest's own reading (upper case first, `ALL_PROXY` as the fallback, none
//! at all under CGI), are read through the builder's lookup and handed to reqwest as explicit
//! [`reqwest::Proxy`] rules whose [`reqwest::NoProxy`] list gets the loopback hosts added.

use std::fmt;

use reqwest::{NoProxy, Proxy};

/// Loopback hosts, kept off any proxy unless the builder asks otherwise: a proxy cannot reach
/// the caller's own loopback, so a local emulator or tunnel would be unreachable through it.
/// `localhost` also matches its subdomains, which resolve to loopback too.
const LOOPBACK: &str = "localhost, 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104";

/// Makes the rule of one variable from its URL.
type ProxyFor = fn(&str) -> reqwest::Result<Proxy>;

/// The proxy variables as the environment set them.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct ProxyEnv {
    http: Option<String>,
    https: Option<String>,
    all: Option<String>,
    no_proxy: String,
}

// Proxy URLs may carry credentials, so only which variables are set is shown.
impl fmt::Debug for ProxyEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyEnv")
            .field("http", &self.http.is_some())
            .field("https", &self.https.is_some())
            .field("all", &self.all.is_some())
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl ProxyEnv {
    /// Reads the variables through `env`. The first of each pair that is set wins, even when
    /// empty, as in reqwest; an empty value means no proxy.
    pub(crate) fn read(env: impl Fn(&str) -> Option<String>) -> Self {
        let first = |names: [&str; 2]| {
            names
                .into_iter()
                .find_map(&env)
                .filter(|value| !value.trim().is_empty())
        };
        // Under CGI a client can set `HTTP_PROXY` with a `Proxy:` request header (httpoxy);
        // reqwest then ignores the proxy variables altogether, and so does this.
        if env("REQUEST_METHOD").is_some() {
            return ProxyEnv::default();
        }
        ProxyEnv {
            http: first(["HTTP_PROXY", "http_proxy"]),
            https: first(["HTTPS_PROXY", "https_proxy"]),
            all: first(["ALL_PROXY", "all_proxy"]),
            no_proxy: first(["NO_PROXY", "no_proxy"]).unwrap_or_default(),
        }
    }

    /// The `NO_PROXY` list to give every proxy rule.
    fn no_proxy_list(&self, proxy_loopback: bool) -> String {
        let listed = self.no_proxy.trim();
        match (proxy_loopback, listed.is_empty()) {
            (true, _) => listed.to_owned(),
            (false, true) => LOOPBACK.to_owned(),
            (false, false) => format!("{listed}, {LOOPBACK}"),
        }
    }

    /// Configures `builder` with these proxies, and only these: reqwest's own reading of the
    /// process environment is turned off.
    pub(crate) fn apply(
        &self,
        builder: reqwest::ClientBuilder,
        proxy_loopback: bool,
    ) -> reqwest::ClientBuilder {
        let mut builder = builder.no_proxy();
        // `*` means no proxy for any host, as in curl; reqwest's matcher applies it to names
        // but not to IP addresses.
        if self.no_proxy.split(',').any(|entry| entry.trim() == "*") {
            return builder;
        }
        let no_proxy = NoProxy::from_string(&self.no_proxy_list(proxy_loopback));
        // reqwest tries the rules in order: the scheme-specific ones, then `ALL_PROXY`.
        let rules: [(&str, &Option<String>, ProxyFor); 3] = [
            ("HTTP_PROXY", &self.http, |url| Proxy::http(url)),
            ("HTTPS_PROXY", &self.https, |url| Proxy::https(url)),
            ("ALL_PROXY", &self.all, |url| Proxy::all(url)),
        ];
        for (variable, value, rule) in rules {
            let Some(url) = value else { continue };
            match rule(url.trim()) {
                Ok(proxy) => builder = builder.proxy(proxy.no_proxy(no_proxy.clone())),
                // reqwest skips a value it cannot use, too. The value is not logged: it may
                // hold the proxy's password.
                Err(_) => tracing::warn!(variable, "ignoring a proxy URL that is not valid"),
            }
        }
        builder
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn upper_case_wins_and_lower_case_is_read_too() {
        let env = ProxyEnv::read(env_of(&[
            ("HTTP_PROXY", "http://upper:1"),
            ("http_proxy", "http://lower:1"),
            ("https_proxy", "http://lower:2"),
            ("all_proxy", "http://all:3"),
            ("no_proxy", "internal.example"),
        ]));
        assert_eq!(env.http.as_deref(), Some("http://upper:1"));
        assert_eq!(env.https.as_deref(), Some("http://lower:2"));
        assert_eq!(env.all.as_deref(), Some("http://all:3"));
        assert_eq!(env.no_proxy, "internal.example");
    }

    #[test]
    fn an_empty_variable_means_no_proxy_even_if_the_other_case_is_set() {
        let env = ProxyEnv::read(env_of(&[
            ("HTTP_PROXY", ""),
            ("http_proxy", "http://lower:1"),
        ]));
        assert_eq!(env.http, None);
    }

    #[test]
    fn cgi_requests_ignore_the_proxy_variables() {
        let env = ProxyEnv::read(env_of(&[
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://from-a-header:1"),
        ]));
        assert_eq!(env, ProxyEnv::default());
    }

    #[test]
    fn loopback_joins_the_no_proxy_list_unless_proxied_on_purpose() {
        let mut env = ProxyEnv::default();
        assert_eq!(env.no_proxy_list(false), LOOPBACK);
        assert_eq!(env.no_proxy_list(true), "");
        env.no_proxy = " a.example ".to_owned();
        assert_eq!(env.no_proxy_list(false), format!("a.example, {LOOPBACK}"));
        assert_eq!(env.no_proxy_list(true), "a.example");
    }

    #[test]
    fn debug_does_not_show_proxy_credentials() {
        let env = ProxyEnv::read(env_of(&[("HTTPS_PROXY", "http://user:s3cret@proxy:1")]));
        assert!(!format!("{env:?}").contains("s3cret"));
    }
}
