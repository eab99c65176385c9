//! `client.ssh` and `sandbox.ssh`: issue, check, rotate and revoke SSH credentials.

use leap0::models;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::args::{sandbox_id, ArgResult, Fields};
use crate::call::start;
use crate::errors;

/// An SSH credential for a sandbox.
#[napi(object, object_from_js = false)]
pub struct SshAccess {
    /// The credential's id, which is also the SSH username.
    pub id: String,
    /// The sandbox the credential opens.
    pub sandbox_id: String,
    /// The SSH password. Keep it secret; it is only shown when issued or regenerated.
    pub password: String,
    /// When the credential expires, ISO 8601.
    pub expires_at: String,
    /// When the credential was created, ISO 8601.
    pub created_at: String,
    /// When the credential was last regenerated, ISO 8601.
    pub updated_at: String,
    /// The command that opens a shell in the sandbox, such as `ssh -p 2222 id@host`.
    pub ssh_command: String,
}

impl From<models::SshAccess> for SshAccess {
    fn from(access: models::SshAccess) -> Self {
        SshAccess {
            id: access.id,
            sandbox_id: access.sandbox_id,
            password: access.password,
            expires_at: access.expires_at,
            created_at: access.created_at,
            updated_at: access.updated_at,
            ssh_command: access.ssh_command,
        }
    }
}

/// The result of checking a credential.
#[napi(object, object_from_js = false)]
pub struct SshValidation {
    /// Whether the password is right and the credential has not expired.
    pub valid: bool,
    /// The sandbox the credential opens.
    pub sandbox_id: String,
}

impl From<models::SshValidation> for SshValidation {
    fn from(validation: models::SshValidation) -> Self {
        SshValidation {
            valid: validation.valid,
            sandbox_id: validation.sandbox_id,
        }
    }
}

/// Which credential a call is about: an {@link SshAccess} will do.
#[napi(object, object_to_js = false)]
pub struct SshAccessRef {
    /// The credential's id (its SSH username).
    pub id: String,
}

impl SshAccessRef {
    fn read(value: Unknown) -> ArgResult<Self> {
        let fields = Fields::required("access", value)?;
        Ok(SshAccessRef {
            id: fields.id("id")?,
        })
    }
}

/// A credential and the password to check.
#[napi(object, object_to_js = false)]
pub struct SshCredential {
    /// The credential's id (its SSH username).
    pub id: String,
    /// The password to check.
    pub password: String,
}

impl SshCredential {
    fn read(value: Unknown) -> ArgResult<Self> {
        let fields = Fields::required("credential", value)?;
        Ok(SshCredential {
            id: fields.id("id")?,
            password: fields.required_string("password")?,
        })
    }
}

/// SSH access calls: `client.ssh`.
#[napi]
pub struct SshClient {
    client: leap0::Client,
}

impl SshClient {
    pub(crate) fn new(client: leap0::Client) -> Self {
        SshClient { client }
    }
}

#[napi]
impl SshClient {
    /// Not for JavaScript to call: get one from `client.ssh`.
    #[napi(constructor, ts_args_type = "notConstructible: never")]
    pub fn js_new(env: Env) -> Result<Self> {
        Err(errors::not_constructible(&env, "SshClient", "client.ssh"))
    }
    /// Issues a new SSH credential for a sandbox.
    #[napi]
    pub fn create_access<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "SandboxRef")] sandbox: Unknown<'env>,
        #[napi(ts_arg_type = "RequestOptions")] options: Option<Unknown<'env>>,
    ) -> Result<PromiseRaw<'env, SshAccess>> {
        let id = sandbox_id("sandbox", &sandbox);
        create_access(env, &self.client, id, options)
    }

    /// Checks a credential's password and expiry. A wrong password or an expired credential
    /// resolves `{ valid: false }`; an unknown one rejects with `Leap0NotFoundError`.
    #[napi]
    pub fn validate_access<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "SandboxRef")] sandbox: Unknown<'env>,
        #[napi(ts_arg_type = "SshCredential")] credential: Unknown<'env>,
        #[napi(ts_arg_type = "RequestOptions")] options: Option<Unknown<'env>>,
    ) -> Result<PromiseRaw<'env, SshValidation>> {
        let id = sandbox_id("sandbox", &sandbox);
        validate_access(env, &self.client, id, credential, options)
    }

    /// Issues a new password for a credential: the old one stops working at once, and the
    /// expiry starts again.
    #[napi]
    pub fn regenerate_access<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "SandboxRef")] sandbox: Unknown<'env>,
        #[napi(ts_arg_type = "SshAccessRef")] access: Unknown<'env>,
        #[napi(ts_arg_type = "RequestOptions")] options: Option<Unknown<'env>>,
    ) -> Result<PromiseRaw<'env, SshAccess>> {
        let id = sandbox_id("sandbox", &sandbox);
        regenerate_access(env, &self.client, id, access, options)
    }

    /// Revokes a credential; SSH sessions opened with it are closed.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_access<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "SandboxRef")] sandbox: Unknown<'env>,
        #[napi(ts_arg_type = "SshAccessRef")] access: Unknown<'env>,
        #[napi(ts_arg_type = "RequestOptions")] options: Option<Unknown<'env>>,
    ) -> Result<PromiseRaw<'env, ()>> {
        let id = sandbox_id("sandbox", &sandbox);
        delete_access(env, &self.client, id, access, options)
    }
}

