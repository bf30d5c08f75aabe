//! The lenient fallback for markup quick-xml rejects: unclosed and mismatched tags, an
//! unclosed CDATA section, a stray `<`, a document cut off in the middle. One linear scan
//! with a stack of open elements decides a small list of edits, applied in one pass; the
//! rewritten text is then parsed strictly again. Tried only after the strict parse failed.

use super::decode::find;

/// How far down the stack of open elements a close tag may look for its start tag. Bounds the
/// work per close tag (hostile input: deep nesting and many unmatched close tags), and a real
/// mismatch is nearly always within a few levels.
const MAX_LOOKBACK: usize = 64;

enum Edit {
    /// Text inserted before the position.
    Insert(String),
    /// The `<` at the position written as `&lt;` (it starts no element).
    EscapeLt,
    /// The bytes from the position up to this end are dropped (an unmatched close tag).
    Delete(usize),
}

struct Open {
    /// Byte offset of the start tag's `<`.
    lt: usize,
    name: (usize, usize),
    /// Whether an element started inside it: an unclosed element without children is
    /// taken for text that happens to contain `<` (`<title>《<草根网>的前途》</title>`);
    /// one with children for a start tag whose end tag was forgotten.
    children: bool,
    /// For an item: an element that identifies it (`<guid>`, `<id>`, `<link>`) ended in it.
    identified: bool,
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':' || c >= 0x80
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b':' | b'_' | b'-' | b'.') || c >= 0x80
}

fn local(name: &[u8]) -> &[u8] {
    name.rsplit(|&c| c == b':').next().unwrap_or(name)
}

fn is_item(name: &[u8]) -> bool {
    let l = local(name);
    l.eq_ignore_ascii_case(b"item") || l.eq_ignore_ascii_case(b"entry")
}

/// An element that identifies an item: one of these whole, and the item can be told apart.
fn identifies(name: &[u8]) -> bool {
    let l = local(name);
    [&b"guid"[..], b"id", b"link"].iter().any(|n| l.eq_ignore_ascii_case(n))
}

/// An element of an item that is wrong when only half of it arrived: a cut inside one of
/// these drops the item (a cut inside its text, or anything else, keeps it as far as it goes).
fn whole_or_nothing(name: &[u8]) -> bool {
    let l = local(name);
    [
        &b"title"[..],
        b"guid",
        b"id",
        b"link",
        b"pubDate",
        b"published",
        b"updated",
        b"date",
        b"issued",
        b"modified",
        b"created",
    ]
    .iter()
    .any(|n| l.eq_ignore_ascii_case(n))
}

/// Marks the innermost open item as identified.
fn identify(b: &[u8], stack: &mut [Open]) {
    if let Some(item) = stack.iter_mut().rev().take(MAX_LOOKBACK).find(|o| is_item(&b[o.name.0..o.name.1])) {
        item.identified = true;
    }
}

