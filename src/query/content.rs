//! The text `content:` tests look in, made from a stored body for matching only.
//!
//! It is exactly `fold(&body.text())` ([`crate::store::ArticleBody::text`], then
//! [`super::fold`]), made with less work, since a `content:` test over a big store reads every
//! body: the body's strings are borrowed from the inflated record instead of copied (and its
//! image and link lists not kept), the HTML's text is gathered, decoded and folded into
//! buffers each thread keeps from one article to the next, and `&nbsp;` becomes a space as it
//! is folded instead of in a copy of its own. src/query/tests.rs compares the two on tricky
//! bodies.

use std::cell::RefCell;

use crate::model::ArticleId;
use crate::store::{Store, StoreError};

/// The buffers one thread reuses from one body to the next.
#[derive(Default)]
struct Scratch {
    /// The inflated record.
    plain: Vec<u8>,
    /// The HTML's text, its character references not decoded yet.
    raw: String,
    /// The same, decoded.
    decoded: String,
    /// A folded text given back by a finished candidate, for the next one.
    spare: String,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Buffers bigger than this are not kept between articles (a 5 MB body is no reason to hold
/// 5 MB per thread afterwards).
const KEEP_AT_MOST: usize = 1 << 20;

/// Appends to `out` (expected empty) the folded content text of article `id`: nothing when it
/// has no body.
pub(crate) fn folded(store: &Store, id: ArticleId, out: &mut String) -> Result<(), StoreError> {
    SCRATCH.with(|cell| {
        let Scratch { plain, raw, decoded, .. } = &mut *cell.borrow_mut();
        let result = store.body_texts(id, plain).map(|texts| {
            if let Some((html, summary)) = texts {
                fold_body_into(html, summary, out, raw, decoded);
            }
        });
        for buffer in [raw, decoded] {
            if buffer.capacity() > KEEP_AT_MOST {
                *buffer = String::new();
            }
        }
        if plain.capacity() > KEEP_AT_MOST {
            *plain = Vec::new();
        }
        result
    })
}

/// An empty string to fold a body into: the one the last candidate gave back, if any.
pub(super) fn buffer() -> String {
    SCRATCH.with(|cell| std::mem::take(&mut cell.borrow_mut().spare))
}

/// Takes back a string [`buffer`] gave, for the next candidate.
pub(super) fn give_back(mut s: String) {
    if s.capacity() == 0 || s.capacity() > KEEP_AT_MOST {
        return;
    }
    s.clear();
    // While a candidate is dropped inside another's use of the buffers (never today), this one
    // is simply dropped.
    SCRATCH.with(|cell| {
        if let Ok(mut scratch) = cell.try_borrow_mut() {
            if s.capacity() > scratch.spare.capacity() {
                scratch.spare = s;
            }
        }
    });
}

/// Appends `fold(&ArticleBody { html, summary, .. }.text())` to `out`: the summary's text and a
/// space first when there is a summary. `raw` and `decoded` are scratch space.
pub(super) fn fold_body_into(
    html: &str,
    summary: Option<&str>,
    out: &mut String,
    raw: &mut String,
    decoded: &mut String,
) {
    if let Some(summary) = summary {
        fold_html_into(summary, out, raw, decoded);
        // `fold` of "summary body" is `fold(summary) + " " + fold(body)`: folding is per
        // character, except that a run of non-ASCII characters is decomposed together, and a
        // space ends a run.
        out.push(' ');
    }
    fold_html_into(html, out, raw, decoded);
}

/// `fold(&flatten(html))`, appended.
fn fold_html_into(html: &str, out: &mut String, raw: &mut String, decoded: &mut String) {
    raw.clear();
    crate::parse::flatten_undecoded_into(html, raw);
    // References are decoded in the joined text, as `flatten` decodes them.
    let text = if raw.contains('&') {
        decoded.clear();
        crate::html::decode_entities_into(raw, decoded, false);
        decoded.as_str()
    } else {
        raw.as_str()
    };
    super::fold_into(text, out, true);
}
