#!/usr/bin/env python3
"""The reader beside newsboat's, each in a pseudo-terminal of 80x24, on the same 100,000
articles and the same 20 query feeds: how long until the first screen has settled (query
feeds with their counts), until a query feed is open, and until a search's results are shown.

Not a test (it needs newsboat and a loaded cache); run by hand, see README "Performance":

    benches/reader_vs_newsboat.py --tidings target/release/tidings --tidings-data DIR \\
        --newsboat-home HOME [--runs 5]

DIR is a tidings data dir and HOME a home whose .newsboat/cache.db holds the same feeds
(both loaded by a refresh of shared/bench's gen_feeds.py --feeds 100 --items 1000). The
script writes each one's config (query feeds in .newsboat/urls and config.toml) and restores
nothing: use copies.

A screen has "settled" when the program has written nothing for --quiet-ms (default 400):
the time given is that of its last byte before the quiet, from the start of the process (first
screen) or from the key that asked (query feed, search). Only the standard library is used.
"""

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import termios
import time

# The query_counts bench's 20 query feeds, and newsboat's nearest equivalents (its filter
# language has no date comparison: `date>=2026-01-01` becomes an age in days).
QUERIES = [
    ("unread", 'unread = "yes"'),
    ("starred", 'flags # "s"'),
    ('unread and title:"article 999"', 'unread = "yes" and title =~ "article 999"'),
    ('title:"article 1"', 'title =~ "article 1"'),
    ("age<7d", "age < 7"),
    ("age<1d and unread", 'age < 1 and unread = "yes"'),
    ('author:"A. Writer"', 'author =~ "A. Writer"'),
    ('feed:"Feed 042"', 'feedtitle =~ "Feed 042"'),
    ('feed:"Feed 001" or feed:"Feed 002"', 'feedtitle =~ "Feed 001" or feedtitle =~ "Feed 002"'),
    ('unread and not feed:"Feed 000"', 'unread = "yes" and feedtitle !~ "Feed 000"'),
    ("link:example.org", 'link =~ "example.org"'),
    ("tag:tech", 'tags # "tech"'),
    ("tag:news and unread", 'tags # "news" and unread = "yes"'),
    ("date>=2026-01-01", "age < 340"),
    ("title:headline and unread", 'title =~ "headline" and unread = "yes"'),
    ("title:usual", 'title =~ "usual"'),
    ('starred or title:"article 5"', 'flags # "s" or title =~ "article 5"'),
    ("not unread", 'unread = "no"'),
    ("has:enclosure", 'enclosure_url != ""'),
    ('title:"article 12" and unread', 'title =~ "article 12" and unread = "yes"'),
]

# What a drawn frame with no change in it writes (the styles reset, the cursor hidden).
NO_CHANGE = b"\x1b[39m\x1b[49m\x1b[59m\x1b[0m\x1b[?25l"

CTRL_UNDERSCORE = b"\x1f"  # what Ctrl-/ sends without the kitty keyboard protocol


CSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]")


def visible(written):
    """The text of what was written, without escape sequences or spaces: a frame drawn as a
    diff writes a line's words apart, with cursor moves between them."""
    return CSI.sub(b"", bytes(written)).replace(b" ", b"")


class Session:
    """One program in a pty: its output is read as it comes, keys are typed into it."""

    def __init__(self, argv, env, cols=80, rows=24):
        self.start = time.monotonic()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvpe(argv[0], argv, env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.output = bytearray()

    def settle(self, since, quiet_ms, marker=None, timeout=120.0):
        """Seconds from `since` to the last byte written before `quiet_ms` of silence, once
        `marker` (bytes) is among what was written after `since`."""
        last = None
        begin = len(self.output)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], quiet_ms / 1000)
            if not ready:
                if last is not None and (marker is None or marker in visible(self.output[begin:])):
                    return last - since
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.output += chunk
            # tidings draws again each second while a status message shows, a frame with no
            # change in it: that is not the screen still changing.
            if chunk.replace(NO_CHANGE, b""):
                last = time.monotonic()
        raise RuntimeError("the program never went quiet (or ended): " + bytes(self.output[-400:]).decode(errors="replace"))

    def type(self, keys):
        os.write(self.fd, keys)
        return time.monotonic()

    def close(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.1)
                if ready and not os.read(self.fd, 65536):
                    break
            except OSError:
                break
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        os.close(self.fd)


