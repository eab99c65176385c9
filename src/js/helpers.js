// Evaluated once per JavaScript environment (main thread or worker) when the addon loads.
// The error classes must be real `Error` subclasses, which a native class cannot be, so they
// are written here; `errors.rs` puts them on the module's exports. The expression's value is
// the object of helpers the addon keeps for that environment.
(() => {
  'use strict'

  // An option's own value: never one a polluted Object.prototype lends every object.
  const own = (options, key) =>
    options != null && Object.prototype.hasOwnProperty.call(options, key) ? options[key] : undefined

  class Leap0Error extends Error {
    constructor(message, options) {
      const cause = own(options, 'cause')
      super(message, cause === undefined ? undefined : { cause })
      Object.defineProperty(this, 'name', {
        value: new.target.errorName || new.target.name,
        configurable: true,
        writable: true,
      })
      this.code = own(options, 'code') || new.target.defaultCode
      this.statusCode = own(options, 'statusCode')
      this.body = own(options, 'body')
      this.retryable = own(options, 'retryable') === true
      const errors = own(options, 'errors')
      if (errors != null) this.errors = errors
      const retryAfter = own(options, 'retryAfter')
      if (retryAfter != null) this.retryAfter = retryAfter
    }
  }

  class Leap0ValidationError extends Leap0Error {
    constructor(message, options) {
      super(message, options)
      // Declared as always there: an empty list when the server named no field.
      if (this.errors === undefined) this.errors = []
    }
  }
  class Leap0AuthenticationError extends Leap0Error {}
  class Leap0PermissionError extends Leap0Error {}
  class Leap0NotFoundError extends Leap0Error {}
  class Leap0ConflictError extends Leap0Error {}
  class Leap0RateLimitError extends Leap0Error {}
  class Leap0ServerError extends Leap0Error {}
  class Leap0TimeoutError extends Leap0Error {}
  class Leap0ConnectionError extends Leap0Error {}
  // Named `AbortError`, as fetch and every AbortSignal-aware API name a cancelled call.
  class Leap0AbortError extends Leap0Error {
    static errorName = 'AbortError'
  }

  // Each class's code when its constructor is given none, as a test double would be built;
  // a subclass of one inherits it. A code given is taken as it is, even one the class's
  // declaration does not list.
  for (const [Class, code] of [
    [Leap0Error, 'LEAP0_ERROR'],
    [Leap0ValidationError, 'VALIDATION_ERROR'],
    [Leap0AuthenticationError, 'AUTHENTICATION_ERROR'],
    [Leap0PermissionError, 'PERMISSION_DENIED'],
    [Leap0NotFoundError, 'NOT_FOUND'],
    [Leap0ConflictError, 'CONFLICT'],
    [Leap0RateLimitError, 'RATE_LIMITED'],
    [Leap0ServerError, 'SERVER_ERROR'],
    [Leap0TimeoutError, 'TIMEOUT'],
    [Leap0ConnectionError, 'CONNECTION_ERROR'],
    [Leap0AbortError, 'ABORTED'],
  ]) {
    Class.defaultCode = code
  }

  const classes = {
    Leap0Error,
    Leap0ValidationError,
    Leap0AuthenticationError,
    Leap0PermissionError,
    Leap0NotFoundError,
    Leap0ConflictError,
    Leap0RateLimitError,
    Leap0ServerError,
    Leap0TimeoutError,
    Leap0ConnectionError,
    Leap0AbortError,
  }

  // Builds the error a call rejects with. `causeText` is the Rust source chain, one line each.
  function createError(className, message, options, causeText, abortReason) {
    const Class = classes[className] || Leap0Error
    let cause
    if (abortReason !== undefined) cause = abortReason
    else if (causeText) cause = new Error(causeText)
    const error = new Class(message, { ...options, cause })
    // The native frames that built the error say nothing useful; start the stack here.
    Error.captureStackTrace?.(error, createError)
    return error
  }

  // The calls watching each signal. A signal gets one 'abort' listener however many calls
  // share it, so a batch of concurrent calls under one AbortController stays below Node's
  // MaxListenersExceededWarning, and the listener goes once no call watches.
  const watched = new WeakMap()

  // Calls `onAbort` when `signal` aborts. Returns the function that stops watching, which
  // also tells whether the signal aborted meanwhile: `{ reason }` for the AbortError's
  // `cause`, else undefined.
  function watchSignal(signal, onAbort) {
    let watch = watched.get(signal)
    if (watch === undefined) {
      const calls = new Set()
      const listener = () => {
        watched.delete(signal)
        for (const call of calls) call()
      }
      watch = { calls, listener }
      watched.set(signal, watch)
      signal.addEventListener('abort', listener, { once: true })
    }
    watch.calls.add(onAbort)
    const current = watch
    return () => {
      current.calls.delete(onAbort)
      if (current.calls.size === 0 && watched.get(signal) === current) {
        watched.delete(signal)
        signal.removeEventListener('abort', current.listener)
      }
      return signal.aborted ? { reason: signal.reason } : undefined
    }
  }

  // An AbortSignal of any realm (a vm context, jsdom): its tag and the members the addon uses.
  // A look-alike plain object is refused.
  function isAbortSignal(value) {
    return (
      Object.prototype.toString.call(value) === '[object AbortSignal]' &&
      typeof value.aborted === 'boolean' &&
      typeof value.addEventListener === 'function' &&
      typeof value.removeEventListener === 'function'
    )
  }

  // Whether `key` reaches `value` (which lacks it as its own) only from Object.prototype: a
  // polluted prototype, never what the caller meant, as a getter of their own class is.
  function isPolluted(value, key) {
    for (let o = Object.getPrototypeOf(value); o !== null; o = Object.getPrototypeOf(o)) {
      if (Object.prototype.hasOwnProperty.call(o, key)) return o === Object.prototype
    }
    return false
  }

  // The keys of a record argument (`headers`, `envVars`): its own enumerable string keys,
  // as `Object.keys` lists them, never inherited ones. `null` for an iterable (an array, a
  // Map, a Headers), whose entries are not its properties.
  // `false` when a key holds a lone surrogate, which would reach Rust as another key.
  function recordKeys(value) {
    if (typeof value[Symbol.iterator] === 'function') return null
    const keys = Object.keys(value)
    return keys.some((key) => /\p{Cs}/u.test(key)) ? false : keys
  }

  // The exported Leap0Client: a JavaScript class over the native one, so that calling it
  // without `new` throws a TypeError, where the native class would wrap the global object.
  function leap0ClientClass(Native) {
    return class Leap0Client extends Native {}
  }

  // Sandbox results are plain data objects; the bound calls are added as non-enumerable
  // properties so spreading, JSON and `toEqual` see only the data.
  // `sandboxes` is the client's SandboxesClient; the id is fixed at creation.
  function attachSandboxCalls(sandbox, ssh, sandboxes) {
    const id = sandbox.id
    const remove = (options) => sandboxes.delete(id, options)
    Object.defineProperty(sandbox, 'ssh', { value: ssh, enumerable: false })
    Object.defineProperty(sandbox, 'delete', { value: remove, enumerable: false, writable: true })
    return sandbox
  }

  return {
    classes,
    createError,
    watchSignal,
    isAbortSignal,
    isPolluted,
    leap0ClientClass,
    recordKeys,
    attachSandboxCalls,
  }
})()
