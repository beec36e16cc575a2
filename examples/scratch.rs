fn main() {
    let path = std::env::args().nth(1).unwrap();
    raw(&path);
    let body = std::fs::read(&path).unwrap();
    let url = url::Url::parse("http://127.0.0.1:8097/tests/x.xml").unwrap();
    let m = chronicle::ingest::parse::parse_model(&body, Some("text/xml"), &url);
    match m {
        Ok(m) => {
            println!("title={:?}", m.title.map(|t| t.content));
            for e in m.entries.iter().take(2) {
                println!(
                    "{:#?}",
                    (
                        &e.title,
                        &e.summary,
                        &e.content.as_ref().map(|c| &c.body),
                        &e.links,
                        &e.authors,
                        &e.published,
                        &e.updated,
                        &e.id
                    )
                );
            }
        }
        Err(e) => println!("ERR {e}"),
    }
    println!(
        "{:#?}",
        chronicle::ingest::parse::parse_document(&body, Some("text/xml"), &url).map(|f| (
            f.title,
            f.site_url,
            f.entries
                .into_iter()
                .take(2)
                .map(|e| (
                    e.title,
                    e.url,
                    e.guid,
                    e.author,
                    e.summary,
                    e.content.as_str().to_string()
                ))
                .collect::<Vec<_>>()
        ))
    );
}
#[allow(dead_code)]
fn raw(path: &str) {
    let body = std::fs::read(path).unwrap();
    let f = feed_rs::parser::parse(&body[..]);
    println!("{:?}", f.map(|f| (f.title, f.entries.len())));
}
