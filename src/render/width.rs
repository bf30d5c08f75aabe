//! Display widths and grapheme clusters, measured exactly as ratatui measures and draws them
//! (its `Span::width` is unicode-width's string width; it draws grapheme by grapheme). Going
//! through ratatui keeps this module from depending on unicode-width and unicode-segmentation
//! directly, and guarantees we agree with the widget that draws the lines.

use ratatui::style::Style;
use ratatui::text::Span;

/// Display columns of `s` (unicode-width, as ratatui's `Line::width`).
pub(super) fn str_width(s: &str) -> usize {
    Span::raw(s).width()
}

/// Cells `s` takes when ratatui's `Paragraph` draws it: the sum of its clusters' cell widths
/// (which may differ from `str_width`, e.g. for lam-alef).
pub(super) fn drawn_width(s: &str) -> usize {
    use ratatui::buffer::CellWidth;
    Span::raw(s).styled_graphemes(Style::default()).map(|g| usize::from(g.symbol.cell_width())).sum()
}

/// One grapheme cluster of a string: its byte range and its display width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Grapheme {
    pub start: usize,
    pub end: usize,
    pub width: usize,
}

/// The grapheme clusters of `s`, in order. Clusters holding a control character are left out
/// (ratatui would not draw them either).
pub(super) fn graphemes(s: &str) -> Vec<Grapheme> {
    let span = Span::raw(s);
    let base = s.as_ptr() as usize;
    span.styled_graphemes(Style::default())
        .map(|g| {
            let start = g.symbol.as_ptr() as usize - base;
            Grapheme { start, end: start + g.symbol.len(), width: str_width(g.symbol) }
        })
        .collect()
}

/// True for characters of scripts written without spaces between words, after which (and
/// before which) a line may break: CJK ideographs, kana, Hangul, and their full-width
/// punctuation and forms.
pub(super) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11ff}'     // Hangul Jamo
        | '\u{2e80}'..='\u{2fdf}'   // CJK radicals, Kangxi
        | '\u{3000}'..='\u{303f}'   // CJK symbols and punctuation
        | '\u{3040}'..='\u{30ff}'   // Hiragana, Katakana
        | '\u{3100}'..='\u{31ff}'   // Bopomofo, Hangul compatibility Jamo, Kanbun, strokes
        | '\u{3200}'..='\u{4dbf}'   // enclosed CJK, compatibility, extension A
        | '\u{4e00}'..='\u{9fff}'   // unified ideographs
        | '\u{a960}'..='\u{a97f}'   // Hangul Jamo extended A
        | '\u{ac00}'..='\u{d7ff}'   // Hangul syllables, Jamo extended B
        | '\u{f900}'..='\u{faff}'   // compatibility ideographs
        | '\u{fe30}'..='\u{fe4f}'   // CJK compatibility forms
        | '\u{ff00}'..='\u{ffef}'   // half-width and full-width forms
        | '\u{20000}'..='\u{3ffff}' // extensions B and later
    )
}

/// Characters a line should not start with (closing punctuation, small kana, iteration marks):
/// no break is offered before them.
pub(super) fn no_break_before(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '！'
            | '？'
            | '）'
            | '」'
            | '』'
            | '】'
            | '》'
            | '〉'
            | '〕'
            | '｝'
            | '］'
            | '〗'
            | '〙'
            | '”'
            | '’'
            | '…'
            | '‥'
            | '・'
            | '·'
            | 'ー'
            | '々'
            | '〜'
            | '～'
            | '．'
            | '％'
            | '゛'
            | '゜'
            | 'ゝ'
            | 'ゞ'
            | 'ヽ'
            | 'ヾ'
            | '〻'
            | 'ぁ'
            | 'ぃ'
            | 'ぅ'
            | 'ぇ'
            | 'ぉ'
            | 'っ'
            | 'ゃ'
            | 'ゅ'
            | 'ょ'
            | 'ゎ'
            | 'ゕ'
            | 'ゖ'
            | 'ァ'
            | 'ィ'
            | 'ゥ'
            | 'ェ'
            | 'ォ'
            | 'ッ'
            | 'ャ'
            | 'ュ'
            | 'ョ'
            | 'ヮ'
            | 'ヵ'
            | 'ヶ'
            | ','
            | '.'
            | ';'
            | ':'
            | '!'
            | '?'
            | ')'
            | ']'
            | '}'
            | '%'
            | '"'
            | '\''
            | '—'
            | '-'
    )
}

/// Characters a line should not end with (opening punctuation): no break is offered after them.
pub(super) fn no_break_after(c: char) -> bool {
    matches!(
        c,
        '（' | '「'
            | '『'
            | '【'
            | '《'
            | '〈'
            | '〔'
            | '｛'
            | '［'
            | '〖'
            | '〘'
            | '“'
            | '‘'
            | '('
            | '['
            | '{'
            | '"'
            | '\''
            | '—'
            | '-'
            | '#'
            | '$'
            | '@'
            | '＃'
            | '＄'
            | '￥'
            | '¥'
    )
}

/// Characters that belong to the grapheme before them (combining marks, variation selectors,
/// joiners, emoji modifiers, Hangul vowel and final jamo): never a break before them.
pub(super) fn joins_previous(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036f}'
        | '\u{1160}'..='\u{11ff}'
        | '\u{1ab0}'..='\u{1aff}'
        | '\u{1dc0}'..='\u{1dff}'
        | '\u{200c}'..='\u{200d}'
        | '\u{20d0}'..='\u{20ff}'
        | '\u{302a}'..='\u{302f}'
        | '\u{3099}'..='\u{309a}'
        | '\u{d7b0}'..='\u{d7ff}'
        | '\u{fe00}'..='\u{fe0f}'
        | '\u{fe20}'..='\u{fe2f}'
        | '\u{ff9e}'..='\u{ff9f}'
        | '\u{1f3fb}'..='\u{1f3ff}'
        | '\u{e0020}'..='\u{e007f}'
        | '\u{e0100}'..='\u{e01ef}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_clusters() {
        assert_eq!(str_width("中文"), 4);
        assert_eq!(str_width("\u{2764}\u{fe0f}"), 2);
        let g = graphemes("e\u{301}👨\u{200d}👩\u{200d}👧中");
        assert_eq!(g.len(), 3);
        assert_eq!((g[0].start, g[0].end, g[0].width), (0, 3, 1));
        assert_eq!(g[1].width, 2);
        assert_eq!(g[2].width, 2);
        assert!(is_cjk('中') && is_cjk('の') && is_cjk('한') && is_cjk('，') && !is_cjk('a'));
    }
}
