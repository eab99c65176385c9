//! Random identifiers, passwords and API keys, and the password hashing.

use argon2::password_hash::{self, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::{OsRng, StdRng};
use rand::{Rng, SeedableRng, TryRngCore};

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Characters in an issued SSH password: 32 of 62 symbols, about 190 bits.
pub const PASSWORD_LEN: usize = 32;

// Issued passwords carry ~190 bits of entropy, so no guessing attack benefits from key
// stretching: a 1 MiB, single-pass Argon2id keeps a validate at a few milliseconds while
// still storing nothing that reveals the password.
const HASH_PARAMS: Params = match Params::new(1024, 1, 1, None) {
    Ok(params) => params,
    Err(_) => panic!("invalid Argon2 parameters"),
};

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the OS random number generator failed")]
    Rng(#[from] rand::rand_core::OsError),
    #[error("password hashing failed")]
    Hash(#[from] password_hash::Error),
}

// A ChaCha generator keyed from the OS CSPRNG for each token: as unpredictable as reading
// the OS source directly, and unlike `OsRng`'s infallible adapter it reports a failing
// source instead of panicking.
fn os_seeded_rng() -> Result<StdRng, SecretError> {
    let mut seed = <StdRng as SeedableRng>::Seed::default();
    OsRng.try_fill_bytes(&mut seed)?;
    Ok(StdRng::from_seed(seed))
}

fn push_random(out: &mut String, rng: &mut StdRng, alphabet: &[u8], len: usize) {
    out.extend((0..len).map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())])));
}

/// Whether `part` could be the random part of an id [`prefixed_id`] made with `len`.
pub fn is_random_id_part(part: &str, len: usize) -> bool {
    part.len() == len && part.bytes().all(|b| LOWER_ALNUM.contains(&b))
}

/// `prefix` followed by `len` random lowercase letters and digits, e.g. `sbx-k3…`.
pub fn prefixed_id(prefix: &str, len: usize) -> Result<String, SecretError> {
    let mut rng = os_seeded_rng()?;
    let mut id = String::with_capacity(prefix.len() + len);
    id.push_str(prefix);
    push_random(&mut id, &mut rng, LOWER_ALNUM, len);
    Ok(id)
}

/// An SSH access id, which doubles as the SSH username: a lowercase letter, then lowercase
/// letters and digits, 20 characters in all (about 98 bits).
pub fn access_id() -> Result<String, SecretError> {
    let mut rng = os_seeded_rng()?;
    let mut id = String::with_capacity(20);
    push_random(&mut id, &mut rng, LOWER, 1);
    push_random(&mut id, &mut rng, LOWER_ALNUM, 19);
    Ok(id)
}

/// A fresh SSH password of [`PASSWORD_LEN`] letters and digits.
pub fn password() -> Result<String, SecretError> {
    let mut rng = os_seeded_rng()?;
    let mut password = String::with_capacity(PASSWORD_LEN);
    push_random(&mut password, &mut rng, ALNUM, PASSWORD_LEN);
    Ok(password)
}

/// An API key for an instance started without one.
pub fn api_key() -> Result<String, SecretError> {
    let mut rng = os_seeded_rng()?;
    let mut key = String::from("l0emu_");
    push_random(&mut key, &mut rng, ALNUM, 40);
    Ok(key)
}

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, HASH_PARAMS)
}

/// The PHC string of `password`, salted from the OS CSPRNG. CPU-bound: call off the
/// async threads.
pub fn hash_password(password: &str) -> Result<String, SecretError> {
    let mut salt = [0u8; 16];
    OsRng.try_fill_bytes(&mut salt)?;
    let salt = SaltString::encode_b64(&salt)?;
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches the PHC string `phc`. CPU-bound: call off the async threads.
pub fn verify_password(password: &str, phc: &str) -> Result<bool, SecretError> {
    let hash = PasswordHash::new(phc)?;
    match hasher().verify_password(password.as_bytes(), &hash) {
        Ok(()) => Ok(true),
        Err(password_hash::Error::Password) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_ids_are_valid_ssh_usernames() {
        for _ in 0..200 {
            let id = access_id().unwrap();
            assert!(id.len() <= 32);
            assert!(id.as_bytes()[0].is_ascii_lowercase());
            assert!(id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        }
    }

    #[test]
    fn passwords_are_long_and_distinct() {
        let a = password().unwrap();
        let b = password().unwrap();
        assert!(a.len() >= 24);
        assert_ne!(a, b);
    }

    #[test]
    fn hashes_verify_only_their_password() {
        let phc = hash_password("correct horse").unwrap();
        assert!(!phc.contains("correct horse"));
        assert!(verify_password("correct horse", &phc).unwrap());
        assert!(!verify_password("wrong horse", &phc).unwrap());
    }
}
