//! HTTP form bodies (`application/x-www-form-urlencoded`) → the handlers' own extractors
//! (`axum::Form` of the sign-up and token forms), then what the handlers do with the fields:
//! the address check, the token check.
//!
//! Invariants: an address accepted from a form reads back as itself; a token accepted is
//! exactly what was sent.
#![no_main]

use axum::Form;
use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::Request;
use chronicle::domain::Token;
use chronicle::web::{SubscribeForm, TokenForm, normalise_address};
use futures_util::FutureExt;
use libfuzzer_sys::fuzz_target;

fn request(data: &[u8]) -> Request<Body> {
    Request::post("/subscribe")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(data.to_vec()))
        .expect("request")
}

fuzz_target!(|data: &[u8]| {
    let signup = Form::<SubscribeForm>::from_request(request(data), &())
        .now_or_never()
        .expect("a body in memory is read at once");
    if let Ok(Form(form)) = signup {
        if let Ok(e) = normalise_address(form.email().unwrap_or_default()) {
            assert_eq!(normalise_address(e.as_ref()).as_ref(), Ok(&e));
        }
        if let Some(t) = form.csrf().and_then(Token::parse) {
            assert_eq!(Some(t.as_str()), form.csrf());
        }
        let _ = form.is_bot();
    }
    let token = Form::<TokenForm>::from_request(request(data), &())
        .now_or_never()
        .expect("a body in memory is read at once");
    if let Ok(Form(form)) = token {
        if let Some(t) = form.csrf().and_then(Token::parse) {
            assert_eq!(t.to_string(), form.csrf().unwrap_or_default());
        }
    }
});
