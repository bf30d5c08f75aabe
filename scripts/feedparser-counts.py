#!/usr/bin/env python3
"""Writes tests/corpus/FEEDPARSER.tsv: how many entries Python's feedparser reads from each
file of the corpus copy in tests/corpus/feeds, the bytes given as they are (no HTTP headers).
tests/corpus_parse.rs checks that tidings reads at least as many articles from every one
(issue 10).

Two counts per file: `entries`, all that feedparser gives, and `articles`, the same without
the entries that hold nothing (an empty `<item/>` nested in an item) and with an entry that is
the same as an earlier one in every field counted once: tidings stores such an entry once and
says so in the fetch log ("1 repeated item skipped").

Run from the repository's root after changing the corpus: pip install feedparser, then
python3 scripts/feedparser-counts.py"""

import os
import warnings

import feedparser

warnings.filterwarnings("ignore")
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "corpus")
feeds = os.path.join(root, "feeds")
with open(os.path.join(root, "FEEDPARSER.tsv"), "w", encoding="utf-8") as out:
    out.write(f"# entries Python's feedparser {feedparser.__version__} reads; scripts/feedparser-counts.py\n")
    out.write("file\tentries\tarticles\n")
    for name in sorted(os.listdir(feeds)):
        with open(os.path.join(feeds, name), "rb") as f:
            parsed = feedparser.parse(f.read())
        seen = set()
        for e in parsed.entries:
            if any(e.values()):
                seen.add(repr(sorted(e.items())))
        out.write(f"{name}\t{len(parsed.entries)}\t{len(seen)}\n")
