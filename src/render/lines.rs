//! html2text's annotated lines to styled ratatui lines: markers turned into what they stand
//! for, annotations into styles, `<pre>` blocks put back, every span cleaned, every line
//! fitted to the width, blank lines collapsed; then the notes and the "Links" list.

use html2text::render::TaggedLine;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::decorate::{
    Ann, Tagged, BULLET, CELL_SEP, HEAD_ROW, MARKER_FIRST, MARKER_LAST, NUMBER, PRE, P_BULLET, P_HEADING,
    P_NUMBER, P_QUOTE, REF_CLOSE, REF_OPEN, RULE,
};
use super::prepare::{placeholder_index, Prepared};
use super::width::{
    drawn_width, graphemes, is_cjk, joins_previous, no_break_after, no_break_before, str_width, Grapheme,
};
use super::{ArticleStyles, LinkCells, RefKind, Reference, Rendered};
use crate::sanitize;

/// What the body is made of.
pub(super) enum Body {
    /// html2text's layout.
    Tagged(Tagged),
    /// Plain text with `\n` between blocks, when html2text failed.
    Plain(String),
}

/// Link text kept for a reference, at most this many characters.
const MAX_REF_TEXT: usize = 200;
/// A URL in the "Links" list is shown up to this many characters, and a URL that must not be
/// opened up to the second number.
const MAX_SHOWN_URL: usize = 2000;
const MAX_SHOWN_UNSAFE_URL: usize = 80;
const NOT_OPENED: &str = "(not opened)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A quote bar or the spaces after a prefix marker.
    Bar,
    /// A list bullet or number.
    Marker,
    Content,
    Rule,
}

#[derive(Debug)]
struct Piece {
    text: String,
    style: Style,
    kind: Kind,
    /// The number of the link this text belongs to (its text or its `[n]` marker).
    link: Option<usize>,
}

#[derive(Debug, Default)]
struct RawLine {
    pieces: Vec<Piece>,
    heading: bool,
    quote: bool,
    /// The line holds the marker of `<pre>` block number k.
    pre: Option<usize>,
    /// The line is (part of) a table's header row.
    head_row: bool,
}

impl RawLine {
    fn push(&mut self, text: impl Into<String>, style: Style, kind: Kind) {
        self.push_content(text.into(), style, kind, None);
    }

    fn push_content(&mut self, text: String, style: Style, kind: Kind, link: Option<usize>) {
        if !text.is_empty() {
            self.pieces.push(Piece { text, style, kind, link });
        }
    }

    /// Nothing but whitespace and quote bars.
    fn is_blank(&self) -> bool {
        self.pre.is_none()
            && self
                .pieces
                .iter()
                .all(|p| p.kind == Kind::Bar || (p.kind == Kind::Content && p.text.trim().is_empty()))
    }

    /// A line html2text draws between the rows of a table (or above or below it): its content
    /// is only box-drawing characters, with at least one junction.
    fn is_table_border(&self) -> bool {
        let content = || self.pieces.iter().filter(|p| p.kind == Kind::Content).flat_map(|p| p.text.chars());
        content().all(|c| matches!(c, '─' | '┬' | '┼' | '┴' | '│' | '├' | '┤' | ' '))
            && content().any(|c| matches!(c, '┬' | '┼' | '┴'))
    }

    /// The pieces before the content (bars, markers, indentation), and the number of them.
    fn prefix_len(&self) -> usize {
        self.pieces.iter().take_while(|p| p.kind != Kind::Content || p.text.trim().is_empty()).count()
    }
}

/// Where we are inside a marker that spans several characters (maybe several lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inside {
    Text,
    /// Between `REF_OPEN` and `REF_CLOSE`.
    Ref,
    /// After `NUMBER`, up to the next space.
    Number,
    /// Between the two `PRE`s.
    Pre,
}

/// Turns html2text lines into `RawLine`s, keeping what spans lines: a marker broken across
/// lines, and the text of each link's first occurrence.
struct Converter<'s> {
    styles: &'s ArticleStyles,
    /// The clusters `prepare` replaced by placeholders.
    clusters: &'s [String],
    width: usize,
    inside: Inside,
    /// The digits of the marker being read (`Ref`, `Pre`).
    digits: String,
    /// Per reference number: its text so far, the line it was last added from, and whether its
    /// first occurrence has ended.
    link_text: Vec<(String, usize, bool)>,
    line_no: usize,
}

