//! Reading call arguments from JavaScript by hand, so that a wrong type is a
//! `Leap0ValidationError` naming the argument (`options.timeout must be a number, got
//! string`), never napi's generic conversion error. Values are never echoed: the wrong one
//! may be a password.

use std::collections::BTreeMap;
use std::time::Duration;

use leap0::Error;
use napi::bindgen_prelude::*;
use napi::ValueType;

use crate::env_data::EnvData;

pub(crate) type ArgResult<T> = std::result::Result<T, Error>;

fn type_name(value_type: ValueType) -> &'static str {
    match value_type {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "boolean",
        ValueType::Number => "number",
        ValueType::String => "string",
        ValueType::Symbol => "symbol",
        ValueType::Object => "object",
        ValueType::Function => "function",
        ValueType::External => "external",
        ValueType::BigInt => "bigint",
        _ => "unknown",
    }
}

fn wrong_type(path: &str, expected: &str, value: &Unknown) -> Error {
    let got = value.get_type().map(type_name).unwrap_or("unknown");
    Error::invalid_argument(path, format!("must be {expected}, got {got}"))
}

fn unreadable(path: &str) -> Error {
    Error::invalid_argument(path, "could not be read")
}

/// Drops the exception a throwing getter or proxy trap left pending while an argument was
/// read. Left pending, it would be thrown synchronously when the call returns, and every
/// later N-API call of this one would fail; cleared, the call rejects with an error naming
/// the argument instead.
pub(crate) fn clear_thrown(env: napi::sys::napi_env) {
    let mut pending = false;
    // SAFETY: `env` is the environment of a value this call is reading, on its own thread;
    // both functions only inspect and reset its exception state.
    unsafe {
        let status = napi::sys::napi_is_exception_pending(env, &mut pending);
        if status == napi::sys::Status::napi_ok && pending {
            let mut exception = std::ptr::null_mut();
            let _ = napi::sys::napi_get_and_clear_last_exception(env, &mut exception);
        }
    }
}

fn is_absent(value: &Unknown) -> bool {
    matches!(value.get_type(), Ok(ValueType::Undefined | ValueType::Null))
}

/// `value` as `V` when its JavaScript type is `expected`; otherwise an error naming `path`.
fn cast<V: FromNapiValue>(
    path: &str,
    value: &Unknown,
    expected: ValueType,
    description: &str,
) -> ArgResult<V> {
    if value.get_type().ok() != Some(expected) {
        return Err(wrong_type(path, description, value));
    }
    // SAFETY: the value's JavaScript type was checked to be the one `V` converts from.
    unsafe { value.cast::<V>() }.map_err(|_| unreadable(path))
}

/// A string argument, such as a sandbox id. Read as UTF-16 first: a lone surrogate would
/// otherwise become U+FFFD, and a different id or password than the caller's be sent.
pub(crate) fn string(path: &str, value: &Unknown) -> ArgResult<String> {
    let units: Utf16String = cast(path, value, ValueType::String, "a string")?;
    String::from_utf16(&units).map_err(|_| {
        Error::invalid_argument(path, "must be well-formed Unicode, without lone surrogates")
    })
}

/// A sandbox given as its id or as any object with a string `id`.
pub(crate) fn sandbox_id(path: &str, value: &Unknown) -> ArgResult<String> {
    match value.get_type() {
        Ok(ValueType::String) => string(path, value),
        Ok(ValueType::Object) => {
            let fields = Fields::of(path, Some(*value))?;
            let id = fields.optional("id")?;
            let Some(id) = id.filter(|id| id.get_type().ok() == Some(ValueType::String)) else {
                return Err(Error::invalid_argument(
                    path,
                    "must be a sandbox id or an object with a string id",
                ));
            };
            let id = string(&format!("{path}.id"), &id)?;
            leap0::check_id(&format!("{path}.id"), &id)?;
            Ok(id)
        }
        _ => Err(wrong_type(
            path,
            "a sandbox id or an object with a string id",
            value,
        )),
    }
}

fn array<'env>(path: &str, value: &Unknown<'env>, description: &str) -> ArgResult<Array<'env>> {
    if !value.is_array().unwrap_or(false) {
        return Err(wrong_type(path, description, value));
    }
    // SAFETY: checked to be an array just above.
    unsafe { value.cast::<Array>() }.map_err(|_| unreadable(path))
}

/// The properties of an object argument. An absent (`undefined` or `null`) argument reads
/// as an object with no properties.
pub(crate) struct Fields<'env> {
    object: Option<Object<'env>>,
    path: String,
}

