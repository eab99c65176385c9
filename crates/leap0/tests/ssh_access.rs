//! SSH access calls against the emulator: issue, check, rotate and revoke a credential.

mod support;

use leap0::ErrorKind;
use support::{opts, start, REGEN, VALIDATE};

#[tokio::test]
async fn the_whole_credential_flow() {
    let harness = start().await;
    let sandbox = harness.sandbox().await;
    let ssh = harness.client.ssh();

    let access = ssh.create_access(&sandbox, &opts()).await.expect("issued");
    assert_eq!(access.sandbox_id, sandbox);
    assert!(!access.password.is_empty());
    assert!(
        access.ssh_command.contains(&access.id),
        "{}",
        access.ssh_command
    );
    assert!(!format!("{access:?}").contains(&access.password));

    let check = |password: String| {
        let (ssh, sandbox, id) = (harness.client.ssh(), sandbox.clone(), access.id.clone());
        async move { ssh.validate_access(&sandbox, &id, &password, &opts()).await }
    };
    let valid = check(access.password.clone()).await.expect("validated");
    assert!(valid.valid);
    assert_eq!(valid.sandbox_id, sandbox);
    let wrong = check("not-the-password".to_owned())
        .await
        .expect("validated");
    assert!(!wrong.valid, "a wrong password is an answer, not an error");

    let regenerated = ssh.regenerate_access(&sandbox, &access.id, &opts()).await;
    let regenerated = regenerated.expect("regenerated");
    assert_eq!(regenerated.id, access.id);
    assert_ne!(regenerated.password, access.password);
    assert!(!check(access.password.clone()).await.expect("old").valid);
    assert!(
        check(regenerated.password.clone())
            .await
            .expect("new")
            .valid
    );

    ssh.delete_access(&sandbox, &access.id, &opts())
        .await
        .expect("revoked");
    assert_eq!(harness.state().await, (1, 0));
    let error = check(regenerated.password.clone())
        .await
        .expect_err("revoked");
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(error.status(), Some(404));
    assert!(!error.to_string().contains(&regenerated.password));
    assert_eq!(harness.stats(VALIDATE).await.received, 5);
    assert_eq!(harness.stats(REGEN).await.applied, 1);
}

#[tokio::test]
async fn unknown_sandboxes_and_credentials_are_not_found() {
    let harness = start().await;
    let ssh = harness.client.ssh();
    let error = ssh
        .create_access("sbx-nope", &opts())
        .await
        .expect_err("no sandbox");
    assert_eq!(error.kind(), ErrorKind::NotFound);

    let sandbox = harness.sandbox().await;
    let error = ssh.regenerate_access(&sandbox, "nope", &opts()).await;
    assert_eq!(
        error.expect_err("no credential").kind(),
        ErrorKind::NotFound
    );
    let error = ssh.delete_access(&sandbox, "nope", &opts()).await;
    assert_eq!(
        error.expect_err("no credential").kind(),
        ErrorKind::NotFound
    );
    assert_eq!(harness.state().await, (1, 0));
}

#[tokio::test]
async fn deleting_a_sandbox_revokes_its_credentials() {
    let harness = start().await;
    let sandbox = harness.sandbox().await;
    let ssh = harness.client.ssh();
    let access = ssh.create_access(&sandbox, &opts()).await.expect("issued");
    assert_eq!(harness.state().await, (1, 1));

    harness
        .client
        .sandboxes()
        .delete(&sandbox, &opts())
        .await
        .expect("deleted");
    let error = ssh
        .validate_access(&sandbox, &access.id, &access.password, &opts())
        .await;
    assert_eq!(error.expect_err("gone").kind(), ErrorKind::NotFound);
}