impl Converter<'_> {
    fn style_for(&self, tags: &[Ann]) -> (Style, Option<usize>) {
        let st = self.styles;
        let pre = tags.iter().any(|t| matches!(t, Ann::Preformat(_)));
        let mut style = Style::new();
        let mut link = None;
        for t in tags {
            style = match t {
                Ann::Plain | Ann::Link(None) => style,
                Ann::Link(Some(n)) => {
                    link = Some(*n);
                    style.patch(st.link)
                }
                Ann::Image => style.patch(st.image),
                Ann::Emphasis => style.patch(st.emphasis),
                Ann::Strong => style.patch(st.strong),
                Ann::Strikeout => style.patch(st.strikeout),
                Ann::Code if pre => style,
                Ann::Code => style.patch(st.code),
                Ann::Preformat(_) => style.patch(st.preformatted),
            };
        }
        (style, link)
    }

    fn flush(&mut self, raw: &mut RawLine, buf: &mut String, style: Style, link: Option<usize>) {
        if buf.is_empty() {
            return;
        }
        let text = std::mem::take(buf);
        match self.inside {
            // html2text writes a link's `[n]` inside the link's annotation: it links too.
            Inside::Ref => raw.push_content(text, self.styles.note, Kind::Content, link),
            Inside::Number => raw.push(text, self.styles.list_marker, Kind::Marker),
            Inside::Text | Inside::Pre => {
                if let Some(n) = link {
                    self.add_link_text(n, &text);
                }
                raw.push_content(text, style, Kind::Content, link);
            }
        }
    }

    fn add_link_text(&mut self, n: usize, piece: &str) {
        let line_no = self.line_no;
        let Some((text, line, done)) = self.link_text.get_mut(n) else { return };
        if *done || text.len() > MAX_REF_TEXT * 4 {
            return;
        }
        if *line != line_no && !text.is_empty() {
            let joined_cjk = text.chars().next_back().is_some_and(is_cjk)
                && piece.trim_start().chars().next().is_some_and(is_cjk);
            if !joined_cjk {
                text.push(' ');
            }
        }
        text.push_str(piece);
        *line = line_no;
    }

    fn line(&mut self, tl: &TaggedLine<Vec<Ann>>) -> RawLine {
        let st = self.styles;
        let mut raw = RawLine::default();
        for ts in tl.tagged_strings() {
            let (style, link) = self.style_for(&ts.tag);
            let mut buf = String::new();
            let mut chars = ts.s.chars().peekable();
            let spaces = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
                let mut sp = String::new();
                while chars.next_if_eq(&' ').is_some() {
                    sp.push(' ');
                }
                sp
            };
            while let Some(c) = chars.next() {
                match c {
                    _ if self.inside == Inside::Pre => {
                        if c == PRE {
                            raw.pre = self.digits.parse().ok();
                            self.digits.clear();
                            self.inside = Inside::Text;
                        } else if c.is_ascii_digit() {
                            self.digits.push(c);
                        }
                    }
                    P_BULLET | P_QUOTE => {
                        self.flush(&mut raw, &mut buf, style, link);
                        if c == P_BULLET {
                            raw.push("•", st.list_marker, Kind::Marker);
                        } else {
                            raw.push("│", st.quote, Kind::Bar);
                            raw.quote = true;
                        }
                        raw.push(spaces(&mut chars), Style::new(), Kind::Bar);
                    }
                    P_NUMBER => {
                        let head =
                            buf.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '-').len();
                        let number = buf.split_off(head);
                        self.flush(&mut raw, &mut buf, style, link);
                        raw.push(number, st.list_marker, Kind::Marker);
                        raw.push(format!(" {}", spaces(&mut chars)), Style::new(), Kind::Bar);
                    }
                    P_HEADING => {
                        self.flush(&mut raw, &mut buf, style, link);
                        raw.heading = true;
                    }
                    REF_OPEN => {
                        self.flush(&mut raw, &mut buf, style, link);
                        self.inside = Inside::Ref;
                        self.digits.clear();
                        buf.push('[');
                    }
                    REF_CLOSE if self.inside == Inside::Ref => {
                        buf.push(']');
                        if let Some(entry) =
                            self.digits.parse::<usize>().ok().and_then(|n| self.link_text.get_mut(n))
                        {
                            entry.2 = true;
                        }
                        self.flush(&mut raw, &mut buf, style, link);
                        self.inside = Inside::Text;
                    }
                    c if self.inside == Inside::Ref && c.is_ascii_digit() => {
                        self.digits.push(c);
                        buf.push(c);
                    }
                    PRE => {
                        self.flush(&mut raw, &mut buf, style, link);
                        self.inside = Inside::Pre;
                        self.digits.clear();
                    }
                    RULE => {
                        self.flush(&mut raw, &mut buf, style, link);
                        raw.push("─", st.rule, Kind::Rule);
                    }
                    BULLET => {
                        self.flush(&mut raw, &mut buf, style, link);
                        raw.push("•", st.list_marker, Kind::Marker);
                    }
                    CELL_SEP => {
                        self.flush(&mut raw, &mut buf, style, link);
                        raw.push("│", st.rule, Kind::Content);
                    }
                    NUMBER => {
                        self.flush(&mut raw, &mut buf, style, link);
                        self.inside = Inside::Number;
                    }
                    ' ' if self.inside == Inside::Number => {
                        self.flush(&mut raw, &mut buf, style, link);
                        self.inside = Inside::Text;
                        buf.push(' ');
                    }
                    '\u{a0}' => buf.push(' '),
                    HEAD_ROW => {
                        raw.head_row = true;
                        buf.push(' ');
                    }
                    c if (MARKER_FIRST..=MARKER_LAST).contains(&c) => {}
                    c if c >= '\u{f0000}' => {
                        if let Some(cluster) = placeholder_index(c).and_then(|k| self.clusters.get(k)) {
                            buf.push_str(cluster);
                        }
                    }
                    // Tabs are expanded later; any other control character is a marker we do
                    // not know and must not show.
                    c if c.is_control() && c != '\t' => {}
                    c => buf.push(c),
                }
            }
            self.flush(&mut raw, &mut buf, style, link);
        }
        self.finish_line(&mut raw);
        self.line_no += 1;
        raw
    }

    /// Heading and quote styles over the line's content; a rule alone on its line across it.
    fn finish_line(&self, raw: &mut RawLine) {
        let st = self.styles;
        let is_rule_line = raw.pieces.iter().any(|p| p.kind == Kind::Rule)
            && raw.pieces.iter().all(|p| p.kind != Kind::Content || p.text.trim().is_empty());
        if is_rule_line {
            let others: usize =
                raw.pieces.iter().filter(|p| p.kind != Kind::Rule).map(|p| str_width(&p.text)).sum();
            let rules = raw.pieces.iter().filter(|p| p.kind == Kind::Rule).count();
            let span = (self.width.saturating_sub(others) / rules.max(1)).max(1);
            for p in raw.pieces.iter_mut().filter(|p| p.kind == Kind::Rule) {
                p.text = "─".repeat(span);
            }
        }
        if raw.heading || raw.quote {
            let mut started = false;
            for p in raw.pieces.iter_mut().filter(|p| p.kind == Kind::Content) {
                started = started || !p.text.trim().is_empty();
                if !started {
                    continue;
                }
                if raw.quote {
                    p.style = p.style.patch(st.quote);
                }
                if raw.heading {
                    p.style = p.style.patch(st.heading);
                }
            }
        }
    }
}

