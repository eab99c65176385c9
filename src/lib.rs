//! The Node.js addon of `leap0`: JavaScript classes and conversions over the `leap0` Rust
//! client. It knows JavaScript, not HTTP; every request is the Rust client's.

mod args;
mod call;
mod client;
mod env_data;
mod errors;
mod logging;
mod options;
mod sandbox_types;
mod sandboxes;
mod ssh;

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Runs once per JavaScript environment (main thread or worker) after the classes above are
/// registered: evaluates the JavaScript helpers, exports the real error classes, and puts
/// `Leap0Client` behind a JavaScript class that insists on `new`.
#[napi(module_exports)]
pub fn init(mut exports: Object, env: Env) -> Result<()> {
    let classes = env_data::EnvData::install(&env)?;
    errors::install(&mut exports, &classes)?;
    let native: Unknown = exports.get_named_property("Leap0Client")?;
    let subclass: Function<Unknown, Unknown> = env_data::EnvData::helper(&env, "leap0ClientClass")?;
    exports.set_named_property("Leap0Client", subclass.call(native)?)
}
