#!/usr/bin/env python3
"""Builds the seed corpora under fuzz/corpus/<target>/ from tests/fixtures and hand-written
cases. Run from the repository root: python3 fuzz/make_seeds.py. Deterministic, small (each
corpus stays well under 300 KB); the fuzzers grow their own corpora in fuzz/corpus-grown/."""
import hashlib, os, re, random, sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(ROOT, "fuzz", "corpus")
LIMIT = 280 * 1024
rng = random.Random(13)


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    open(os.path.join(d, name), "wb").write(data)


def size(target):
    d = os.path.join(OUT, target)
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)) if os.path.isdir(d) else 0


def files(sub, max_bytes):
    out = []
    for dirpath, _, names in os.walk(os.path.join(FIX, sub)):
        for n in sorted(names):
            p = os.path.join(dirpath, n)
            if n.endswith((".xml", ".rss", ".atom", ".rdf", ".json")) and os.path.getsize(p) <= max_bytes:
                out.append(p)
    return sorted(out)


def feed():
    # The first byte picks the Content-Type (see fuzz_targets/feed.rs); 0 = none, 0x80 adds discovery.
    picks = files("feeds", 16 * 1024) + files("real-feeds", 12 * 1024)
    fp = files("feedparser/wellformed", 2048)
    rng.shuffle(fp)
    for p in picks + fp[:120]:
        if size("feed") > LIMIT:
            break
        put("feed", bytes([rng.choice([0, 1, 2, 3, 4, 8, 0x80])]) + open(p, "rb").read())
    put("feed", b"\x80<html><head><link rel=alternate type=application/rss+xml href=/feed.xml><base href=//cdn.example.org/></head></html>")


def texts(paths, tags):
    out = []
    for p in paths:
        try:
            tree = ET.parse(p)
        except Exception:
            continue
        for el in tree.iter():
            local = el.tag.split("}")[-1]
            if local in tags and el.text and el.text.strip():
                out.append(el.text.strip())
    return out


def sanitize():
    html = texts(files("feedparser/wellformed/sanitize", 4096), {"description", "content", "summary", "title", "encoded"})
    html += texts(files("feeds", 64 * 1024), {"description", "content", "encoded", "summary"})[:40]
    seen = set()
    for h in html:
        if h in seen or size("sanitize") > LIMIT:
            continue
        seen.add(h)
        put("sanitize", bytes([rng.choice([0, 1, 7, 41])]) + h.encode()[:8192])


def dates():
    tags = {"pubDate", "date", "updated", "published", "modified", "issued", "created", "lastBuildDate"}
    ds = texts(files("feedparser", 4096) + files("feeds", 64 * 1024) + files("real-feeds", 64 * 1024), tags)
    ds += ["Tue, 17 Nov 2026 10:00:00 +0100", "2026-11-17T10:00:00Z", "20261117T100000Z",
           "Sunday, 07-Jan-04 10:00:00 GMT", "17 novembre 2026 10:00 CET", "Di, 17. Nov 2026 10:00 MEZ",
           "2026-11-17 10:00", "11/17/2026 10:00 PM", "Tue, 17 Nov 26 10:00 GMT+0100", "2026-11-17",
           "Mon, 31 Dec 9999 23:59:59 -2359", "0001-01-01T00:00:00+14:00", "Tue, 30 Feb 2026 25:61:61 EST"]
    for d in sorted(set(ds)):
        put("dates", d)


def opml():
    put("opml", """<?xml version="1.0"?>
<opml version="1.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="Tech">
      <outline text=".NET">
        <outline type="rss" text="Andrew Lock" xmlUrl="https://andrewlock.net/rss.xml" htmlUrl="https://andrewlock.net/"/>
      </outline>
      <outline type="rss" title="Hanselman" text="x" xmlUrl="https://feeds.hanselman.com/ScottHanselman" category="/Podcasts/Dev,people"/>
    </outline>
    <outline type="rss" text="Broken" xmlUrl="ftp://example.org/feed"/>
    <outline type="rss" text="No URL"/>
    <outline type="rss" text="Again" xmlUrl="https://andrewlock.net/rss.xml"/>
    <outline text="Empty folder"></outline>
  </body>
</opml>""")
    put("opml", """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Exported &amp; more</title><dateCreated>Tue, 17 Nov 2026 10:00:00 +0000</dateCreated></head>
<body><outline type="rss" text="Cloud &amp; Notes" title="Cloud &amp; Notes" xmlUrl="https://ana.example.org/feed?x=1&amp;utm_source=y" htmlUrl="https://ana.example.org/" category="azure,dotnet"/>
<outline text="Caf&eacute; &#233;"><outline type="RSS" xmlUrl="http://[::1]:8080/f"/></outline></body></opml>
""")
    put("opml", "<opml xmlns:x='urn:x'><body><x:outline xmlUrl='https://a.example/'/><outline xmlURL='https://b.example/f'/></body></opml>")


