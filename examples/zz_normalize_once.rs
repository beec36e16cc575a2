//! One normalise pass over every `.xml` of a folder (for callgrind A/B; not committed).
fn main() {
    let dir = std::env::args().nth(1).expect("folder");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    let url = url::Url::parse("https://example.org/feed").unwrap();
    let mut n = 0;
    for f in files {
        let b = std::fs::read(&f).unwrap();
        if let Ok(p) = chronicle::ingest::parse::parse_document(&b, None, &url) {
            n += p.entries.len();
        }
    }
    println!("{n} entries");
}
