//! Turning a call of the Rust client into a JavaScript Promise.
//!
//! Every call settles: arguments are read on the JavaScript thread and a bad one rejects at
//! once; the request runs on napi's tokio runtime, racing the client's close, the call's
//! deadline and its `AbortSignal`; the result is shaped into JavaScript values back on the
//! JavaScript thread. Nothing is thrown synchronously.

use std::future::Future;

use napi::bindgen_prelude::*;
use tokio_util::sync::CancellationToken;

use crate::args::{clear_thrown, ArgResult};
use crate::env_data::EnvData;
use crate::errors;
use crate::options::RequestOptions;

/// `watchSignal(signal, onAbort)` of helpers.js; returns the function that stops watching,
/// which answers `{ reason }` if the signal aborted meanwhile. The returned function is kept
/// past this call (as a reference), so its result type cannot borrow from this call's scope.
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

/// Starts a call on `client`. `prepare` reads the call's own arguments and returns the
/// request future, given the client to send it with; `finish` turns its result into
/// JavaScript on the JavaScript thread.
pub(crate) fn start<'env, T, V, Fut>(
    env: &'env Env,
    client: &leap0::Client,
    options: Option<Unknown<'env>>,
    prepare: impl FnOnce(leap0::Client, leap0::RequestOptions) -> ArgResult<Fut>,
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
    let work = match prepare(client.clone(), request) {
        Ok(work) => work,
        Err(error) => return rejected(env, &error, None),
    };

    let mut unwatch = None;
    if let Some(signal) = signal {
        match watch(env, signal, &token) {
            Ok(Watch::Started(stop)) => unwatch = Some(stop),
            Ok(Watch::AlreadyAborted(reason)) => {
                return rejected(env, &leap0::Error::aborted(), Some(reason));
            }
            Err(error) => return rejected(env, &error, None),
        }
    }

    let client = client.clone();
    env.spawn_future_with_callback(async move { Ok(work.await) }, move |env, result| {
        let abort_reason = match unwatch {
            Some(stop) => stopped(env, stop)?,
            None => None,
        };
        match (result, abort_reason) {
            // Closed after the outcome arrived but before it reached JavaScript: still in
            // flight for its caller, so it rejects as close() promises, as an abort would.
            (result, None) if client.is_closed() && !is_closed_error(&result) => {
                Err(errors::to_js(env, &leap0::Error::closed(), None))
            }
            (Ok(value), None) => finish(env, value),
            (Err(error), None) => Err(errors::to_js(env, &error, None)),
            (Err(error), Some(reason)) if error.is_aborted() => {
                Err(errors::to_js(env, &error, Some(reason)))
            }
            // The signal aborted before the outcome reached JavaScript, though after the
            // request finished: the call was still pending for its caller, so it rejects as
            // aborted, as `fetch` does.
            (_, Some(reason)) => Err(errors::to_js(env, &leap0::Error::aborted(), Some(reason))),
        }
    })
}

fn is_closed_error<T>(result: &leap0::Result<T>) -> bool {
    matches!(result, Err(error) if error.kind() == leap0::ErrorKind::Closed)
}

/// What watching a call's signal found.
enum Watch<'env> {
    /// Watching; the reference is the function that stops it.
    Started(FunctionRef<(), Unknown<'static>>),
    /// The signal had aborted already, for this reason.
    AlreadyAborted(Unknown<'env>),
}

/// Cancels `token` when `signal` aborts. A signal whose members throw when read (a hostile
/// polyfill or proxy) is refused as an argument rather than thrown through.
fn watch<'env>(
    env: &'env Env,
    signal: Object<'env>,
    token: &CancellationToken,
) -> ArgResult<Watch<'env>> {
    let unreadable = || {
        clear_thrown(env.raw());
        leap0::Error::invalid_argument("options.signal", "could not be read")
    };
    let aborted: bool = signal
        .get_named_property("aborted")
        .map_err(|_| unreadable())?;
    if aborted {
        let reason: Unknown = signal
            .get_named_property("reason")
            .map_err(|_| unreadable())?;
        return Ok(Watch::AlreadyAborted(reason));
    }
    let on_abort_token = token.clone();
    let on_abort = env
        .create_function_from_closure("onAbort", move |_| {
            on_abort_token.cancel();
            Ok(())
        })
        .map_err(|_| unreadable())?;
    let watch: WatchSignal = EnvData::helper(env, "watchSignal").map_err(|_| unreadable())?;
    let stop = watch
        .call(FnArgs::from((signal, on_abort)))
        .map_err(|_| unreadable())?;
    let stop = stop.create_ref().map_err(|_| unreadable())?;
    Ok(Watch::Started(stop))
}

/// Stops watching the signal; its reason if it aborted before now.
fn stopped<'env>(
    env: &'env Env,
    stop: FunctionRef<(), Unknown<'static>>,
) -> Result<Option<Unknown<'env>>> {
    let stop = stop.borrow_back(env)?;
    let Ok(abort) = stop.call(()) else {
        // A signal whose removeEventListener threw; the call's outcome stands.
        clear_thrown(env.raw());
        return Ok(None);
    };
    if abort.get_type()? != napi::ValueType::Object {
        return Ok(None);
    }
    // SAFETY: checked to be an object just above; `{ reason }` from watchSignal.
    let abort = unsafe { abort.cast::<Object>() }?;
    abort.get_named_property("reason").map(Some)
}
