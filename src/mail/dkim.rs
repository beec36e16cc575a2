//! DKIM signing (RFC 6376) with lettre's signer, from `[dkim]`: selector, domain, key file.
//!
//! lettre signs From, Subject, To and Date by default; RFC 8058 wants `List-Unsubscribe` and
//! `List-Unsubscribe-Post` under the signature too (else a forwarder could forge a one-click
//! link), so the list below names them, with every other header a reader or a filter relies on.

use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;
use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
use rsa::pkcs8::DecodePrivateKey;

use crate::config::DkimSettings;

/// The headers signed. Not `Content-Type`: lettre writes a multipart's `Content-Type` with the
/// body, so its signer cannot see it, and a verifier would find it listed but changed.
const SIGNED: [&str; 9] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
];

/// The signer, or `None` when `[dkim]` is not set. Reads and checks the key now, so a bad key
/// stops the send before the first message.
pub fn config(s: &DkimSettings, with_reply_to: bool) -> Result<Option<DkimConfig>, String> {
    let (Some(selector), Some(domain), Some(path)) = (&s.selector, &s.domain, &s.key_file) else {
        return Ok(None);
    };
    let pem = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read dkim.key_file {}: {e}", path.display()))?;
    // lettre reads PKCS#1 (`BEGIN RSA PRIVATE KEY`); `openssl genrsa` writes PKCS#8 today.
    let pkcs1 = if pem.contains("BEGIN PRIVATE KEY") {
        rsa::RsaPrivateKey::from_pkcs8_pem(&pem)
            .and_then(|k| {
                k.to_pkcs1_pem(LineEnding::LF)
                    .map_err(rsa::pkcs8::Error::from)
            })
            .map_err(|e| format!("dkim.key_file {}: not an RSA key: {e}", path.display()))?
            .to_string()
    } else {
        pem
    };
    let key = DkimSigningKey::new(&pkcs1, DkimSigningAlgorithm::Rsa)
        .map_err(|e| format!("dkim.key_file {}: not an RSA key: {e}", path.display()))?;
    let mut headers: Vec<HeaderName> = SIGNED
        .iter()
        .map(|h| HeaderName::new_from_ascii_str(h))
        .collect();
    if with_reply_to {
        headers.push(HeaderName::new_from_ascii_str("Reply-To"));
    }
    Ok(Some(DkimConfig::new(
        super::message::one_line(selector),
        super::message::one_line(domain),
        key,
        headers,
        DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        },
    )))
}