/// Collects output lines: never two blank lines in a row, none at the start; trailing ones are
/// dropped by `finish`.
struct Out {
    lines: Vec<Line<'static>>,
    blank: Vec<bool>,
    /// How many quotes the last line was in.
    quotes: usize,
    links: Vec<LinkCells>,
}

impl Out {
    fn push(&mut self, line: Line<'static>, blank: bool) {
        self.push_fitted(Fitted { line, links: Vec::new() }, blank);
    }

    fn push_fitted(&mut self, fitted: Fitted, blank: bool) {
        if blank && self.blank.last().is_none_or(|&b| b) {
            return;
        }
        let line = self.lines.len();
        self.links.extend(fitted.links.into_iter().map(|(start, end, reference)| LinkCells {
            line,
            start,
            end,
            reference,
        }));
        self.lines.push(fitted.line);
        self.blank.push(blank);
    }

    /// A body line `quotes` quotes deep: a quote that ends is set off by a blank line
    /// (html2text puts none before a list that follows it).
    fn push_body(&mut self, fitted: Fitted, blank: bool, quotes: usize) {
        if !blank && quotes < self.quotes {
            self.blank();
        }
        if !blank {
            self.quotes = quotes;
        }
        self.push_fitted(fitted, blank);
    }

    fn blank(&mut self) {
        self.push(Line::default(), true);
    }

    /// The lines and where their links are (trailing blank lines hold none).
    fn finish(mut self) -> (Vec<Line<'static>>, Vec<LinkCells>) {
        while self.blank.last() == Some(&true) {
            self.blank.pop();
            self.lines.pop();
        }
        (self.lines, self.links)
    }
}

