//! Turning a call of the Rust client into a JavaScript Promise.
//!
//! Every call settles: arguments are read on the JavaScript thread and a bad one rejects at
//! once; the request runs on napi's tokio runtime, racing the client's close, the call's
//! deadline and its `AbortSignal`; the result is shaped into JavaScript values back on the
//! JavaScript thread. Nothing is thrown synchronously.

use std::future::Future;

use napi::bindgen_prelude::*;
use tokio_util::sync::CancellationToken;

use crate::args::ArgResult;
use crate::env_data::EnvData;
use crate::errors;
use crate::options::RequestOptions;

/// `watchSignal(signal, onAbort)` of helpers.js; returns the function that stops watching.
/// The returned function is kept past this call (as a reference), so its result type cannot
/// borrow from this call's scope.
type WatchSignal<'env> =
    Function<'env, FnArgs<(Object<'env>, Function<'env, (), ()>)>, StopWatching<'env>>;
type StopWatching<'env> = Function<'env, (), Unknown<'static>>;

/// A promise already rejected with the JavaScript form of `error`.
pub(crate) fn rejected<'env, V: ToNapiValue>(
    env: &'env Env,
    error: &leap0::Error,
    abort_reason: Option<Unknown<'env>>,
) -> Result<PromiseRaw<'env, V>> {
    let reason = errors::to_js_value(env, error, abort_reason)?;
    PromiseRaw::reject(env, reason)
}

/// Starts a call. `prepare` reads the call's own arguments and returns the request future;
/// `finish` turns its result into JavaScript on the JavaScript thread.
pub(crate) fn start<'env, T, V, Fut>(
    env: &'env Env,
    options: Option<Unknown<'env>>,
    prepare: impl FnOnce(leap0::RequestOptions) -> ArgResult<Fut>,
    finish: impl FnOnce(&Env, T) -> Result<V> + 'static,
) -> Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    Fut: Future<Output = leap0::Result<T>> + Send + 'static,
{
    let (mut request, signal) = match RequestOptions::read(env, options) {
        Ok(options) => options.split(),
        Err(error) => return rejected(env, &error, None),
    };
    let token = CancellationToken::new();
    request.cancellation = Some(token.clone());
    let work = match prepare(request) {
        Ok(work) => work,
        Err(error) => return rejected(env, &error, None),
    };

    let mut unwatch = None;
    if let Some(signal) = signal {
        let aborted: bool = signal.get_named_property("aborted")?;
        if aborted {
            let reason: Unknown = signal.get_named_property("reason")?;
            let error = leap0::Error::aborted();
            return rejected(env, &error, Some(reason));
        }
        let on_abort_token = token.clone();
        let on_abort = env.create_function_from_closure("onAbort", move |_| {
            on_abort_token.cancel();
            Ok(())
        })?;
        let watch: WatchSignal = EnvData::helper(env, "watchSignal")?;
        let stop = watch.call(FnArgs::from((signal, on_abort)))?;
        unwatch = Some(stop.create_ref()?);
    }

    env.spawn_future_with_callback(async move { Ok(work.await) }, move |env, result| {
        let reason = match unwatch {
            Some(stop) => Some(stop.borrow_back(env)?.call(())?),
            None => None,
        };
        match result {
            Ok(value) => finish(env, value),
            Err(error) => {
                let reason = reason.filter(|_| error.is_aborted());
                Err(errors::to_js(env, &error, reason))
            }
        }
    })
}
