//! The web site served in this process, and a visitor with its CSRF cookie (no cookie jar in
//! reqwest here: cookies are carried by hand, which also lets tests forge them).

use super::TestApp;

/// A running site.
pub struct Site {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// A client with no cookie store.
    pub client: reqwest::Client,
    stop: tokio_util::sync::CancellationToken,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// A visitor's CSRF cookie and the token the page's form carries.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// `chronicle_csrf=<token>`.
    pub cookie: String,
    /// The hidden field's value.
    pub csrf: String,
}

/// A response's status and body.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body.
    pub body: String,
}

/// The value of the first `name="csrf" value="..."` field in `html`.
pub fn csrf_field(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().map(str::to_string)
}

impl Site {
    /// Serves `t` (its config must say `bind = "127.0.0.1:0"` or a free port).
    pub async fn start(t: &TestApp) -> Self {
        let (base, stop, handle) = super::serve(t).await;
        Self {
            base,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            stop,
            handle,
        }
    }

    /// GETs `path` with an optional cookie.
    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        answer(req.send().await.expect("GET")).await
    }

    /// GETs `path` as a new visitor: the cookie it is given and its form's token.
    pub async fn visit(&self, path: &str) -> (Visitor, Answer) {
        let page = self.get(path, None).await;
        let set = page
            .headers
            .get("set-cookie")
            .expect("a page with a form sets the CSRF cookie")
            .to_str()
            .unwrap()
            .to_string();
        let cookie = set.split(';').next().unwrap().to_string();
        let csrf = csrf_field(&page.body).expect("the page has a form with a CSRF field");
        assert_eq!(
            cookie,
            format!("chronicle_csrf={csrf}"),
            "double submit: same token"
        );
        (Visitor { cookie, csrf }, page)
    }

    /// POSTs a URL-encoded form, with an optional cookie and extra headers.
    pub async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded");
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        req = req.body(body);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        answer(req.send().await.expect("POST")).await
    }

    /// A visitor's sign-up for `email` through the home page's form.
    pub async fn subscribe(&self, v: &Visitor, email: &str) -> Answer {
        self.post(
            "/subscribe",
            &[("email", email), ("csrf", &v.csrf), ("website", "")],
            Some(&v.cookie),
            &[],
        )
        .await
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.stop.cancel();
        self.handle.await.unwrap().unwrap();
    }
}

async fn answer(resp: reqwest::Response) -> Answer {
    Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: resp.text().await.unwrap(),
    }
}