pub(super) fn assemble(
    body: Body,
    mut refs: Vec<Reference>,
    prepared: &Prepared,
    notes: &[String],
    width: usize,
    styles: &ArticleStyles,
) -> Rendered {
    let pres = &prepared.pres;
    let mut out = Out { lines: Vec::new(), blank: Vec::new(), quotes: 0, links: Vec::new() };
    match body {
        Body::Tagged(tagged) => {
            let mut conv = Converter {
                styles,
                clusters: &prepared.clusters,
                width,
                inside: Inside::Text,
                digits: String::new(),
                link_text: vec![(String::new(), 0, false); refs.len() + 1],
                line_no: 0,
            };
            // html2text draws a rule above, between and below the rows of a table: only the
            // one under a header row is kept.
            let mut after_header = false;
            for tl in &tagged {
                let mut raw = conv.line(tl);
                if raw.head_row {
                    after_header = true;
                } else if raw.is_table_border() && !std::mem::take(&mut after_header) {
                    if !raw.pieces.iter().any(|p| p.kind == Kind::Marker) {
                        continue;
                    }
                    // A list item's marker shares the line: it stays, alone.
                    raw.pieces.retain(|p| p.kind != Kind::Content);
                }
                push_raw(&mut out, raw, pres, width, styles);
            }
            for r in &mut refs {
                match r.kind {
                    RefKind::Enclosure => {}
                    RefKind::Link => {
                        if let Some((text, _, _)) = conv.link_text.get(r.number) {
                            r.text = cut(&sanitize::line(text), MAX_REF_TEXT);
                        }
                    }
                    RefKind::Image => r.text = restore(&r.text, &prepared.clusters),
                }
            }
        }
        Body::Plain(text) => {
            for block in text.split('\n') {
                let block = block.split_whitespace().collect::<Vec<_>>().join(" ");
                if block.is_empty() {
                    out.blank();
                } else {
                    for line in fit(&[(block, Style::new())], width, 0) {
                        out.push(line, false);
                    }
                }
            }
        }
    }
    let has_enclosures = refs.iter().any(|r| r.kind == RefKind::Enclosure);
    if out.lines.is_empty() && !has_enclosures {
        for line in fit(&[("(this article has no text)".to_owned(), styles.note)], width, 0) {
            out.push(line, false);
        }
    }
    if has_enclosures {
        out.blank();
        for r in refs.iter().filter(|r| r.kind == RefKind::Enclosure) {
            for fitted in enclosure_lines(r, width, styles) {
                out.push_fitted(fitted, false);
            }
        }
    }
    for note in notes {
        out.blank();
        for line in fit(&[(note.clone(), styles.note)], width, 0) {
            out.push(line, false);
        }
    }
    if !refs.is_empty() {
        out.blank();
        for line in fit(&[("Links".to_owned(), styles.heading)], width, 0) {
            out.push(line, false);
        }
        for r in &refs {
            for fitted in reference_lines(r, width, styles) {
                out.push_fitted(fitted, false);
            }
        }
    }
    let (lines, mut link_cells) = out.finish();
    // A link that must not be opened (`javascript:`) is not marked in the body either.
    link_cells.retain(|c| c.reference.checked_sub(1).and_then(|i| refs.get(i)).is_some_and(|r| r.openable));
    Rendered { lines, references: refs, link_cells }
}

/// One converted line into `out`: fitted to the width, or, for a `<pre>` marker, the block's
/// lines, each broken at the width and carrying the marker line's prefix (quote bars; list
/// markers become spaces after the first line).
fn push_raw(out: &mut Out, raw: RawLine, pres: &[String], width: usize, styles: &ArticleStyles) {
    let blank = raw.is_blank();
    let quotes = raw.pieces.iter().filter(|p| p.kind == Kind::Bar && p.text == "│").count();
    let prefix_len = raw.prefix_len();
    let pre = raw.pre.and_then(|k| pres.get(k));
    let only_pre = raw.pieces[prefix_len..].is_empty();
    // After the first line of a block, list markers become spaces; bars repeat.
    let next: Vec<(String, Style)> = raw.pieces[..prefix_len]
        .iter()
        .map(|p| match p.kind {
            Kind::Marker => (" ".repeat(str_width(&p.text)), Style::new()),
            _ => (p.text.clone(), p.style),
        })
        .collect();
    let mut pieces: Vec<(String, Style, Option<usize>)> =
        raw.pieces.into_iter().map(|p| (p.text, p.style, p.link)).collect();
    match pre {
        Some(text) if only_pre => {
            pieces.truncate(prefix_len);
            let mut first: Vec<(String, Style)> = pieces.into_iter().map(|(t, s, _)| (t, s)).collect();
            let mut next = next;
            let mut prefix_width: usize = first.iter().map(|(t, _)| str_width(t)).sum();
            if prefix_width * 2 > width {
                // No room for the prefix: the block starts at the margin.
                first.clear();
                next.clear();
                prefix_width = 0;
            }
            let mut at_first = true;
            for line in text.split('\n') {
                let rows =
                    fit_with(&[(line.to_owned(), styles.preformatted)], width - prefix_width, 0, Mode::Pre);
                for row in rows {
                    let row = row.line;
                    let prefix = if at_first { &first } else { &next };
                    at_first = false;
                    let row_blank = row.spans.is_empty();
                    let mut spans: Vec<Span<'static>> =
                        prefix.iter().map(|(t, s)| Span::styled(t.clone(), *s)).collect();
                    spans.extend(row.spans);
                    let line = Line::from(spans);
                    let line = if row_blank { trim_end(line) } else { line };
                    let blank = row_blank && next.iter().all(|(t, _)| t.trim().is_empty());
                    out.push_body(Fitted { line, links: Vec::new() }, blank, quotes);
                }
            }
        }
        Some(text) => {
            // The marker shares its line (html2text kept it inside something inline): the
            // block's text, flowed.
            pieces.push((text.replace('\n', " "), styles.preformatted, None));
            for fitted in fit_with(&pieces, width, 0, Mode::Words) {
                out.push_body(fitted, false, quotes);
            }
        }
        None => {
            for fitted in fit_with(&pieces, width, 0, Mode::Words) {
                let blank = blank || fitted.line.spans.iter().all(|s| s.content.trim().is_empty());
                out.push_body(fitted, blank, quotes);
            }
        }
    }
}