/// End of a start tag beginning at `i` (after its `<`): the index just past `>`, quotes
/// respected. `None` when the text ends first.
fn tag_end(b: &[u8], mut i: usize) -> Option<usize> {
    let mut quote = None;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'"' | b'\'' => quote = Some(c),
                b'>' => return Some(i + 1),
                // A `<` before the `>`: this tag was never finished; no quote spans markup.
                b'<' => return None,
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// Ends the top `depth` open elements at `at`: one with children gets its end tag there,
/// one without is taken for text (its `<` escaped).
fn close_above(text: &str, stack: &mut Vec<Open>, depth: usize, at: usize, edits: &mut Vec<(usize, Edit)>) {
    for _ in 0..depth {
        let Some(o) = stack.pop() else { break };
        if o.children {
            edits.push((at, Edit::Insert(format!("</{}>", &text[o.name.0..o.name.1]))));
        } else {
            edits.push((o.lt, Edit::EscapeLt));
        }
    }
}

/// The text with its elements balanced, or `None` when nothing needed changing; with it,
/// whether an item the text was cut off in was kept (as far as it goes).
pub(crate) fn balance(text: &str) -> Option<(String, bool)> {
    let b = text.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    let mut edits: Vec<(usize, Edit)> = Vec::new();
    // Where the text is cut off (an unfinished construct at its end).
    let mut cut = b.len();
    let mut completed_items = 0usize;
    let last_cdata_end = text.rfind("]]>");
    let mut i = 0;
    while i < b.len() {
        let Some(p) = b[i..].iter().position(|&c| c == b'<') else { break };
        i += p;
        let rest = &b[i..];
        if rest.starts_with(b"<!--") {
            match find(&rest[4..], b"-->") {
                Some(e) => i += 4 + e + 3,
                None => {
                    cut = i;
                    break;
                }
            }
        } else if rest.starts_with(b"<![CDATA[") {
            // Known up front whether any `]]>` follows, so that many unclosed sections do
            // not each scan to the end (quadratic on hostile input).
            let closed = last_cdata_end.is_some_and(|e| e >= i + 9);
            match if closed { find(&rest[9..], b"]]>") } else { None } {
                Some(e) => i += 9 + e + 3,
                // Unclosed: it ends where its element does, at the next end tag.
                None => match find(&rest[9..], b"</") {
                    Some(e) => {
                        edits.push((i + 9 + e, Edit::Insert("]]>".to_owned())));
                        i += 9 + e;
                    }
                    None => {
                        edits.push((b.len(), Edit::Insert("]]>".to_owned())));
                        break;
                    }
                },
            }
        } else if rest.starts_with(b"<?") {
            match find(rest, b"?>") {
                Some(e) => i += e + 2,
                None => {
                    cut = i;
                    break;
                }
            }
        } else if rest.starts_with(b"<!") {
            // DOCTYPE (its internal subset may hold `>`) or a cut-off `<![CD`.
            match super::sniff::doctype_end(&rest[2..]) {
                Some(e) => i += 2 + e,
                None => {
                    cut = i;
                    break;
                }
            }
        } else if rest.starts_with(b"</") {
            let ns = i + 2;
            let mut ne = ns;
            while ne < b.len() && is_name_byte(b[ne]) {
                ne += 1;
            }
            let Some(gt) = b[ne..].iter().position(|&c| c == b'>').map(|g| ne + g + 1) else {
                cut = i;
                break;
            };
            let name = &b[ns..ne];
            let found = stack.iter().rev().take(MAX_LOOKBACK).position(|o| &b[o.name.0..o.name.1] == name);
            match found {
                Some(depth) => {
                    // Everything opened above the match ends here.
                    close_above(text, &mut stack, depth, i, &mut edits);
                    stack.pop();
                    if is_item(name) {
                        completed_items += 1;
                    } else if identifies(name) {
                        identify(b, &mut stack);
                    }
                }
                None => edits.push((i, Edit::Delete(gt))),
            }
            i = gt;
        } else if rest.get(1).is_some_and(|&c| is_name_start(c)) {
            let ns = i + 1;
            let mut ne = ns;
            while ne < b.len() && is_name_byte(b[ne]) {
                ne += 1;
            }
            let Some(end) = tag_end(b, ne) else {
                // A start tag never finished: the download was cut off there (whatever
                // follows was appended, such as closing tags).
                cut = i;
                break;
            };
            if is_item(&b[ns..ne]) {
                // Items sit in the channel (or feed, or root): an element left open before
                // one (`<itunes:category text='x'>` never closed) ends there, or every
                // item after it would be read as its child.
                let container = stack.iter().rev().take(MAX_LOOKBACK).position(|o| {
                    let l = local(&b[o.name.0..o.name.1]);
                    [&b"channel"[..], b"feed", b"rss", b"RDF"].iter().any(|c| l.eq_ignore_ascii_case(c))
                });
                if let Some(depth) = container {
                    close_above(text, &mut stack, depth, i, &mut edits);
                }
            }
            if let Some(parent) = stack.last_mut() {
                parent.children = true;
            }
            if b[end - 2] != b'/' {
                stack.push(Open { lt: i, name: (ns, ne), children: false, identified: false });
            } else if identifies(&b[ns..ne]) {
                // Atom's `<link href="..."/>`.
                identify(b, &mut stack);
            }
            i = end;
        } else {
            // `<` followed by a space, a digit, `<`...: text.
            edits.push((i, Edit::EscapeLt));
            i += 1;
        }
    }
    // The text ends inside elements. A partly received item after complete ones is kept
    // when it can be told apart (a whole guid, id or link) and the cut is in its text, not in
    // its title, id, link or a date (half of those would be wrong): the article is there,
    // its text cut short, as feedparser keeps it; otherwise it is dropped. When it is the
    // only one it is kept if the text stopped inside markup (`<![CD`, `<gu`): its text so far
    // is whole, while a stop inside text may have halved the last word.
    let in_markup = cut < b.len();
    let mut kept_cut = false;
    if let Some(k) = stack.iter().position(|o| is_item(&b[o.name.0..o.name.1])) {
        if completed_items == 0 && !in_markup {
            // Nothing would be left: the strict parser's complaint says more.
            return None;
        }
        let whole =
            stack[k].identified && !stack[k + 1..].iter().any(|o| whole_or_nothing(&b[o.name.0..o.name.1]));
        if completed_items > 0 && !whole {
            cut = stack[k].lt;
            stack.truncate(k);
        } else {
            kept_cut = completed_items > 0;
        }
    }
    if edits.is_empty() && stack.is_empty() && cut == b.len() {
        return None;
    }
    edits.retain(|(p, _)| *p < cut || (*p == b.len() && cut == b.len()));
    edits.sort_by_key(|(p, _)| *p);
    let mut out = String::with_capacity(text.len() + 64);
    let mut copied = 0;
    for (p, edit) in edits {
        if p < copied {
            continue;
        }
        out.push_str(&text[copied..p]);
        copied = p;
        match edit {
            Edit::Insert(s) => out.push_str(&s),
            Edit::EscapeLt => {
                out.push_str("&lt;");
                copied = p + 1;
            }
            Edit::Delete(end) => copied = end,
        }
    }
    out.push_str(&text[copied..cut.max(copied)]);
    for o in stack.iter().rev() {
        out.push_str("</");
        out.push_str(&text[o.name.0..o.name.1]);
        out.push('>');
    }
    Some((out, kept_cut))
}

#[cfg(test)]
mod tests {

    #[test]
    fn balances() {
        let balance = |t: &str| super::balance(t).map(|(t, _)| t);
        assert_eq!(balance("<a><b>x</b></a>"), None);
        assert_eq!(balance("<r><c t='x'><c t='y'/></r>").as_deref(), Some("<r><c t='x'><c t='y'/></c></r>"));
        assert_eq!(balance("<r><t>《<n>x》</t></r>").as_deref(), Some("<r><t>《&lt;n>x》</t></r>"));
        assert_eq!(balance("<r><t>a < b</t></r>").as_deref(), Some("<r><t>a &lt; b</t></r>"));
        assert_eq!(
            balance("<channel><k t='x'><k t='y'/><item>1</item></channel>").as_deref(),
            Some("<channel><k t='x'><k t='y'/></k><item>1</item></channel>")
        );
        assert_eq!(balance("<r><t>x</u></t></r>").as_deref(), Some("<r><t>x</t></r>"));
        assert_eq!(
            balance("<r><i><t><![CDATA[x</t></i></r>").as_deref(),
            Some("<r><i><t><![CDATA[x]]></t></i></r>")
        );
        assert_eq!(balance("<r><i><t><![CD").as_deref(), Some("<r><i><t></t></i></r>"));
        assert_eq!(balance("<f><entry>1</entry><entry><t>cut").as_deref(), Some("<f><entry>1</entry></f>"));
        assert_eq!(balance("<f><entry>1</entry><entry><t a=\"x").as_deref(), Some("<f><entry>1</entry></f>"));
        assert_eq!(balance("<f><entry><t>cut"), None);
        // A cut in the text of an item that has its id: kept, its text as far as it goes.
        assert_eq!(
            super::balance("<f><entry>1</entry><entry><id>2</id><title>Two</title><content>cu"),
            Some((
                "<f><entry>1</entry><entry><id>2</id><title>Two</title><content>cu</content></entry></f>"
                    .into(),
                true
            ))
        );
        assert_eq!(
            super::balance("<f><entry>1</entry><entry><link href='x'/><content><![CDATA[cu"),
            Some((
                "<f><entry>1</entry><entry><link href='x'/><content><![CDATA[cu]]></content></entry></f>"
                    .into(),
                true
            ))
        );
        // Cut in its title, or before an id: dropped.
        assert_eq!(
            balance("<f><entry>1</entry><entry><id>2</id><title>Tw").as_deref(),
            Some("<f><entry>1</entry></f>")
        );
        assert_eq!(
            balance("<f><entry>1</entry><entry><title>Two</title><content>cu").as_deref(),
            Some("<f><entry>1</entry></f>")
        );
        // Many unclosed CDATA sections: each ends at the next end tag (linear: `cargo bench
        // --bench parse_store` and the fuzz targets hold the speed; tests assert no timings).
        let many = format!("<r>{}</r>", "<a><![CDATA[x</a>".repeat(100_000));
        let fixed = balance(&many).unwrap_or_default();
        assert!(fixed.starts_with("<r><a><![CDATA[x]]></a><a>"), "{}", &fixed[..40]);
    }
}
