//! The message as a mail client and a receiving server see it: MIME structure, encoded UTF-8
//! headers, list headers, no header injection, and a DKIM signature checked by a real verifier
//! (dkimpy, Debian's python3-dkim) that also covers the unsubscribe headers.

use std::process::Command;

use mail_parser::{MessageParser, MimeHeaders};

use crate::delivery::{FAST, app_with, ledger, newsletter, readers};
use crate::helpers::Relay;

/// Replaces the site title of a test configuration.
fn retitle(app: &crate::helpers::TestApp, title_toml: &str) {
    let text = std::fs::read_to_string(&app.config).unwrap();
    let text = text.replacen(
        "title = \"Tech Daily Chronicle\"",
        &format!("title = {title_toml}"),
        1,
    );
    let text = text.replacen(
        "from = \"Tech Daily Chronicle <digest@chronicle.test>\"",
        "from = \"Хроника ✉ Ünïcode <digest@chronicle.test>\"",
        1,
    );
    std::fs::write(&app.config, text).unwrap();
}

/// A header's raw value, unfolded (the first one of that name).
fn header_text(raw: &[u8], name: &str) -> String {
    let text = String::from_utf8_lossy(raw);
    let head = text
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .replace("\r\n ", " ");
    let head = head.replace("\r\n\t", " ");
    head.split("\r\n")
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_message_has_every_header_a_reader_and_a_receiver_need() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(tmp.path());
    let app = app_with(relay.port, "", FAST);
    retitle(&app, "\"Хроника недели\"");
    let pool = newsletter(&app, &readers(&["ada"])).await;
    app.ok(&["send", "--week", "2026-W47"]);
    let raw = relay.saved().pop().expect("one message");
    let m = MessageParser::default().parse(&raw).unwrap();
    let token: String =
        sqlx::query_scalar("SELECT token FROM subscribers WHERE email = 'ada@example.org'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let link = format!("http://chronicle.test/unsubscribe/{token}");

    assert!(
        m.subject().unwrap().contains("Хроника недели"),
        "{:?}",
        m.subject()
    );
    let from = m.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("Хроника ✉ Ünïcode"));
    assert_eq!(from.address(), Some("digest@chronicle.test"));
    assert_eq!(
        m.reply_to().unwrap().first().unwrap().address(),
        Some("organisers@chronicle.test")
    );
    assert!(m.date().is_some());
    let l = ledger(&pool, "2026-W47").await;
    let id = l["ada@example.org"].message_id.clone().unwrap();
    assert_eq!(format!("<{}>", m.message_id().unwrap()), id);
    assert!(id.ends_with("@chronicle.test>"), "{id}");
    // No ASCII letter in the title: the list id still has a valid label.
    assert_eq!(header_text(&raw, "List-Id"), "<digest.chronicle.test>");
    assert_eq!(
        header_text(&raw, "List-Unsubscribe"),
        format!("<{link}>, <mailto:digest@chronicle.test?subject=unsubscribe%20{token}>")
    );
    assert_eq!(
        header_text(&raw, "List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    let ct = m.content_type().unwrap();
    assert_eq!(
        (ct.ctype(), ct.subtype()),
        ("multipart", Some("alternative"))
    );
    assert!(m.body_text(0).unwrap().contains(&link));
    assert!(m.body_html(0).unwrap().contains(&link));
    // Raw headers are 7-bit: UTF-8 only as RFC 2047 encoded words.
    let head = &raw[..raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap()];
    assert!(head.is_ascii(), "{}", String::from_utf8_lossy(head));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_title_with_line_breaks_cannot_add_headers_or_recipients() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = Relay::start(tmp.path());
    let app = app_with(relay.port, "", FAST);
    retitle(
        &app,
        "\"Weekly\\r\\nBcc: victim@attacker.test\\r\\nX-Evil: 1\"",
    );
    newsletter(&app, &readers(&["ada"])).await;
    app.ok(&["send", "--week", "2026-W47"]);
    let got = relay.accepted();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt, ["ada@example.org"]);
    let raw = relay.saved().pop().unwrap();
    let text = String::from_utf8_lossy(&raw);
    let head = text.split("\r\n\r\n").next().unwrap();
    for line in head.split("\r\n") {
        assert!(
            !line.starts_with("Bcc:") && !line.starts_with("X-Evil:"),
            "injected header: {line}"
        );
    }
    let m = MessageParser::default().parse(&raw).unwrap();
    assert!(
        m.subject()
            .unwrap()
            .contains("Weekly  Bcc: victim@attacker.test"),
        "{:?}",
        m.subject()
    );
}

const VERIFY: &str = r#"
import sys, dkim
msg = open(sys.argv[1], "rb").read()
record = open(sys.argv[2], "rb").read()
def dns(name, timeout=5):
    assert name == b"news2026._domainkey.chronicle.test.", name
    return record
print("pass" if dkim.verify(msg, dnsfunc=dns) else "fail")
"#;

fn dkim_verify(dir: &std::path::Path, raw: &[u8], record: &str) -> String {
    let msg = dir.join("signed.eml");
    std::fs::write(&msg, raw).unwrap();
    let rec = dir.join("record.txt");
    std::fs::write(&rec, record).unwrap();
    let out = Command::new("/usr/bin/python3")
        .args(["-c", VERIFY])
        .arg(&msg)
        .arg(&rec)
        .output()
        .expect("python3 with python3-dkim");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn dkim_signatures_verify_and_cover_the_unsubscribe_headers() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("dkim.pem");
    let made = Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&key)
        .arg("2048")
        .output()
        .expect("openssl");
    assert!(made.status.success());
    let der = Command::new("openssl")
        .args(["rsa", "-pubout", "-outform", "DER", "-in"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(der.status.success());
    use base64::Engine as _;
    let record = format!(
        "v=DKIM1; k=rsa; p={}",
        base64::engine::general_purpose::STANDARD.encode(&der.stdout)
    );
    let relay = Relay::start(tmp.path());
    let extra = format!(
        "{FAST}\n[dkim]\nselector = \"news2026\"\ndomain = \"chronicle.test\"\nkey_file = \"{}\"\n",
        key.display()
    );
    let app = app_with(relay.port, "", &extra);
    newsletter(&app, &readers(&["ada"])).await;
    app.ok(&["send", "--week", "2026-W47"]);
    let raw = relay.saved().pop().unwrap();
    if let Ok(p) = std::env::var("KEEP_DKIM") {
        std::fs::write(format!("{p}.eml"), &raw).unwrap();
        std::fs::write(format!("{p}.txt"), &record).unwrap();
    }

    let sig = header_text(&raw, "DKIM-Signature").to_ascii_lowercase();
    let h: String = sig
        .split(';')
        .find_map(|t| t.trim().strip_prefix("h=").map(str::to_string))
        .unwrap();
    let signed: Vec<&str> = h.split(':').map(str::trim).collect();
    for name in [
        "from",
        "subject",
        "message-id",
        "list-unsubscribe",
        "list-unsubscribe-post",
        "list-id",
    ] {
        assert!(signed.contains(&name), "{name} not signed: {sig}");
    }
    assert_eq!(dkim_verify(tmp.path(), &raw, &record), "pass");

    // A forwarder that swaps the unsubscribe link breaks the signature.
    let text = String::from_utf8(raw.clone()).unwrap();
    let forged = text.replacen(
        "List-Unsubscribe: <http://chronicle.test/",
        "List-Unsubscribe: <http://evil.test/",
        1,
    );
    assert_ne!(forged, text);
    assert_eq!(dkim_verify(tmp.path(), forged.as_bytes(), &record), "fail");
}
