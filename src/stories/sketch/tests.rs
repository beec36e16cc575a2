use super::*;

const POST: &str = "Conditional requests keep the load on bloggers' servers low. A polite \
    aggregator sends If-None-Match with the ETag it was given, and If-Modified-Since with the \
    Last-Modified date, and expects a 304 with an empty body when nothing changed. This post \
    measures how much bandwidth that saves across a community of two hundred blogs.";

fn long_text(seed: u32, words: usize) -> String {
    (0..words)
        .map(|i| format!("w{}", (i as u32).wrapping_mul(2_654_435_761) ^ seed))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn case_punctuation_and_spacing_do_not_change_a_sketch() {
    let a = sketch(POST);
    let b = sketch(&POST.to_uppercase().replace(' ', "  \n").replace(',', " ;"));
    assert!(!a.is_empty());
    assert_eq!(a, b);
    assert_eq!(sketch("too short to tell apart"), Sketch::default());
}

#[test]
fn japanese_and_chinese_texts_are_sketched_character_by_character() {
    let ja = "今回は、GitHub Actions を使って .NET アプリケーションのビルドとテストを自動化する方法を紹介します。";
    let s = sketch(ja);
    assert!(!s.is_empty(), "a Japanese sentence has shingles");
    // 37 characters and the words "github", "actions", "net": 40 tokens, 37 shingles.
    assert_eq!(s.hashes().len(), 37);
    assert!(is_unspaced('の') && is_unspaced('中') && is_unspaced('ก'));
    assert!(
        !is_unspaced('a') && !is_unspaced('한'),
        "Korean puts spaces between words"
    );
}

#[test]
fn bytes_round_trip_and_bad_bytes_are_refused() {
    let s = sketch(POST);
    assert_eq!(Sketch::from_bytes(&s.to_bytes()), Some(s.clone()));
    assert_eq!(Sketch::from_bytes(&[1, 2, 3]), None, "not whole u32s");
    let mut unsorted = s.to_bytes();
    unsorted.rotate_left(4);
    assert_eq!(Sketch::from_bytes(&unsorted), None, "not ascending");
    assert_eq!(Sketch::from_bytes(&[]), Some(Sketch::default()));
}

#[test]
fn long_texts_keep_a_sample_and_say_how_far_it_speaks() {
    let short = sketch(POST);
    assert_eq!(short.horizon(), u32::MAX, "all shingles kept");
    let long = sketch(&long_text(7, 3000));
    assert_eq!(long.hashes().len(), SKETCH_SIZE);
    assert_eq!(long.horizon(), *long.hashes().last().unwrap());
    assert!(
        long.horizon() < u32::MAX / 5,
        "256 of ~3,000 shingles: the smallest ~9%"
    );
}

#[test]
fn overlap_estimates_containment_and_resemblance_over_any_length() {
    let full = long_text(1, 3000);
    let start: String = full.split(' ').take(300).collect::<Vec<_>>().join(" ");
    let other = long_text(2, 3000);
    let (f, s, o) = (sketch(&full), sketch(&start), sketch(&other));
    let cut = Overlap::of(&s, &f, |_| false);
    assert!(cut.containment() > 0.95, "{cut:?}");
    assert!(cut.resemblance() < 0.2, "{cut:?}");
    let same = Overlap::of(&f, &f, |_| false);
    assert_eq!((same.resemblance(), same.containment()), (1.0, 1.0));
    let apart = Overlap::of(&f, &o, |_| false);
    assert_eq!(apart.shared, 0);
    // Ignored hashes count on neither side.
    let none = Overlap::of(&f, &f, |_| true);
    assert_eq!(
        (none.shared, none.left, none.right, none.containment()),
        (0, 0, 0, 0.0)
    );
}

#[test]
fn the_sketch_of_html_is_the_sketch_of_its_text() {
    let html = format!(
        "<p>{}</p><ul><li><a href=\"https://e.org/?a=1&amp;b=2\" title=\"a > b\">{}</a></li></ul>\
         <p>R&amp;D &lt;3 caf\u{e9} na\u{ef}ve &nbsp; 今回は、GitHub を使って</p><pre><code>{}</code></pre>",
        long_text(3, 40),
        long_text(4, 30),
        long_text(5, 20)
    );
    let text = format!(
        "{} {} R D 3 caf\u{e9} na\u{ef}ve 今回は、GitHub を使って {}",
        long_text(3, 40),
        long_text(4, 30),
        long_text(5, 20)
    );
    assert_eq!(sketch_html(&html), sketch(&text));
    assert_ne!(
        sketch_html(&html),
        sketch(&html),
        "tags and attributes are not text"
    );
}

#[test]
fn bottom_k_keeps_the_smallest_distinct_hashes_even_of_repetitive_texts() {
    let mut v: Vec<u32> = (0..2000u32)
        .rev()
        .map(|x| x.wrapping_mul(2_654_435_761))
        .collect();
    let mut expected = v.clone();
    expected.sort_unstable();
    expected.truncate(SKETCH_SIZE);
    bottom_k(&mut v);
    assert_eq!(v, expected);
    // Two values repeated a thousand times, and 300 others: the cut to the smallest would keep
    // too few distinct ones, so the whole is sorted.
    let mut rep: Vec<u32> = std::iter::repeat_n(1, 1000)
        .chain(std::iter::repeat_n(2, 1000))
        .chain(3..303)
        .collect();
    bottom_k(&mut rep);
    assert_eq!(rep, (1..=256).collect::<Vec<u32>>());
}
