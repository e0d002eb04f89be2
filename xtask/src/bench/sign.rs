//! `xtask bench-sign`: ring's single-thread signing rate per JWS algorithm, the ceiling
//! of any endpoint that signs one token per request. Prints one JSON object.

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use serde::{Deserialize, Serialize};

/// Bytes signed per operation: about a JWS signing input of an ID token.
const MESSAGE_BYTES: usize = 600;

/// Signatures per second, one thread.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub(crate) struct Rates {
    /// RS256, RSA-2048 (key from the `rsa` crate, as the server makes them).
    pub(crate) rs256: f64,
    /// ES256, P-256.
    pub(crate) es256: f64,
    /// EdDSA, Ed25519.
    pub(crate) eddsa: f64,
    /// Bytes per signed message.
    pub(crate) message_bytes: usize,
    /// Seconds spent per algorithm.
    pub(crate) seconds_each: f64,
}

/// Signs in a loop for `for_how_long`; returns signatures per second.
fn rate(for_how_long: Duration, mut sign: impl FnMut() -> Result<()>) -> Result<f64> {
    sign()?; // warm caches and fail early
    let start = Instant::now();
    let mut n: u32 = 0;
    while start.elapsed() < for_how_long {
        sign()?;
        n += 1;
    }
    Ok(f64::from(n) / start.elapsed().as_secs_f64())
}

/// Entry point: `bench-sign [SECONDS_EACH]`.
pub(crate) fn main(args: &[String]) -> Result<()> {
    let seconds: f64 = match args.first() {
        Some(s) => s.parse().context("seconds")?,
        None => 2.0,
    };
    let each = Duration::from_secs_f64(seconds);
    let rng = SystemRandom::new();
    let message: Vec<u8> = (0..MESSAGE_BYTES)
        .map(|i| b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."[i % 65])
        .collect();

    let rsa_pkcs8 = {
        use rsa::pkcs8::EncodePrivateKey;
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)?;
        key.to_pkcs8_der()?.as_bytes().to_vec()
    };
    let rsa = RsaKeyPair::from_pkcs8(&rsa_pkcs8).map_err(|e| anyhow!("RSA key: {e}"))?;
    let mut signature = vec![0; rsa.public().modulus_len()];
    let rs256 = rate(each, || {
        rsa.sign(&RSA_PKCS1_SHA256, &rng, black_box(&message), &mut signature)
            .map_err(|_| anyhow!("RS256 signing failed"))?;
        black_box(&signature);
        Ok(())
    })?;

    let ec_pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|_| anyhow!("P-256 key generation failed"))?;
    let ec = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, ec_pkcs8.as_ref(), &rng)
        .map_err(|e| anyhow!("P-256 key: {e}"))?;
    let es256 = rate(each, || {
        let s = ec
            .sign(&rng, black_box(&message))
            .map_err(|_| anyhow!("ES256 signing failed"))?;
        black_box(s.as_ref());
        Ok(())
    })?;

    let ed_pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|_| anyhow!("Ed25519 key generation failed"))?;
    let ed =
        Ed25519KeyPair::from_pkcs8(ed_pkcs8.as_ref()).map_err(|e| anyhow!("Ed25519 key: {e}"))?;
    let eddsa = rate(each, || {
        black_box(ed.sign(black_box(&message)).as_ref());
        Ok(())
    })?;

    let rates = Rates {
        rs256,
        es256,
        eddsa,
        message_bytes: MESSAGE_BYTES,
        seconds_each: seconds,
    };
    println!("{}", serde_json::to_string(&rates)?);
    Ok(())
}
