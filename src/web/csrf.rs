//! CSRF protection for the site's forms: a double-submit token. Each visitor gets a random
//! token in a `SameSite=Lax`, `HttpOnly` cookie, and every form carries the same token in a
//! hidden field; a POST whose field does not match its cookie is refused. Another site can
//! neither read the cookie nor make the browser send it with a cross-site POST. Stateless on the
//! server, so cached pages only need the token put into their slot.
//!
//! Hand-written (about 60 lines) because the axum CSRF crates keep per-session state or need
//! signed-cookie machinery this site has no other use for.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::domain::Token;

/// The cookie's name.
pub const COOKIE: &str = "chronicle_csrf";
/// The form field's name.
pub const FIELD: &str = "csrf";

/// A visitor's token, and whether it must be (re)sent as a cookie.
#[derive(Debug, Clone)]
pub struct Csrf {
    /// The token.
    pub token: String,
    fresh: bool,
}

impl Csrf {
    /// The visitor's token from their cookie, or a new one.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        match cookie(headers) {
            Some(token) => Self {
                token,
                fresh: false,
            },
            None => Self {
                token: Token::generate().to_string(),
                fresh: true,
            },
        }
    }

    /// Whether `field` (from a submitted form) matches the visitor's cookie. False when the
    /// visitor had no cookie.
    pub fn accepts(&self, field: Option<&str>) -> bool {
        let Some(field) = field else { return false };
        // Constant time: the comparison must not tell how many leading characters matched.
        !self.fresh
            && field.len() == self.token.len()
            && field
                .bytes()
                .zip(self.token.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// The `Set-Cookie` header to send, if the token is new.
    pub fn set_cookie(&self, secure: bool) -> Option<HeaderValue> {
        if !self.fresh {
            return None;
        }
        let secure = if secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000{secure}",
            self.token
        ))
        .ok()
    }
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .and_then(|(_, v)| Token::parse(v.trim()))
        .map(|t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn a_form_must_carry_its_cookies_token() {
        let t = Token::generate().to_string();
        let c = Csrf::from_headers(&with_cookie(&format!("a=b; {COOKIE}={t}")));
        assert!(c.accepts(Some(&t)));
        assert!(c.set_cookie(false).is_none());
        assert!(!c.accepts(Some(&Token::generate().to_string())));
        assert!(!c.accepts(None));
        assert!(!c.accepts(Some("")));
        let fresh = Csrf::from_headers(&HeaderMap::new());
        assert!(
            !fresh.accepts(Some(&fresh.token.clone())),
            "no cookie, no trust"
        );
        let cookie = fresh.set_cookie(true).unwrap();
        assert!(cookie.to_str().unwrap().contains("HttpOnly; SameSite=Lax"));
        let bad = Csrf::from_headers(&with_cookie(&format!("{COOKIE}=not-a-token")));
        assert!(
            bad.set_cookie(false).is_some(),
            "a forged cookie is replaced"
        );
    }
}