fn trim_end(mut line: Line<'static>) -> Line<'static> {
    while let Some(last) = line.spans.last_mut() {
        let trimmed = last.content.trim_end().len();
        if trimmed == 0 {
            line.spans.pop();
        } else {
            if trimmed < last.content.len() {
                let mut s = last.content.to_string();
                s.truncate(trimmed);
                last.content = s.into();
            }
            break;
        }
    }
    line
}

/// `[enclosure 3] audio/mpeg, 34.2 MB: https://…` after the body: the URL moves to the next
/// line when it does not fit, and is broken at the width; one that may be opened is marked as
/// its link, one that may not is shown short and marked "(not opened)".
fn enclosure_lines(r: &Reference, width: usize, styles: &ArticleStyles) -> Vec<Fitted> {
    let facts = if r.text.is_empty() { String::new() } else { format!("{}:", r.text) };
    let (shown, style, link) = if r.openable {
        (cut(&r.url, MAX_SHOWN_URL), styles.link, Some(r.number))
    } else {
        (cut(&r.url, MAX_SHOWN_UNSAFE_URL), Style::new(), None)
    };
    let mut pieces =
        vec![(format!("[enclosure {}]", r.number), styles.note, None), (" ".to_owned(), Style::new(), None)];
    if !facts.is_empty() {
        pieces.push((facts, Style::new(), None));
        pieces.push((" ".to_owned(), Style::new(), None));
    }
    pieces.push((shown, style, link));
    if !r.openable {
        pieces.push((" ".to_owned(), Style::new(), None));
        pieces.push((NOT_OPENED.to_owned(), styles.note, None));
    }
    fit_with(&pieces, width, 0, Mode::Words)
}

/// `[3] https://…` in the "Links" list: the URL broken wherever the width runs out, its
/// continuation lines under its start; a URL not to be opened shown short and marked.
/// The URL of one that may be opened is marked as its link.
fn reference_lines(r: &Reference, width: usize, styles: &ArticleStyles) -> Vec<Fitted> {
    let number = format!("[{}]", r.number);
    let indent = number.len() + 1;
    let indent = if indent * 3 <= width { indent } else { 0 };
    let (shown, style, link) = if r.openable {
        (cut(&r.url, MAX_SHOWN_URL), styles.link, Some(r.number))
    } else {
        (cut(&r.url, MAX_SHOWN_UNSAFE_URL), Style::new(), None)
    };
    let pieces = [(number, styles.note, None), (" ".to_owned(), Style::new(), None), (shown, style, link)];
    let mut lines = fit_with(&pieces, width, indent, Mode::Anywhere);
    if !r.openable {
        match lines.last_mut() {
            Some(last) if last.line.width() + 1 + NOT_OPENED.len() <= width => {
                last.line.spans.push(Span::raw(" "));
                last.line.spans.push(Span::styled(NOT_OPENED, styles.note));
            }
            _ => {
                let pieces = [(" ".repeat(indent), Style::new()), (NOT_OPENED.to_owned(), styles.note)];
                lines.extend(fit_with(&pieces, width, indent, Mode::Words));
            }
        }
    }
    lines
}

/// `s` with the clusters `prepare` replaced by placeholders put back.
fn restore(s: &str, clusters: &[String]) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            c if (MARKER_FIRST..=MARKER_LAST).contains(&c) => {}
            c if c >= '\u{f0000}' => {
                if let Some(cluster) = placeholder_index(c).and_then(|k| clusters.get(k)) {
                    out.push_str(cluster);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `s` cut to `max` characters, with `…` when cut.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Where a line too long for the width may break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// After a space, or between CJK characters; anywhere if a word is longer than a line.
    Words,
    /// Anywhere (a URL); continuation lines do not start with a space.
    Anywhere,
    /// Anywhere, keeping every space (preformatted text).
    Pre,
}

/// Lays `pieces` out in lines at most `width` columns wide (as ratatui draws them, cluster by
/// cluster). Every piece is cleaned (forbidden characters dropped, tabs expanded to the next
/// multiple of 8) and trailing whitespace goes. A line that fits stays one line; one that does
/// not breaks at its last space or CJK break opportunity before the limit (else anywhere, never
/// inside a grapheme cluster), and its continuation lines start `indent` columns in. A cluster
/// wider than a whole line (an emoji at width 1) is shown as `?`.
pub(super) fn fit(pieces: &[(String, Style)], width: usize, indent: usize) -> Vec<Line<'static>> {
    fit_with(pieces, width, indent, Mode::Words).into_iter().map(|f| f.line).collect()
}

/// Text to lay out: a piece of a line, its style, and the link it belongs to.
trait FitPiece {
    fn text(&self) -> &str;
    fn style(&self) -> Style;
    fn link(&self) -> Option<usize>;
}

impl FitPiece for (String, Style) {
    fn text(&self) -> &str {
        &self.0
    }
    fn style(&self) -> Style {
        self.1
    }
    fn link(&self) -> Option<usize> {
        None
    }
}

impl FitPiece for (String, Style, Option<usize>) {
    fn text(&self) -> &str {
        &self.0
    }
    fn style(&self) -> Style {
        self.1
    }
    fn link(&self) -> Option<usize> {
        self.2
    }
}

/// A laid-out line and where its links are: `(start, end, link)` in drawn columns.
#[derive(Debug)]
struct Fitted {
    line: Line<'static>,
    links: Vec<(u16, u16, usize)>,
}

impl Fitted {
    /// `line`, whose span `i` belongs to link `tags[i]` (spans past the end of `tags`: to
    /// none). Adjacent spans of the same link make one run.
    fn new(line: Line<'static>, tags: &[Option<usize>]) -> Fitted {
        let mut links: Vec<(u16, u16, usize)> = Vec::new();
        if tags.iter().all(Option::is_none) {
            return Fitted { line, links };
        }
        let mut column = 0u16;
        for (span, tag) in line.spans.iter().zip(tags.iter().chain(std::iter::repeat(&None))) {
            let start = column;
            column = column.saturating_add(u16::try_from(drawn_width(&span.content)).unwrap_or(u16::MAX));
            let Some(n) = *tag else { continue };
            match links.last_mut() {
                Some(last) if last.1 == start && last.2 == n => last.1 = column,
                _ if column > start => links.push((start, column, n)),
                _ => {}
            }
        }
        Fitted { line, links }
    }
}

fn fit_with<P: FitPiece>(pieces: &[P], width: usize, indent: usize, mode: Mode) -> Vec<Fitted> {
    let width = width.max(1);
    let (full, starts) = clean_pieces(pieces);
    if full.is_empty() {
        return vec![Fitted { line: Line::default(), links: Vec::new() }];
    }
    let span_of = |s: usize, e: usize, style: Style| Span::styled(full[s..e].to_owned(), style);
    // Fast path: every character is a cluster of its own (as in most Latin and CJK text) and
    // the whole fits, so ratatui's cluster-by-cluster width is the string's width.
    if (full.is_ascii() && full.len() <= width) || (full.chars().all(is_simple) && str_width(&full) <= width)
    {
        let spans = starts
            .iter()
            .enumerate()
            .map(|(i, &(s, style, _))| {
                span_of(s, starts.get(i + 1).map_or(full.len(), |&(e, _, _)| e), style)
            })
            .collect::<Vec<_>>();
        let tags: Vec<Option<usize>> = starts.iter().map(|&(_, _, link)| link).collect();
        return vec![Fitted::new(Line::from(spans), &tags)];
    }
    let gs = graphemes(&full);
    let indent = if indent < width { indent } else { 0 };
    // Clusters wider than the narrowest line (an emoji at width 1) are drawn as one `?`.
    let narrowest = width - indent;
    let gw = |g: &Grapheme| if g.width > narrowest { 1 } else { g.width };
    let is_ws = |g: &Grapheme| full[g.start..g.end].chars().all(char::is_whitespace);
    let skip_leading_ws = mode != Mode::Pre;
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let total: usize = gs.iter().map(gw).sum();
    if total <= width {
        rows.push((0..gs.len()).collect());
    } else {
        let mut cur: Vec<usize> = Vec::new();
        let mut cur_w = 0usize;
        let mut limit = width;
        for (i, g) in gs.iter().enumerate() {
            let w = gw(g);
            while cur_w + w > limit && !cur.is_empty() {
                let split = if mode == Mode::Words { break_point(&full, &gs, &cur, i) } else { None };
                let tail = match split {
                    Some(k) => cur.split_off(k),
                    None => Vec::new(),
                };
                rows.push(std::mem::take(&mut cur));
                limit = width - indent;
                cur = tail.into_iter().skip_while(|&j| skip_leading_ws && is_ws(&gs[j])).collect();
                cur_w = cur.iter().map(|&j| gw(&gs[j])).sum();
                // A tail too long for a continuation line is cut hard.
                while cur_w > limit {
                    let mut n = 0;
                    let mut hw = 0;
                    while n < cur.len() && hw + gw(&gs[cur[n]]) <= limit {
                        hw += gw(&gs[cur[n]]);
                        n += 1;
                    }
                    let n = n.max(1);
                    rows.push(cur.drain(..n).collect());
                    cur_w = cur.iter().map(|&j| gw(&gs[j])).sum();
                }
            }
            if cur.is_empty() && !rows.is_empty() && skip_leading_ws && is_ws(g) {
                continue;
            }
            cur.push(i);
            cur_w += w;
        }
        if !cur.is_empty() {
            rows.push(cur);
        }
        // A row of nothing but spaces (a line that started with more spaces than fit) is no
        // line at all.
        if mode != Mode::Pre {
            rows.retain(|row| !row.iter().all(|&j| is_ws(&gs[j])));
        }
    }
    let mut lines = Vec::with_capacity(rows.len());
    for (r, row) in rows.iter().enumerate() {
        let mut spans: Vec<Span<'static>> = Vec::new();
        let mut tags: Vec<Option<usize>> = Vec::new();
        if r > 0 && indent > 0 {
            spans.push(Span::raw(" ".repeat(indent)));
            tags.push(None);
        }
        let mut piece = usize::MAX;
        let mut text = String::new();
        for &j in row {
            let g = &gs[j];
            // The piece a cluster starts in gives its style (a cluster never straddles spans).
            let p = starts.partition_point(|&(s, _, _)| s <= g.start).saturating_sub(1);
            if p != piece {
                if !text.is_empty() {
                    spans.push(Span::styled(std::mem::take(&mut text), starts[piece].1));
                    tags.push(starts[piece].2);
                }
                piece = p;
            }
            if g.width > narrowest {
                text.push('?');
            } else {
                text.push_str(&full[g.start..g.end]);
            }
        }
        if !text.is_empty() {
            spans.push(Span::styled(text, starts[piece].1));
            tags.push(starts[piece].2);
        }
        // Both only shorten the line from its end, so `tags` still lines up with the spans.
        let line = shrink_to(trim_end(Line::from(spans)), width);
        lines.push(Fitted::new(line, &tags));
    }
    lines
}

/// True for characters that always form a grapheme cluster of their own and whose width does
/// not depend on their neighbours: printable Latin, Greek, Cyrillic, general punctuation and
/// symbols, CJK ideographs, kana, Hangul syllables and full-width forms.
fn is_simple(c: char) -> bool {
    matches!(c,
        ' '..='~'
        | '\u{a0}'..='\u{ac}'
        | '\u{ae}'..='\u{2ff}'
        | '\u{370}'..='\u{482}'
        | '\u{48a}'..='\u{52f}'
        | '\u{2010}'..='\u{2027}'
        | '\u{2030}'..='\u{205e}'
        | '\u{2070}'..='\u{20cf}'
        | '\u{2100}'..='\u{2bff}'
        | '\u{3000}'..='\u{3029}'
        | '\u{3030}'..='\u{3096}'
        | '\u{309b}'..='\u{30ff}'
        | '\u{3100}'..='\u{318f}'
        | '\u{3200}'..='\u{9fff}'
        | '\u{ac00}'..='\u{d7a3}'
        | '\u{f900}'..='\u{faff}'
        | '\u{fe30}'..='\u{fe4f}'
        | '\u{ff01}'..='\u{ff9d}'
        | '\u{ffa0}'..='\u{ffdc}'
    )
}

/// A safety net: drops characters from the end of `line` until ratatui's own measure of it is
/// at most `width` (the cluster measure above should already guarantee it).
fn shrink_to(mut line: Line<'static>, width: usize) -> Line<'static> {
    while line.width() > width {
        let Some(last) = line.spans.last_mut() else { break };
        let mut s = last.content.to_string();
        s.pop();
        if s.is_empty() {
            line.spans.pop();
        } else {
            last.content = s.into();
        }
    }
    line
}

/// The pieces' text concatenated and cleaned, with the byte offset where each piece starts
/// (with its style and link).
fn clean_pieces<P: FitPiece>(pieces: &[P]) -> (String, Vec<(usize, Style, Option<usize>)>) {
    let mut full = String::new();
    let mut starts = Vec::with_capacity(pieces.len());
    for piece in pieces {
        let text = piece.text();
        let start = full.len();
        if sanitize::is_clean_text(text) && !text.contains(['\t', '\n']) {
            full.push_str(text);
        } else {
            for c in text.chars() {
                match c {
                    '\t' => {
                        let col = str_width(&full);
                        full.extend(std::iter::repeat_n(' ', 8 - col % 8));
                    }
                    '\n' => full.push(' '),
                    c if sanitize::is_forbidden(c) => {}
                    c => full.push(c),
                }
            }
        }
        if full.len() > start {
            starts.push((start, piece.style(), piece.link()));
        }
    }
    let trimmed = full.trim_end().len();
    full.truncate(trimmed);
    starts.retain(|&(s, _, _)| s < full.len());
    (full, starts)
}

/// Where to break the row of graphemes `cur` (indices into `gs`) that grapheme `next` does not
/// fit after: the index in `cur` of the first grapheme of the next line (`cur.len()`: only
/// `next` moves). At a space, or between CJK characters where a line may break; never inside
/// the row's leading indentation. `None`: no such place, break hard.
fn break_point(full: &str, gs: &[Grapheme], cur: &[usize], next: usize) -> Option<usize> {
    let text = |j: usize| &full[gs[j].start..gs[j].end];
    let ws = |j: usize| text(j).chars().all(char::is_whitespace);
    let lead = cur.iter().take_while(|&&j| ws(j)).count();
    (lead + 1..=cur.len()).rev().find(|&k| {
        let (a, b) = (cur[k - 1], cur.get(k).copied().unwrap_or(next));
        if ws(a) || ws(b) {
            return true;
        }
        match (text(a).chars().next_back(), text(b).chars().next()) {
            (Some(ca), Some(cb)) => {
                (is_cjk(ca) || is_cjk(cb))
                    && !no_break_after(ca)
                    && !no_break_before(cb)
                    && !joins_previous(cb)
            }
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect()
    }

    fn fitted_texts(lines: &[Fitted]) -> Vec<String> {
        texts(&lines.iter().map(|f| f.line.clone()).collect::<Vec<_>>())
    }

    #[test]
    fn fit_breaks_at_spaces_and_between_cjk() {
        let p = |s: &str| vec![(s.to_owned(), Style::new())];
        assert_eq!(texts(&fit(&p("one two three"), 8, 0)), ["one two", "three"]);
        assert_eq!(texts(&fit(&p("one two three"), 7, 0)), ["one two", "three"]);
        assert_eq!(texts(&fit(&p("中文中文中文，好"), 6, 0)), ["中文中", "文中", "文，好"]);
        assert_eq!(texts(&fit(&p("abcdefghij"), 4, 0)), ["abcd", "efgh", "ij"]);
        assert_eq!(
            texts(&fit(&p("[1] https://example.com/x"), 12, 4)),
            ["[1]", "    https://", "    example.", "    com/x"]
        );
        assert_eq!(
            fitted_texts(&fit_with(&p("[1] https://example.com/x"), 12, 4, Mode::Anywhere)),
            ["[1] https://", "    example.", "    com/x"]
        );
        assert_eq!(fitted_texts(&fit_with(&p("ab  cd  ef"), 4, 0, Mode::Pre)), ["ab", "cd", "ef"]);
        assert_eq!(fitted_texts(&fit_with(&p("abc  def"), 4, 0, Mode::Pre)), ["abc", " def"]);
        assert_eq!(texts(&fit(&p("a\tb\u{1b}[1m\u{202e}"), 20, 0)), ["a       b[1m"]);
        assert_eq!(texts(&fit(&p("中"), 1, 0)), ["?"]);
        assert_eq!(texts(&fit(&p("   "), 5, 0)), [""]);
    }

    #[test]
    fn fit_keeps_clusters_whole_across_pieces() {
        let pieces = vec![("e".to_owned(), Style::new()), ("\u{301}x".to_owned(), Style::new().bold())];
        let lines = fit(&pieces, 1, 0);
        assert_eq!(texts(&lines), ["e\u{301}", "x"]);
        assert_eq!(lines[1].spans[0].style, Style::new().bold());
    }

    #[test]
    fn fit_measures_clusters_as_ratatui_draws_them() {
        // unicode-width counts lam-alef as one column; ratatui draws two clusters.
        let line = "\u{644}\u{627}".repeat(10);
        let lines = fit(&[(line, Style::new())], 12, 0);
        assert_eq!(lines.len(), 2);
    }
}