def write_newsboat_config(home):
    nb = os.path.join(home, ".newsboat")
    urls = os.path.join(nb, "urls")
    with open(urls) as f:
        feeds = [line for line in f if line.strip() and not line.startswith('"query:')]
    with open(urls, "w") as f:
        for i, (_, expr) in enumerate(QUERIES):
            f.write('"query:Query %02d:%s"\n' % (i, expr.replace('"', '\\"')))
        f.writelines(feeds)


def write_tidings_config(config_home):
    os.makedirs(os.path.join(config_home, "tidings"), exist_ok=True)
    with open(os.path.join(config_home, "tidings", "config.toml"), "w") as f:
        for i, (expr, _) in enumerate(QUERIES):
            f.write("[[query]]\nname = \"Query %02d\"\nquery = '%s'\n\n" % (i, expr))


# What each program writes once a step is done (as `visible` gives it): the last query feed
# listed, the open query feed's help line or title, the search's results.
MARKERS = {
    "tidings": {"first": b"Query19", "opened": b"Escback", "searched": b"match"},
    "newsboat": {"first": b"Query19", "opened": b"Articlesinfeed", "searched": b"Searchresult"},
}


def measure(name, argv, env, quiet_ms, search_keys, search_word, open_index):
    """First screen, opening a query feed, and a search, in one run of the program."""
    marks = MARKERS[name]
    s = Session(argv, env)
    try:
        first = s.settle(s.start, quiet_ms, marks["first"])
        # Down to the query feed (the arrow key: both programs take it) and Enter at once,
        # timed from those keys: the reader loads the list of the feed the selection rests on.
        pressed = s.type(b"\x1b[B" * open_index + b"\r")
        opened = s.settle(pressed, quiet_ms, marks["opened"])
        s.type(b"\x1b" if name == "tidings" else b"q")
        s.settle(time.monotonic(), quiet_ms)
        s.type(search_keys)
        s.settle(time.monotonic(), quiet_ms)
        # The word and Enter at once, timed from the word: the reader searches as it is typed.
        typed = s.type(search_word.encode())
        s.type(b"\r")
        searched = s.settle(typed, quiet_ms, marks["searched"])
        return first, opened, searched
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tidings", required=True)
    ap.add_argument("--tidings-data", required=True)
    ap.add_argument("--newsboat-home", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quiet-ms", type=int, default=400)
    ap.add_argument("--word", default="usual")
    ap.add_argument("--open", type=int, default=15, help="which query feed to open (0-19; 15: title:usual)")
    args = ap.parse_args()

    base = {k: v for k, v in os.environ.items() if not k.endswith("_proxy") and not k.endswith("_PROXY")}
    base["TERM"] = "xterm-256color"
    write_newsboat_config(args.newsboat_home)
    tidings_home = os.path.abspath(args.tidings_data) + "-home"
    write_tidings_config(os.path.join(tidings_home, "config"))
    tidings_env = dict(base, HOME=tidings_home, XDG_CONFIG_HOME=os.path.join(tidings_home, "config"),
                       XDG_STATE_HOME=os.path.join(tidings_home, "state"))
    newsboat_env = dict(base, HOME=os.path.abspath(args.newsboat_home))

    results = {}
    for run in range(args.runs):
        for name, argv, env, keys in [
            ("tidings", [args.tidings, "--data-dir", args.tidings_data], tidings_env, CTRL_UNDERSCORE),
            ("newsboat", ["newsboat"], newsboat_env, b"/"),
        ]:
            got = measure(name, argv, env, args.quiet_ms, keys, args.word, args.open)
            results.setdefault(name, []).append(got)
            print("run %d %-8s first screen %.3f s, query feed %d opened %.3f s, search %.3f s" % (run, name, got[0], args.open, got[1], got[2]), flush=True)
    print()
    print("| median of %d runs (80x24, quiet %d ms) | first screen | query feed `%s` opened | search `%s` |" % (args.runs, args.quiet_ms, QUERIES[args.open][0], args.word))
    print("|---|---:|---:|---:|")
    for name, rows in results.items():
        cols = [statistics.median(r[i] for r in rows) for i in range(3)]
        print("| %s | %.2f s | %.2f s | %.2f s |" % ((name,) + tuple(cols)))


if __name__ == "__main__":
    main()