def csv():
    put("csv", "email,name,status\nada@example.org,Ada Lovelace,\nnot-an-address,Nobody,\nGrace@Example.NET,\"Hopper, Grace\",pending\nlinus@example.com,,confirmed\nbad-status@example.org,,vip\ngone@example.org,Gone,confirmed\n")
    put("csv", "\ufeffEmail;Name\r\n\"a@b.org\";\"x\"\"y\"\r\nada@B\u00fccher.example,\u00c4da\r\n")
    put("csv", "name,email\n,\n\"unterminated,a@b.org\n")
    put("csv", "status,email\nunsubscribed, x@y.org \npending,x@y.org\n")


def config():
    put("config", open(os.path.join(ROOT, "config.toml"), "rb").read())
    put("config", "[site]\nbase_url = \"https://news.example.org/\"\ntitle = \"x\"\n[fetch]\nconcurrency = 0\n")
    put("config", "[[feeds]]\nurl = \"https://blog.example.org/feed\"\ntags = [\"a\", \"b\"]\n\0DIGEST__GROUP_BY=tag\nSMTP__PASSWORD=x\nFETCH__TIMEOUT_SECS=abc\n")
    put("config", "[digest]\nschedule = \"0 0 8 * * Mon\"\ntimezone = \"Europe/Paris\"\nweek_start = \"monday\"\n[delivery]\nfrom = \"News <news@example.org>\"\n")
    put("config", "unknown = 1\n[fetch]\nmin_interval_minutes = 100\nmax_interval_minutes = 10\n")


def email():
    for e in ["ada@example.org", " Bob@Example.ORG ", "first.last+tag@sub.example.org", "ada@B\u00fccher.example",
              "ada@xn--bcher-kva.example", "a..b@c.org", "<a@b.org>", "a@[127.0.0.1]", "\"quoted\"@example.org",
              "a@b", "@x.org", "x@", "a@-b.org", "\u00e9l\u00e8ve@\u00e9cole.fr", "a" * 64 + "@" + "b" * 63 + ".org",
              "user@\u0441\u0430\u0439\u0442.\u0440\u0444", "u@xn--.org", "a@b.c\u200d.org"]:
        put("email", e)


def markdown():
    for m in ["Welcome to **this week**! Read [the post](https://example.org/a \"t\") and _more_.\n\n- one\n- two [x](javascript:alert(1))\n",
              "# Title\n\n<script>alert(1)</script>\n\n```\ncode\n```\n\n> quote\n\n1. a\n   - b\n\n~~gone~~ ![img](https://x/y.png) <https://auto.example/>",
              "[ref]\n\n[ref]: https://example.org/ref\n\nText with \u001b[31m escape and `code` and <a href=\"data:x\">html</a>",
              "* a\n  * b\n    * c\n      * d\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nfoot[^1]\n\n[^1]: note"]:
        put("markdown", m)


def forms():
    for f in ["email=ada%40example.org&csrf=0123456789abcdef0123456789abcdef&website=",
              "email=+Ada%40Example.ORG+&csrf=0123456789abcdef0123456789abcdef&website=http%3A%2F%2Fspam",
              "csrf=0123456789abcdef0123456789abcdef", "email=%FF%FE&csrf=&csrf=x", "email&csrf&website",
              "email=a%40b%C3%BCcher.example;csrf=1", "=&&=&email=%", "email=ada@example.org&extra=1&email=b@c.org"]:
        put("forms", f)


for t in (feed, sanitize, dates, opml, csv, config, email, markdown, forms):
    t()
for t in sorted(os.listdir(OUT)):
    print(t, len(os.listdir(os.path.join(OUT, t))), "files", size(t), "bytes")
