//! `client.sandboxes`: create, get, list and delete sandboxes.

use leap0::models;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::args::sandbox_id;
use crate::call::start;
use crate::env_data::EnvData;
use crate::errors;
use crate::sandbox_types::{CreateSandboxParams, ListSandboxesParams, SandboxInfo, SandboxPage};
use crate::ssh::SandboxSshClient;

/// A sandbox as `create` and `get` resolve it: its data as plain enumerable fields, with the
/// bound calls `ssh` and `delete()` added as non-enumerable properties.
pub struct SandboxValue {
    info: SandboxInfo,
    client: leap0::Client,
}

impl ToNapiValue for SandboxValue {
    unsafe fn to_napi_value(raw_env: sys::napi_env, value: Self) -> Result<sys::napi_value> {
        let env = Env::from_raw(raw_env);
        let sandbox_id = value.info.id.clone();
        // SAFETY: called by napi with the live environment it is converting in.
        let data = unsafe { SandboxInfo::to_napi_value(raw_env, value.info) }?;
        // SAFETY: `data` was just created in this environment.
        let data = unsafe { Object::from_napi_value(raw_env, data) }?;
        let ssh = SandboxSshClient::new(value.client.clone(), sandbox_id).into_instance(&env)?;
        let sandboxes = SandboxesClient {
            client: value.client,
        }
        .into_instance(&env)?;
        let attach: AttachSandboxCalls = EnvData::helper(&env, "attachSandboxCalls")?;
        let sandbox = attach.call(FnArgs::from((data, ssh, sandboxes)))?;
        Ok(sandbox.raw())
    }
}

/// `attachSandboxCalls(data, ssh, sandboxes)` of helpers.js.
type AttachSandboxCalls<'env> = Function<
    'env,
    FnArgs<(
        Object<'env>,
        ClassInstance<'env, SandboxSshClient>,
        ClassInstance<'env, SandboxesClient>,
    )>,
    Object<'env>,
>;

/// Sandbox calls: `client.sandboxes`.
#[napi]
pub struct SandboxesClient {
    client: leap0::Client,
}

impl SandboxesClient {
    pub(crate) fn new(client: leap0::Client) -> Self {
        SandboxesClient { client }
    }
}

#[napi]
impl SandboxesClient {
    /// Not for JavaScript to call: get one from `client.sandboxes`.
    #[napi(constructor, ts_args_type = "notConstructible: never")]
    pub fn js_new(env: Env) -> Result<Self> {
        Err(errors::not_constructible(
            &env,
            "SandboxesClient",
            "client.sandboxes",
        ))
    }
    /// Creates a sandbox and resolves it once the service has accepted it.
    #[napi(ts_return_type = "Promise<Sandbox>")]
    pub fn create<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "CreateSandboxParams")] params: Option<Unknown<'env>>,
        #[napi(ts_arg_type = "RequestOptions")] options: Option<Unknown<'env>>,
    ) -> Result<PromiseRaw<'env, SandboxValue>> {
        let bound = self.client.clone();
        start(
            env,
            &self.client,
            options,
            move |client, options| {
                let params: leap0::CreateSandboxParams = CreateSandboxParams::read(params)?.into();
                Ok(async move { client.sandboxes().create(&params, &options).await })
            },
            move |_, sandbox| Ok(sandbox_value(sandbox, bound)),
        )
    }

    /// Fetches a sandbox's current status.
    #[napi(ts_return_type = "Promise<Sandbox>")]
    pub fn get<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "SandboxRef")] sandbox: Unknown<'env>,
        #[napi(ts_arg_type = "RequestOptions")] options: Option<Unknown<'env>>,
    ) -> Result<PromiseRaw<'env, SandboxValue>> {
        let bound = self.client.clone();
        start(
            env,
            &self.client,
            options,
            move |client, options| {
                let id = sandbox_id("sandbox", &sandbox)?;
                Ok(async move { client.sandboxes().get(&id, &options).await })
            },
            move |_, sandbox| Ok(sandbox_value(sandbox, bound)),
        )
    }

    /// Lists sandboxes, one page at a time, newest first unless `params` says otherwise.
    #[napi]
    pub fn list<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "ListSandboxesParams")] params: Option<Unknown<'env>>,
        #[napi(ts_arg_type = "RequestOptions")] options: Option<Unknown<'env>>,
    ) -> Result<PromiseRaw<'env, SandboxPage>> {
        start(
            env,
            &self.client,
            options,
            move |client, options| {
                let params: leap0::ListSandboxesParams = ListSandboxesParams::read(params)?.into();
                Ok(async move { client.sandboxes().list(&params, &options).await })
            },
            |_, page| Ok(SandboxPage::from(page)),
        )
    }

    /// Deletes a sandbox, its SSH credentials and its sessions.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "SandboxRef")] sandbox: Unknown<'env>,
        #[napi(ts_arg_type = "RequestOptions")] options: Option<Unknown<'env>>,
    ) -> Result<PromiseRaw<'env, ()>> {
        start(
            env,
            &self.client,
            options,
            move |client, options| {
                let id = sandbox_id("sandbox", &sandbox)?;
                Ok(async move { client.sandboxes().delete(&id, &options).await })
            },
            |_, ()| Ok(()),
        )
    }
}

fn sandbox_value(sandbox: models::Sandbox, client: leap0::Client) -> SandboxValue {
    SandboxValue {
        info: sandbox.into(),
        client,
    }
}