impl<'env> Fields<'env> {
    pub(crate) fn of(path: &str, value: Option<Unknown<'env>>) -> ArgResult<Self> {
        let object = match value {
            None => None,
            Some(value) if is_absent(&value) => None,
            Some(value) if value.is_array().unwrap_or(false) => {
                return Err(Error::invalid_argument(
                    path,
                    "must be an object, got an array",
                ));
            }
            Some(value) => Some(cast(path, &value, ValueType::Object, "an object")?),
        };
        Ok(Fields {
            object,
            path: path.to_owned(),
        })
    }

    /// Like [`Fields::of`], but an absent argument is an error.
    pub(crate) fn required(path: &str, value: Unknown<'env>) -> ArgResult<Self> {
        if is_absent(&value) {
            return Err(Error::invalid_argument(path, "is required"));
        }
        Self::of(path, Some(value))
    }

    fn path_of(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// The property `key`, own or inherited, but `None` when only `Object.prototype` has
    /// it: a polluted prototype must not set a base URL, an API key or a header, while a
    /// getter on the caller's own class is what they meant to pass.
    fn get(&self, key: &str) -> ArgResult<Option<Unknown<'env>>> {
        let Some(object) = &self.object else {
            return Ok(None);
        };
        let raw_env = object.value().env;
        let unreadable = || {
            clear_thrown(raw_env);
            unreadable(&self.path_of(key))
        };
        if !object.has_own_property(key).map_err(|_| unreadable())? {
            // Own properties are the common case; the chain is walked only past them. A
            // Proxy that makes up properties in a `get` trap alone, with no `has` trap,
            // reads as having none.
            if !object.has_named_property(key).map_err(|_| unreadable())? {
                return Ok(None);
            }
            let env = Env::from_raw(raw_env);
            let polluted: Function<FnArgs<(Object, &str)>, bool> =
                EnvData::helper(&env, "isPolluted").map_err(|_| unreadable())?;
            let args = FnArgs::from((*object, key));
            if polluted.call(args).map_err(|_| unreadable())? {
                return Ok(None);
            }
        }
        let value = object.get_named_property::<Unknown>(key);
        value.map(Some).map_err(|_| unreadable())
    }

