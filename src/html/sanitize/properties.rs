//! Properties checked on generated input (proptest): the output never holds a script-capable
//! construct, as a browser's tokenizer reads it, and sanitising is idempotent.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use proptest::prelude::*;

use super::*;

/// Payloads from XSS cheat sheets and feedparser's sanitiser tests, plus harmless markup,
/// glued together in any order (so that they also break each other's syntax).
const FRAGMENTS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//x.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\" &#14;javascript:alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=vbscript:msgbox(1)>x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">x</a>",
    "<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">",
    "<iframe src=//x.example></iframe>",
    "<iframe src=\"javascript:alert(1)\">",
    "<object data=x.swf>",
    "<embed src=x.swf>",
    "<video src=x onerror=alert(1)><source src=y></video>",
    "<video controls><p>fallback",
    "</video>",
    "<audio><track src=t>",
    "<picture><source srcset=a.webp><img src=a.png></picture>",
    "</iframe>",
    "<li>",
    "<section>",
    "<button>",
    "<svg onload=alert(1)>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<style>*{x:expression(alert(1))}</style>",
    "<div style=\"background:url(javascript:alert(1))\">",
    "<form action=javascript:x><input><button formaction=javascript:y>",
    "<meta http-equiv=refresh content=\"0;url=javascript:x\">",
    "<link rel=stylesheet href=//x.example/x.css>",
    "<base href=javascript:/>",
    "<img srcset=\"javascript:alert(1) 1x, /ok.png 2x\">",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<template><script>x</script></template>",
    "<a href=\"/relative\">r</a>",
    "<img src=\"https://e.example/p.gif\" width=1 height=1>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<p>",
    "</p>",
    "<b>",
    "</table>",
    "<table><tr><td>",
    "text",
    "&lt;script&gt;",
    "&amp;",
    "\"",
    "'",
    "<",
    ">",
    "=",
    " ",
];

fn html() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(FRAGMENTS).prop_map(str::to_string),
        1 => "[a-zA-Z<>\"'=/ &;:#!-]{0,12}",
    ];
    proptest::collection::vec(piece, 0..16).prop_map(|v| v.concat())
}

#[derive(Default)]
struct Offences(RefCell<Vec<String>>);

impl TokenSink for Offences {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let Token::TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        if tag.kind != TagKind::StartTag {
            return TokenSinkResult::Continue;
        }
        let mut bad = self.0.borrow_mut();
        let name = tag.name.to_string().to_ascii_lowercase();
        if [
            "script", "style", "iframe", "frame", "object", "embed", "applet", "form", "input",
            "button", "meta", "link", "base", "svg", "math", "video", "audio", "template",
            "noscript",
        ]
        .contains(&name.as_str())
        {
            bad.push(format!("<{name}>"));
        }
        for a in &tag.attrs {
            let attr = a.name.local.to_string().to_ascii_lowercase();
            if attr.starts_with("on") || attr == "style" || attr == "formaction" {
                bad.push(format!("{name} {attr}="));
            }
            if [
                "href",
                "src",
                "srcset",
                "action",
                "xlink:href",
                "poster",
                "data",
            ]
            .contains(&attr.as_str())
            {
                let urls: Vec<String> = if attr == "srcset" {
                    a.value
                        .split(',')
                        .map(|c| c.split_whitespace().next().unwrap_or("").to_string())
                        .collect()
                } else {
                    vec![a.value.to_string()]
                };
                for url in urls {
                    // As a browser reads it: control characters and white space ignored.
                    let value: String = url
                        .chars()
                        .filter(|c| !c.is_whitespace() && !c.is_control())
                        .collect::<String>()
                        .to_ascii_lowercase();
                    // Every URL left is absolute http(s) (or mailto for links).
                    let ok = value.starts_with("http://")
                        || value.starts_with("https://")
                        || (attr == "href" && value.starts_with("mailto:"));
                    if !ok {
                        bad.push(format!("{name} {attr}={value}"));
                    }
                }
            }
        }
        TokenSinkResult::Continue
    }
}

fn offences(html: &str) -> Vec<String> {
    let tokenizer = Tokenizer::new(Offences::default(), TokenizerOpts::default());
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    tokenizer.sink.0.take()
}

#[test]
fn the_checker_sees_what_it_looks_for() {
    for bad in [
        "<script>x</script>",
        "<a href=\" java\tscript:x\">",
        "<img src=x onerror=y>",
        "<img srcset=\"/a.png 1x, data:x 2x\">",
        "<p style=\"x\">",
        "<svg>",
        "<a href=\"/relative\">",
    ] {
        assert!(!offences(bad).is_empty(), "{bad}");
    }
    assert!(offences("<p><a href=\"https://e.org/\">javascript:x</a></p>").is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn output_holds_no_script_capable_construct(input in html()) {
        let base = Url::parse("https://blog.example.org/posts/1/").unwrap();
        let out = sanitize(&input, Some(&base));
        let found = offences(out.as_str());
        prop_assert!(found.is_empty(), "{found:?} in {:?} from {input:?}", out.as_str());
    }

    #[test]
    fn sanitising_is_idempotent(input in html()) {
        let base = Url::parse("https://blog.example.org/posts/1/").unwrap();
        let once = sanitize(&input, Some(&base));
        let twice = sanitize(once.as_str(), Some(&base));
        prop_assert_eq!(once.as_str(), twice.as_str(), "input {:?}", input);
    }
}
