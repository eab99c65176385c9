//! What the addon keeps per JavaScript environment: the helpers `js/helpers.js` returned.
//!
//! The main thread and every worker load the addon into their own environment, with their
//! own `Error` and `AbortSignal`, so nothing here may be shared between threads.

use napi::bindgen_prelude::*;

const HELPERS_SOURCE: &str = include_str!("js/helpers.js");

pub(crate) struct EnvData {
    helpers: ObjectRef,
}

impl EnvData {
    /// Evaluates the helpers for this environment and keeps them until it shuts down.
    /// Returns the error classes to export.
    pub(crate) fn install<'env>(env: &'env Env) -> Result<Object<'env>> {
        let helpers: Object = env.run_script(HELPERS_SOURCE)?;
        let classes: Object<'env> = helpers.get_named_property("classes")?;
        let data = EnvData {
            helpers: helpers.create_ref()?,
        };
        env.set_instance_data(data, (), |context| {
            // The environment is going away; releasing the reference can only fail then.
            let _ = context.value.helpers.unref(&context.env);
        })?;
        Ok(classes)
    }

    /// One of the helper functions, for this environment.
    pub(crate) fn helper<'env, Args: JsValuesTupleIntoVec, Return: FromNapiValue>(
        env: &'env Env,
        name: &str,
    ) -> Result<Function<'env, Args, Return>> {
        let data = env
            .get_instance_data::<EnvData>()?
            .ok_or_else(|| Error::new(Status::GenericFailure, "leap0 addon is not initialised"))?;
        let helpers: Object<'env> = data.helpers.get_value(env)?;
        helpers.get_named_property(name)
    }
}
