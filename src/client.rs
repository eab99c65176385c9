//! `Leap0Client`: the handle that owns one connection pool.

use napi::bindgen_prelude::*;
use napi::ValueType;
use napi_derive::napi;

use crate::args::clear_thrown;
use crate::errors;
use crate::logging;
use crate::options::ClientOptions;
use crate::sandboxes::SandboxesClient;
use crate::ssh::SshClient;

/// The environment variables as this JavaScript environment sees them: `process.env`. A
/// worker thread has its own copy (or the `env` its creator gave it), which the process
/// environment the Rust side would read does not show.
struct ProcessEnv<'env>(Option<Object<'env>>);

impl<'env> ProcessEnv<'env> {
    fn of(env: &'env Env) -> Self {
        let vars = env
            .get_global()
            .and_then(|global| global.get_named_property::<Object>("process"))
            .and_then(|process| process.get_named_property::<Object>("env"));
        if vars.is_err() {
            clear_thrown(env.raw());
        }
        ProcessEnv(vars.ok())
    }

    /// The variable's value; the process environment's without a `process.env`.
    fn var(&self, name: &str) -> Option<String> {
        let Some(vars) = &self.0 else {
            return std::env::var(name).ok();
        };
        match vars.get_named_property::<Unknown>(name) {
            Ok(value) if value.get_type().ok() == Some(ValueType::String) => {
                // SAFETY: checked to be a string just above.
                unsafe { value.cast::<String>() }.ok()
            }
            Ok(_) => None,
            Err(_) => {
                clear_thrown(vars.value().env);
                None
            }
        }
    }
}

/// A Leap0 API client. Create one and reuse it: every call shares its connection pool.
///
/// The process exits on its own after the last call settles, whether or not `close()` ran.
#[napi]
pub struct Leap0Client {
    client: leap0::Client,
}

#[napi]
impl Leap0Client {
    /// Builds a client. Throws a `Leap0AuthenticationError` (`MISSING_API_KEY`) without an
    /// API key, and a `Leap0ValidationError` (`INVALID_ARGUMENT`) for a bad option such as a
    /// base URL that is not http(s).
    #[napi(constructor)]
    pub fn new(
        env: Env,
        #[napi(ts_arg_type = "ClientOptions")] options: Option<Unknown>,
    ) -> Result<Self> {
        let process_env = ProcessEnv::of(&env);
        logging::init(process_env.var(logging::LOG_ENV));
        let built = ClientOptions::read(options).and_then(|options| {
            options
                .builder()
                .build_with_env(|name| process_env.var(name))
        });
        match built {
            Ok(client) => Ok(Leap0Client { client }),
            Err(error) => Err(errors::to_js(&env, &error, None)),
        }
    }

    /// Sandbox calls: create, get, list, delete.
    #[napi(getter)]
    pub fn sandboxes(&self) -> SandboxesClient {
        SandboxesClient::new(self.client.clone())
    }

    /// SSH access calls: create, validate, regenerate and delete credentials.
    #[napi(getter)]
    pub fn ssh(&self) -> SshClient {
        SshClient::new(self.client.clone())
    }

    /// The base URL calls go to.
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.client.base_url().to_string()
    }

    /// Whether `close()` has been called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Closes the client: calls in flight reject at once with a `Leap0Error` whose code is
    /// `CLIENT_CLOSED`, later calls reject the same way without sending anything, and the
    /// connection pool is released. Closing again does nothing.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        self.client.close();
        PromiseRaw::resolve(env, ())
    }
}
