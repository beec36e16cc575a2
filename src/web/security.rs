//! Security headers on every response of the site, added by one global layer (so routes added
//! later, such as the admin area's, get them too): a Content-Security-Policy that allows no
//! inline script and no inline style (the site's styles live in `/static/style.css`), no
//! framing, no MIME sniffing, no full referrer to other sites, and HSTS when the site is served
//! over HTTPS. A handler that must loosen the policy (the archived e-mail of a digest, whose
//! styles are inline) sets its own `Content-Security-Policy`, which this layer then keeps.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use super::csrf::Csrf;

/// The site's policy. Images may come from the blogs (story thumbnails); nothing else may.
pub const CSP: &str = "default-src 'self'; img-src 'self' https: http: data:; \
     style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The policy of a digest shown as its e-mail was sent: e-mail styles are inline, so inline
/// styles are allowed; still no script at all.
pub const CSP_INLINE_STYLES: &str = "default-src 'none'; img-src 'self' https: http: data:; \
     style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `Strict-Transport-Security` when `site.base_url` is `https`: a year, subdomains left alone
/// (the organiser's other sites are not ours to pin).
const HSTS: &str = "max-age=31536000";

/// Adds the security headers a response lacks.
pub(super) async fn headers(State(state): State<AppState>, mut resp: Response) -> Response {
    let https = state.settings.site.base_url.scheme() == "https";
    let h = resp.headers_mut();
    let fixed: [(HeaderName, &'static str); 5] = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    if https {
        h.entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static(HSTS));
    }
    resp
}

/// Gives the answers of the limit layers (413 from the body limit, 408 from the request
/// timeout), which carry a bare text body, the site's friendly page.
pub(super) async fn friendly_limits(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let csrf = Csrf::from_headers(req.headers());
    let resp = next.run(req).await;
    let bare = !resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    match resp.status() {
        s @ (StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT) if bare => {
            super::forms::refuse(&state, s, &csrf)
        }
        _ => resp,
    }
}
