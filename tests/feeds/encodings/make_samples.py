#!/usr/bin/env python3
"""Writes the sample feeds in this folder that tests/parse_encodings.rs reads (issue 10,
item 4), each encoded with Python's own codec for the label it declares. Run from this folder:
python3 make_samples.py"""

def rss(label, channel, titles, author=None, nl="\n"):
    decl = f'<?xml version="1.0" encoding="{label}"?>' if label else '<?xml version="1.0"?>'
    items = "".join(
        f"<item><title>{t}</title><link>https://example.org/{i}</link>"
        + (f"<author>x@example.org ({author})</author>" if author else "")
        + f"</item>{nl}"
        for i, t in enumerate(titles, 1)
    )
    return (
        f'{decl}{nl}<rss version="2.0"><channel><title>{channel}</title>{nl}'
        f"<link>https://example.org/</link>{nl}{items}</channel></rss>{nl}"
    )

# (file, declared label, Python codec, channel title, item title)
SINGLE = [
    ("IBM855.xml", "IBM855", "cp855", "Лента", "Новости дня"),
    ("cp437.xml", "cp437", "cp437", "BBS", "╔══ Menü ══╗ │ ░▒▓ Größe"),
    ("cp850.xml", "cp850", "cp850", "Noticias", "Ñandú über Façade ©"),
    ("cp852.xml", "IBM852", "cp852", "Wiadomości", "Łódź, żółć"),
    ("cp866.xml", "cp866", "cp866", "Лента", "Новости дня"),
    ("cp737.xml", "cp737", "cp737", "Νέα", "Καλημέρα κόσμε"),
    ("cp775.xml", "cp775", "cp775", "Ziņas", "Ļoti labi, ąčęėįšųūž"),
    ("cp857.xml", "cp857", "cp857", "Haberler", "Işık ğüşöç İstanbul"),
    ("cp860.xml", "cp860", "cp860", "Notícias", "São Paulo à noite"),
    ("cp861.xml", "cp861", "cp861", "Fréttir", "Þórður ð Æ"),
    ("cp862.xml", "cp862", "cp862", "חדשות", "שלום עולם"),
    ("cp863.xml", "cp863", "cp863", "Nouvelles", "Québec: été ¶"),
    ("cp865.xml", "cp865", "cp865", "Nyheter", "Ærø Øst Å"),
    ("cp869.xml", "cp869", "cp869", "Νέα", "Ελλάδα ΄Αθήνα"),
    ("x-mac-cyrillic.xml", "x-mac-cyrillic", "mac_cyrillic", "Лента", "Новости дня"),
    ("MacRoman.xml", "MacRoman", "mac_roman", "t", "Café über"),
    ("x-mac-roman.xml", "x-mac-roman", "mac_roman", "t", "Café über"),
    ("macintosh.xml", "macintosh", "mac_roman", "t", "Café über"),
]

for name, label, codec, channel, title in SINGLE:
    with open(name, "wb") as f:
        f.write(rss(label, channel, [title]).encode(codec))

# EBCDIC: US (IBM037, line feeds as 0x25) and International (IBM500, with the mainframe's
# NEL 0x15 between lines; `[` `]` `!` `|` sit at different bytes than in IBM037).
with open("ebcdic-cp037.xml", "wb") as f:
    f.write(rss("IBM037", "Mainframe news", ["Café résumé", "Größe über alles"]).encode("cp037"))
with open("ebcdic-cp500.xml", "wb") as f:
    f.write(rss("ebcdic-cp-be", "[Zürich] news!", ["[Zürich] | Genève!"], nl="\x85").encode("cp500"))
# No readable declaration at all: `<?xml version="1.0"?>` in EBCDIC, so IBM037 is assumed.
with open("ebcdic-undeclared.xml", "wb") as f:
    f.write(rss(None, "Mainframe", ["Café résumé"]).encode("cp037"))

# Double-encoded (UTF-8 read as windows-1252, saved as UTF-8 again) titles and author, next
# to titles that must stay as they are.
def mojibake(s):
    # windows-1252 as browsers read it: its five unassigned bytes become the C1 controls.
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in s.encode("utf-8"))

with open("double-encoded.xml", "wb") as f:
    f.write(
        rss(
            "utf-8",
            mojibake("Café Noir"),
            [mojibake("Café à Paris"), mojibake("It’s “quoted”"), "São Paulo", "Ærø", "Plain ASCII"],
            author=mojibake("José Müller"),
        ).encode("utf-8")
    )
