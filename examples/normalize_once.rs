//! One normalise pass (bytes → clean entries) over every `.xml` file of a folder, for counting
//! instructions with callgrind, which the machine's load does not change:
//!
//!     cargo build --release --example normalize_once
//!     valgrind --tool=callgrind target/release/examples/normalize_once tests/fixtures/real-feeds
//!
//! Prints how many entries it read.

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: normalize_once FOLDER");
        std::process::exit(2);
    };
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "xml"))
            .collect(),
        Err(e) => {
            eprintln!("{dir}: {e}");
            std::process::exit(1);
        }
    };
    files.sort();
    let url = url::Url::parse("https://example.org/feed").expect("static URL");
    let mut entries = 0;
    for f in files {
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        if let Ok(parsed) = chronicle::ingest::parse::parse_document(&bytes, None, &url) {
            entries += parsed.entries.len();
        }
    }
    println!("{entries} entries");
}
