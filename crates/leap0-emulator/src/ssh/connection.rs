//! The russh handler of one client connection: logins, session channels, and the answers
//! to channel requests (the channel's own task acts on them, see [`super::channel`]).

use std::borrow::Cow;
use std::sync::Arc;

use russh::server::{Auth, ChannelOpenHandle, Msg, PublicKeyOffer, Response, Session};
use russh::{Channel, ChannelId, MethodKind, MethodSet};
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::auth::{self, Login, Method, Throttle, PASSWORD_PROMPT};
use super::channel::{self, SandboxSession};
use super::{sftp, GatewayError};
use crate::state::{AccessWatch, Store};

/// What the connection's task learns when a login succeeds: whom to log and what to watch.
pub(super) struct LoggedIn {
    pub access_id: String,
    pub sandbox_id: String,
    pub watch: AccessWatch,
}

/// The methods the gateway offers: the credential's password, by either method.
pub(super) fn methods() -> MethodSet {
    MethodSet::from(&[MethodKind::Password, MethodKind::KeyboardInteractive][..])
}

pub(super) struct Connection {
    store: Arc<Store>,
    throttle: Arc<Throttle>,
    /// Taken by the first successful login.
    logged_in: Option<oneshot::Sender<LoggedIn>>,
    sandbox: Option<Arc<SandboxSession>>,
    /// Fires when the connection is over for any reason; channel tasks end with it.
    ended: CancellationToken,
    /// The channel tasks, aborted (and their processes killed) when the handler is dropped.
    channels: JoinSet<()>,
}

impl Connection {
    pub(super) fn new(
        store: Arc<Store>,
        throttle: Arc<Throttle>,
        logged_in: oneshot::Sender<LoggedIn>,
        ended: CancellationToken,
    ) -> Self {
        Self {
            store,
            throttle,
            logged_in: Some(logged_in),
            sandbox: None,
            ended,
            channels: JoinSet::new(),
        }
    }

    async fn login(&mut self, user: &str, password: &str, method: Method) -> Auth {
        let Some(Login { grant, sandbox_dir }) =
            auth::check(&self.store, &self.throttle, user, password, method).await
        else {
            return Auth::Reject {
                proceed_with_methods: Some(methods()),
                partial_success: false,
            };
        };
        let sandbox = SandboxSession {
            access_id: grant.access.id.clone(),
            sandbox_id: grant.access.sandbox_id.clone(),
            dir: sandbox_dir,
            env_vars: grant.env_vars,
        };
        if let Some(logged_in) = self.logged_in.take() {
            let _ = logged_in.send(LoggedIn {
                access_id: grant.access.id,
                sandbox_id: grant.access.sandbox_id,
                watch: grant.watch,
            });
        }
        self.sandbox = Some(Arc::new(sandbox));
        Auth::Accept
    }
}

impl russh::server::Handler for Connection {
    type Error = GatewayError;

    async fn auth_none(&mut self, _user: &str) -> Result<Auth, Self::Error> {
        Ok(Auth::Reject {
            proceed_with_methods: Some(methods()),
            partial_success: false,
        })
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        Ok(self.login(user, password, Method::Password).await)
    }

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        _offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(Auth::Reject {
            proceed_with_methods: Some(methods()),
            partial_success: false,
        })
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        let Some(mut response) = response else {
            return Ok(Auth::Partial {
                name: Cow::Borrowed(""),
                instructions: Cow::Borrowed(""),
                prompts: Cow::Owned(vec![(Cow::Borrowed(PASSWORD_PROMPT), false)]),
            });
        };
        let answer = response.next();
        let password = answer.as_deref().map(std::str::from_utf8);
        let password = match password {
            Some(Ok(password)) => password.to_owned(),
            // No answer, or not text: no password could match, but it still counts.
            _ => String::new(),
        };
        Ok(self
            .login(user, &password, Method::KeyboardInteractive)
            .await)
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Finished channel tasks are collected here, so the set does not grow.
        while self.channels.try_join_next().is_some() {}
        let Some(sandbox) = self.sandbox.clone() else {
            // russh opens channels only after a login; dropping `reply` refuses this one.
            return Ok(());
        };
        self.channels
            .spawn(channel::run(channel, sandbox, self.ended.clone()));
        reply.accept().await;
        Ok(())
    }

    // The replies below are sent here, in request order, because russh keeps one pending
    // want-reply per channel; the channel task does the work.

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        Ok(session.channel_success(channel)?)
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _variable_name: &str,
        _variable_value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        Ok(session.channel_success(channel)?)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        Ok(session.channel_success(channel)?)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // A command that cannot start still gets a channel: its error goes to stderr and
        // its exit status is 127, as a shell would answer.
        Ok(session.channel_success(channel)?)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if name == sftp::SUBSYSTEM {
            session.channel_success(channel)?;
        } else {
            session.channel_failure(channel)?;
        }
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        channel: ChannelId,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        Ok(session.channel_success(channel)?)
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single_connection: bool,
        _x11_auth_protocol: &str,
        _x11_auth_cookie: &str,
        _x11_screen_number: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        Ok(session.channel_failure(channel)?)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // The session is over; whatever its channels still run goes with it.
        self.ended.cancel();
    }
}
