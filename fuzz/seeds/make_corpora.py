#!/usr/bin/env python3
"""Builds fuzz/corpus/<target>/ from the shared corpus (../shared/corpus or $TIDINGS_CORPUS)
plus a few hand-written seeds. The corpora are gitignored: run this before `cargo fuzz run`."""
import html, os, re, sys, glob

here = os.path.dirname(os.path.abspath(__file__))
fuzz = os.path.dirname(here)
shared = os.environ.get("TIDINGS_CORPUS") or next(
    p for p in [os.path.join(fuzz, "../../shared/corpus"), "/work/shared/corpus"] if os.path.isdir(p))

def out(target, name, data):
    d = os.path.join(fuzz, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

# feed: every shared feed as is.
for p in glob.glob(os.path.join(shared, "feeds", "*")):
    out("feed", os.path.basename(p), open(p, "rb").read())

# html_render: article bodies pulled out of the feeds, the HTML pages, and hand-written
# cases; the first byte is the width (1 + byte % 300).
bodies = []
for p in sorted(glob.glob(os.path.join(shared, "feeds", "*"))):
    text = open(p, "rb").read().decode("utf-8", "replace")
    for m in re.finditer(r"<(description|content:encoded|content|summary)[^>]*>(.*?)</\1>", text, re.S):
        body = m.group(2).strip()
        if body.startswith("<![CDATA["):
            body = body[9:].rsplit("]]>", 1)[0]
        else:
            body = html.unescape(body)
        if len(body) > 40:
            bodies.append(body)
bodies = sorted(set(bodies), key=len)[:: max(1, len(bodies) // 300)]
for p in glob.glob(os.path.join(shared, "html", "*")):
    bodies.append(open(p, "rb").read().decode("utf-8", "replace"))
bodies += [
    "<table><tr><td>一二三四五六七八九十</td><td>emoji 😀😀😀 and a very long cell</td></tr></table>",
    "<pre>\tcode\twith\ttabs and a long long long long long long line</pre>",
    "<ul><li>one<ul><li>two<ol><li>three</li></ol></li></ul></li></ul><blockquote>quote <q>q</q></blockquote>",
    "<p>" + "x" * 500 + "</p><p>a&#x1b;[31mred&#27;]0;title&#7;</p>",
    "<h1>Title</h1><p>e\u0301\u0301 \u200d\u202e evil \u2066 zwj 👨\u200d👩\u200d👧</p>",
    "<div>" * 50 + "deep" + "</div>" * 50,
]
for i, body in enumerate(bodies):
    for width in (0, 39, 79, 119):
        out("html_render", f"body{i:04}-w{width + 1}", bytes([width]) + body.encode())

# opml: the shared OPML files.
for p in glob.glob(os.path.join(shared, "opml", "*")):
    out("opml", os.path.basename(p), open(p, "rb").read())

# urls: newsboat urls files made from the OPML feeds, plus the syntax's corners.
for p in glob.glob(os.path.join(shared, "opml", "*"))[:8]:
    urls = re.findall(r'xmlUrl="([^"]+)"', open(p, "rb").read().decode("utf-8", "replace"))[:40]
    out("urls", os.path.basename(p) + ".urls",
        "".join(f"{html.unescape(u)} tag{i % 3} \"~Title {i}\"\n" for i, u in enumerate(urls)))
out("urls", "corners", '# comment\n\nhttps://a.example/feed.xml news "two words" !hidden "~My \\"title\\""\n'
    'query:Unread:unread = "yes"\nexec:~/bin/feed\nfilter:~/f.sh:https://b.example/\n"|cmd"\n'
    'HTTP://Example.COM/x tag # trailing comment\nfile:///tmp/x.xml\nhttps://c.example/ "~unterminated\n')

# config: the documented keys.
out("config", "full", '''theme = "default"
browser = ["firefox", "--new-tab"]
browser_in_terminal = false
open_schemes = ["http", "https", "mailto"]
[reader]
refresh_on_start = true
refresh_interval_minutes = 30
date_format = "%Y-%m-%d %H:%M"
feeds_width_percent = 30
list_height_percent = 40
mouse = true
hyperlinks = true
unread_only = false
[keys]
next_unread = ["n", "Ctrl-n"]
quit = "q"
[fetch]
timeout_secs = 30
connect_timeout_secs = 10
max_body_mib = 16
concurrency = 32
per_host = 4
user_agent = "tidings/0.1.0"
proxy = "socks5h://127.0.0.1:9050"
max_redirects = 5
[store]
max_articles_per_feed = 0
keep_days = 0
cache_mib = 8
''')
out("config", "empty", "")
out("config", "bad", "[fetch]\nconcurrency = 0\n")

# sanitize: hostile strings.
for i, s in enumerate(["plain", "a\x1b]0;pwned\x07b", "\u009b31mred", "evil\u202etxt.exe", "  two\n\tlines \r\n",
                       "中文\x00标题", "e\u0301 \u200d 👨\u200d👩\u200d👧 \u2066x\u2069 \u2028\u2029\ufeff\x7f"]):
    out("sanitize", f"s{i}", s)
print("corpora written under", os.path.join(fuzz, "corpus"))
