// Evaluated once per JavaScript environment (main thread or worker) when the addon loads.
// The error classes must be real `Error` subclasses, which a native class cannot be, so they
// are written here; `errors.rs` puts them on the module's exports. The expression's value is
// the object of helpers the addon keeps for that environment.
(() => {
  'use strict'

  class Leap0Error extends Error {
    constructor(message, options = {}) {
      super(message, options.cause === undefined ? undefined : { cause: options.cause })
      Object.defineProperty(this, 'name', {
        value: new.target.errorName || new.target.name,
        configurable: true,
        writable: true,
      })
      this.code = options.code || 'LEAP0_ERROR'
      this.statusCode = options.statusCode
      this.body = options.body
      this.retryable = options.retryable === true
      if (options.errors !== undefined) this.errors = options.errors
      if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter
    }
  }

  class Leap0ValidationError extends Leap0Error {}
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

  // Calls `onAbort` when `signal` aborts. Returns the function that stops listening, which
  // also hands back the signal's reason for the AbortError's `cause`.
  function watchSignal(signal, onAbort) {
    signal.addEventListener('abort', onAbort, { once: true })
    return () => {
      signal.removeEventListener('abort', onAbort)
      return signal.reason
    }
  }

  function isAbortSignal(value) {
    return typeof AbortSignal === 'function' && value instanceof AbortSignal
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

  return { classes, createError, watchSignal, isAbortSignal, attachSandboxCalls }
})()