    /// The property, or `None` when it is absent, `undefined` or `null`.
    pub(crate) fn optional(&self, key: &str) -> ArgResult<Option<Unknown<'env>>> {
        Ok(self.get(key)?.filter(|value| !is_absent(value)))
    }

    pub(crate) fn required_string(&self, key: &str) -> ArgResult<String> {
        let path = self.path_of(key);
        match self.optional(key)? {
            Some(value) => string(&path, &value),
            None => Err(Error::invalid_argument(&path, "is required")),
        }
    }

    /// A required id, refused as the Rust client would refuse it but named by its path.
    pub(crate) fn id(&self, key: &str) -> ArgResult<String> {
        let id = self.required_string(key)?;
        leap0::check_id(&self.path_of(key), &id)?;
        Ok(id)
    }

    pub(crate) fn string(&self, key: &str) -> ArgResult<Option<String>> {
        let path = self.path_of(key);
        self.optional(key)?
            .map(|value| string(&path, &value))
            .transpose()
    }

    pub(crate) fn boolean(&self, key: &str) -> ArgResult<Option<bool>> {
        let path = self.path_of(key);
        self.optional(key)?
            .map(|value| cast(&path, &value, ValueType::Boolean, "a boolean"))
            .transpose()
    }

    pub(crate) fn number(&self, key: &str) -> ArgResult<Option<f64>> {
        let path = self.path_of(key);
        self.optional(key)?
            .map(|value| {
                let number: f64 = cast(&path, &value, ValueType::Number, "a number")?;
                if !number.is_finite() {
                    return Err(Error::invalid_argument(&path, "must be a finite number"));
                }
                Ok(number)
            })
            .transpose()
    }

    /// A whole number; the service checks the range.
    pub(crate) fn integer(&self, key: &str) -> ArgResult<Option<i64>> {
        const SAFE: f64 = 9_007_199_254_740_991.0;
        let path = self.path_of(key);
        self.number(key)?
            .map(|number| {
                if number.fract() != 0.0 || number.abs() > SAFE {
                    return Err(Error::invalid_argument(&path, "must be a whole number"));
                }
                // Exact: a whole number within the safe integer range.
                Ok(number as i64)
            })
            .transpose()
    }

    pub(crate) fn count(&self, key: &str) -> ArgResult<Option<u32>> {
        let path = self.path_of(key);
        self.integer(key)?
            .map(|n| {
                u32::try_from(n).map_err(|_| {
                    Error::invalid_argument(&path, "must be a whole number from 0 to 4294967295")
                })
            })
            .transpose()
    }

    /// A duration given in seconds; must be more than zero.
    pub(crate) fn seconds(&self, key: &str) -> ArgResult<Option<Duration>> {
        let path = self.path_of(key);
        self.number(key)?
            .map(|seconds| {
                if seconds <= 0.0 {
                    return Err(Error::invalid_argument(
                        &path,
                        "must be more than 0 seconds",
                    ));
                }
                match Duration::try_from_secs_f64(seconds) {
                    // Under a nanosecond: no time at all, as the Rust client sees it.
                    Ok(duration) if duration.is_zero() => Err(Error::invalid_argument(
                        &path,
                        "must be more than 0 seconds",
                    )),
                    Ok(duration) => Ok(duration),
                    Err(_) => Err(Error::invalid_argument(&path, "is too large")),
                }
            })
            .transpose()
    }

    pub(crate) fn object(&self, key: &str) -> ArgResult<Fields<'env>> {
        Fields::of(&self.path_of(key), self.optional(key)?)
    }

    pub(crate) fn is_present(&self) -> bool {
        self.object.is_some()
    }

    /// An object whose values are all strings, such as `envVars` or `headers`: its own
    /// enumerable keys only, so a polluted `Object.prototype` adds nothing. An array, a `Map`
    /// or a `Headers` is refused, since its entries are not its properties.
    pub(crate) fn string_map(&self, key: &str) -> ArgResult<Option<BTreeMap<String, String>>> {
        let fields = self.object(key)?;
        let Some(object) = &fields.object else {
            return Ok(None);
        };
        let raw_env = object.value().env;
        let unlistable = || {
            clear_thrown(raw_env);
            unreadable(&fields.path)
        };
        let env = Env::from_raw(raw_env);
        let record_keys: Function<Object, Either<Vec<String>, Option<bool>>> =
            EnvData::helper(&env, "recordKeys").map_err(|_| unlistable())?;
        let names = match record_keys.call(*object).map_err(|_| unlistable())? {
            Either::A(names) => names,
            Either::B(None) => {
                return Err(Error::invalid_argument(
                    &fields.path,
                    "must be a plain object of strings, not an array, Map or Headers",
                ));
            }
            Either::B(Some(_)) => {
                return Err(Error::invalid_argument(
                    &fields.path,
                    "has a key that is not well-formed Unicode (a lone surrogate)",
                ));
            }
        };
        let mut map = BTreeMap::new();
        for name in names {
            let path = fields.path_of(&name);
            // A key `Object.keys` listed but that is gone now: a proxy or a getter's doing.
            let value = fields.get(&name)?.ok_or_else(|| unreadable(&path))?;
            let value = string(&path, &value)?;
            map.insert(name, value);
        }
        Ok(Some(map))
    }

    /// An array whose items are all strings.
    pub(crate) fn string_list(&self, key: &str) -> ArgResult<Option<Vec<String>>> {
        let path = self.path_of(key);
        let Some(value) = self.optional(key)? else {
            return Ok(None);
        };
        let array = array(&path, &value, "an array of strings")?;
        let mut items = Vec::with_capacity(array.len() as usize);
        for index in 0..array.len() {
            let item: Unknown = array.get(index).ok().flatten().ok_or_else(|| {
                clear_thrown(array.value().env);
                unreadable(&path)
            })?;
            items.push(string(&format!("{path}[{index}]"), &item)?);
        }
        Ok(Some(items))
    }

    /// An array of objects, each read by `read`.
    pub(crate) fn object_list<T>(
        &self,
        key: &str,
        read: impl Fn(&Fields<'env>) -> ArgResult<T>,
    ) -> ArgResult<Option<Vec<T>>> {
        let path = self.path_of(key);
        let Some(value) = self.optional(key)? else {
            return Ok(None);
        };
        let array = array(&path, &value, "an array of objects")?;
        let mut items = Vec::with_capacity(array.len() as usize);
        for index in 0..array.len() {
            let item: Option<Unknown> = array.get(index).unwrap_or_else(|_| {
                clear_thrown(array.value().env);
                None
            });
            let item_path = format!("{path}[{index}]");
            let fields = Fields::of(&item_path, item)?;
            if !fields.is_present() {
                return Err(Error::invalid_argument(&item_path, "must be an object"));
            }
            items.push(read(&fields)?);
        }
        Ok(Some(items))
    }
}