/// The SSH access calls of one sandbox: `sandbox.ssh`.
#[napi]
pub struct SandboxSshClient {
    client: leap0::Client,
    sandbox_id: String,
}

impl SandboxSshClient {
    pub(crate) fn new(client: leap0::Client, sandbox_id: String) -> Self {
        SandboxSshClient { client, sandbox_id }
    }
}

#[napi]
impl SandboxSshClient {
    /// Not for JavaScript to call: get one from `sandbox.ssh`.
    #[napi(constructor, ts_args_type = "notConstructible: never")]
    pub fn js_new(env: Env) -> Result<Self> {
        Err(errors::not_constructible(
            &env,
            "SandboxSshClient",
            "sandbox.ssh",
        ))
    }
    /// The id of the sandbox these calls are bound to.
    #[napi(getter)]
    pub fn sandbox_id(&self) -> String {
        self.sandbox_id.clone()
    }

    /// Issues a new SSH credential for this sandbox.
    #[napi]
    pub fn create_access<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "RequestOptions")] options: Option<Unknown<'env>>,
    ) -> Result<PromiseRaw<'env, SshAccess>> {
        create_access(env, &self.client, Ok(self.sandbox_id.clone()), options)
    }

    /// Checks a credential's password and expiry.
    #[napi]
    pub fn validate_access<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "SshCredential")] credential: Unknown<'env>,
        #[napi(ts_arg_type = "RequestOptions")] options: Option<Unknown<'env>>,
    ) -> Result<PromiseRaw<'env, SshValidation>> {
        let sandbox = Ok(self.sandbox_id.clone());
        validate_access(env, &self.client, sandbox, credential, options)
    }

    /// Issues a new password for a credential of this sandbox.
    #[napi]
    pub fn regenerate_access<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "SshAccessRef")] access: Unknown<'env>,
        #[napi(ts_arg_type = "RequestOptions")] options: Option<Unknown<'env>>,
    ) -> Result<PromiseRaw<'env, SshAccess>> {
        let sandbox = Ok(self.sandbox_id.clone());
        regenerate_access(env, &self.client, sandbox, access, options)
    }

    /// Revokes a credential of this sandbox.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_access<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "SshAccessRef")] access: Unknown<'env>,
        #[napi(ts_arg_type = "RequestOptions")] options: Option<Unknown<'env>>,
    ) -> Result<PromiseRaw<'env, ()>> {
        let sandbox = Ok(self.sandbox_id.clone());
        delete_access(env, &self.client, sandbox, access, options)
    }
}

// The calls themselves, shared by `client.ssh` and `sandbox.ssh`. The sandbox id comes in
// already read, or as the error reading it gave, so that error rejects the promise.

fn create_access<'env>(
    env: &'env Env,
    client: &leap0::Client,
    sandbox: ArgResult<String>,
    options: Option<Unknown<'env>>,
) -> Result<PromiseRaw<'env, SshAccess>> {
    start(
        env,
        client,
        options,
        move |client, options| {
            let sandbox = sandbox?;
            Ok(async move { client.ssh().create_access(&sandbox, &options).await })
        },
        |_, access| Ok(SshAccess::from(access)),
    )
}

fn validate_access<'env>(
    env: &'env Env,
    client: &leap0::Client,
    sandbox: ArgResult<String>,
    credential: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> Result<PromiseRaw<'env, SshValidation>> {
    start(
        env,
        client,
        options,
        move |client, options| {
            let sandbox = sandbox?;
            let credential = SshCredential::read(credential)?;
            Ok(async move {
                let ssh = client.ssh();
                let (id, password) = (&credential.id, &credential.password);
                ssh.validate_access(&sandbox, id, password, &options).await
            })
        },
        |_, validation| Ok(SshValidation::from(validation)),
    )
}

fn regenerate_access<'env>(
    env: &'env Env,
    client: &leap0::Client,
    sandbox: ArgResult<String>,
    access: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> Result<PromiseRaw<'env, SshAccess>> {
    start(
        env,
        client,
        options,
        move |client, options| {
            let sandbox = sandbox?;
            let access = SshAccessRef::read(access)?;
            Ok(async move {
                let ssh = client.ssh();
                ssh.regenerate_access(&sandbox, &access.id, &options).await
            })
        },
        |_, access| Ok(SshAccess::from(access)),
    )
}

fn delete_access<'env>(
    env: &'env Env,
    client: &leap0::Client,
    sandbox: ArgResult<String>,
    access: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> Result<PromiseRaw<'env, ()>> {
    start(
        env,
        client,
        options,
        move |client, options| {
            let sandbox = sandbox?;
            let access = SshAccessRef::read(access)?;
            Ok(async move {
                client
                    .ssh()
                    .delete_access(&sandbox, &access.id, &options)
                    .await
            })
        },
        |_, ()| Ok(()),
    )
}
