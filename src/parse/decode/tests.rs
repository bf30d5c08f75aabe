use super::*;

#[test]
fn utf8_bom_wins_over_wrong_declaration() {
    let mut b = vec![0xEF, 0xBB, 0xBF];
    b.extend_from_slice("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>é</a>".as_bytes());
    let t = to_utf8(&b, None);
    assert!(t.starts_with("<?xml"));
    assert!(t.contains("<a>é</a>"));
    let fixed = fix_prolog(t);
    assert!(fixed.contains("encoding=\"UTF-8\""), "{fixed}");
}

#[test]
fn declared_legacy_encoding_is_decoded() {
    let (gbk, _, _) = encoding_rs::GBK.encode("<?xml version='1.0' encoding='GBK'?><t>中文</t>");
    let t = to_utf8(&gbk, None);
    assert!(t.contains("<t>中文</t>"));
    assert!(fix_prolog(t).contains("encoding='UTF-8'"));
}

#[test]
fn valid_utf8_wins_over_latin1_declaration() {
    let b = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><t>Grüße</t>".as_bytes();
    assert!(to_utf8(b, None).contains("Grüße"));
    // ...but real Latin-1 bytes are decoded as declared.
    let (l1, _, _) = WINDOWS_1252.encode("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><t>Grüße</t>");
    assert!(to_utf8(&l1, None).contains("Grüße"));
}

#[test]
fn http_charset_used_only_without_declaration() {
    let (cyr, _, _) = encoding_rs::WINDOWS_1251.encode("<rss><t>Привет</t></rss>");
    assert!(to_utf8(&cyr, Some("windows-1251")).contains("Привет"));
    // Mislabelled header over UTF-8 bytes.
    assert!(to_utf8("<t>Привет</t>".as_bytes(), Some("windows-1251")).contains("Привет"));
    // A declaration beats the header.
    let (l1, _, _) = WINDOWS_1252.encode("<?xml version=\"1.0\" encoding=\"windows-1252\"?><t>café</t>");
    assert!(to_utf8(&l1, Some("koi8-r")).contains("café"));
}

#[test]
fn utf16_and_utf32_are_transcoded() {
    let s = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><t>中文</t>";
    let mut le = vec![0xFF, 0xFE];
    let mut be = vec![0xFE, 0xFF];
    let mut le_nobom = vec![];
    for u in s.encode_utf16() {
        le.extend_from_slice(&u.to_le_bytes());
        be.extend_from_slice(&u.to_be_bytes());
        le_nobom.extend_from_slice(&u.to_le_bytes());
    }
    for b in [&le, &be, &le_nobom] {
        let t = fix_prolog(to_utf8(b, None));
        assert!(t.contains("<t>中文</t>"), "{t}");
        assert!(t.contains("encoding=\"UTF-8\""));
    }
    let mut u32le = vec![0xFF, 0xFE, 0, 0];
    for c in s.chars() {
        u32le.extend_from_slice(&(c as u32).to_le_bytes());
    }
    assert!(to_utf8(&u32le, None).contains("<t>中文</t>"));
}

#[test]
fn undeclared_legacy_encodings_are_guessed() {
    for (label, text) in [
        ("EUC-JP", "日本語のブログの記事です。今日はとても良い天気でした。"),
        ("Shift_JIS", "日本語のブログの記事です。今日はとても良い天気でした。"),
        ("Big5", "這是一篇繁體中文的部落格文章，今天天氣很好。"),
        ("KOI8-R", "Это статья в русском блоге, сегодня хорошая погода."),
        ("windows-1252", "Ceci est un article de blog français, très agréable à lire."),
    ] {
        let enc = Encoding::for_label(label.as_bytes()).expect("label");
        let xml = format!("<rss><channel><title>{text}</title></channel></rss>");
        let (bytes, _, _) = enc.encode(&xml);
        let decoded = to_utf8(&bytes, None);
        assert!(decoded.contains(text), "{label}: {decoded}");
    }
}

#[test]
fn stray_cp1252_bytes_are_repaired() {
    let b = b"<t>it\x92s caf\xc3\xa9</t>";
    assert_eq!(to_utf8(b, None), "<t>it\u{2019}s café</t>");
}

#[test]
fn a_character_cut_off_by_the_end_of_the_document_is_dropped() {
    // A download cut inside 址 (e5 9d 80) after a stray cp1252 byte: the byte is read as
    // windows-1252, the half character at the end is not read at all.
    assert_eq!(
        to_utf8(b"<t>\xe4\xb8\xad\xe6\x96\x87 it\x92s \xe5\x9d", None),
        "<t>\u{4e2d}\u{6587} it\u{2019}s "
    );
    assert_eq!(to_utf8(b"<t>\xe5\x9d\x80\xef", None), "<t>\u{5740}");
    // Not at the end: still windows-1252.
    assert_eq!(
        to_utf8(b"<t>\xe4\xb8\xad\xe6\x96\x87 caf\xe9</t>", None),
        "<t>\u{4e2d}\u{6587} caf\u{e9}</t>"
    );
}

#[test]
fn bogus_and_utf16_labels_on_ascii_bytes_are_ignored() {
    let b = "<?xml version=\"1.0\" encoding=\"bogus\"?><t>é</t>".as_bytes();
    assert!(to_utf8(b, None).contains("é"));
    let b = "<?xml version=\"1.0\" encoding=\"utf-16\"?><t>中</t>".as_bytes();
    let t = fix_prolog(to_utf8(b, None));
    assert!(t.contains("中") && t.contains("UTF-8"));
}

#[test]
fn declaration_after_comment_is_found() {
    let b = b"  <!-- hi --> <?xml version='1.0' encoding = \"Big5\" ?><a/>";
    let d = find_decl_encoding(b).map(|d| d.label);
    assert_eq!(d.as_deref(), Some("Big5"));
    assert_eq!(find_decl_encoding(b"<?xml version='1.0'?><a/>"), None);
}

fn encode(enc: &'static charcode::Encoding, text: &str) -> Vec<u8> {
    enc.encode(text).expect("encodable").0.into_owned()
}

#[test]
fn ebcdic_is_recognised_by_its_first_bytes() {
    let xml = "<?xml version=\"1.0\" encoding=\"IBM037\"?>\n<rss><t>Café [x]</t></rss>";
    let b = encode(charcode::IBM037, xml);
    assert_eq!(&b[..4], &[0x4C, 0x6F, 0xA7, 0x94]);
    let d = choose_encoding(&b, None);
    assert_eq!(d.encoding.name(), "IBM037");
    assert_eq!(d.evidence, Evidence::Ebcdic { declared: Some("IBM037".into()), known: true });
    let t = fix_prolog(to_utf8(&b, None));
    assert!(t.contains("<t>Café [x]</t>"), "{t}");
    assert!(t.contains("encoding=\"UTF-8\""), "{t}");
    assert_eq!(describe_decoding(&b, None).as_deref(), Some("encoding: EBCDIC, read as IBM037"));
}

#[test]
fn ebcdic_declaration_names_the_page() {
    // `[` and `]` are where IBM037 and IBM500 differ.
    let xml = "<?xml version='1.0' encoding='cp500'?><t>[Zürich]</t>";
    let b = encode(charcode::IBM500, xml);
    assert_eq!(choose_encoding(&b, None).encoding.name(), "IBM500");
    assert!(to_utf8(&b, None).contains("<t>[Zürich]</t>"));
    // A page charcode lacks: IBM037, noted.
    let b = encode(charcode::IBM037, "<?xml version='1.0' encoding='cp1047'?><t>Zürich</t>");
    assert!(to_utf8(&b, None).contains("<t>Zürich</t>"));
    assert_eq!(
        describe_decoding(&b, None).as_deref(),
        Some("encoding: EBCDIC, declared \"cp1047\" is unknown, read as IBM037")
    );
}

#[test]
fn ebcdic_new_lines_become_line_feeds() {
    let mut b = encode(charcode::IBM037, "<?xml version='1.0'?>");
    b.push(0x15); // NEL
    b.extend(encode(charcode::IBM037, "<t>a</t>"));
    assert_eq!(to_utf8(&b, None), "<?xml version='1.0'?>\n<t>a</t>");
}

#[test]
fn dos_code_pages_are_decoded_and_noted() {
    let xml = "<?xml version=\"1.0\" encoding=\"cp437\"?><t>╔═╗ Größe</t>";
    let b = encode(charcode::IBM437, xml);
    assert!(to_utf8(&b, None).contains("<t>╔═╗ Größe</t>"));
    assert_eq!(describe_decoding(&b, None).as_deref(), Some("encoding: declared \"cp437\", read as IBM437"));
    // By the HTTP charset, without a declaration.
    let b = encode(charcode::IBM855, "<rss><t>Новости</t></rss>");
    assert!(to_utf8(&b, Some("IBM855")).contains("<t>Новости</t>"));
    assert_eq!(
        describe_decoding(&b, Some("IBM855")).as_deref(),
        Some("encoding: HTTP charset \"IBM855\", read as IBM855")
    );
    // Valid UTF-8 still wins over the label.
    let b = "<?xml version=\"1.0\" encoding=\"cp437\"?><t>Größe</t>".as_bytes();
    assert_eq!(choose_encoding(b, None).evidence, Evidence::Utf8Despite { label: "cp437".into() });
    assert!(to_utf8(b, None).contains("<t>Größe</t>"));
}

#[test]
fn unknown_label_is_sniffed_never_silently_windows_1252() {
    let (cyr, _, _) = encoding_rs::WINDOWS_1251.encode(
        "<?xml version=\"1.0\" encoding=\"x-unknown\"?><t>Это статья в русском блоге, сегодня хорошая погода.</t>",
    );
    let d = choose_encoding(&cyr, None);
    assert_eq!(d.evidence, Evidence::Sniffed { unknown: Some("x-unknown".into()) });
    assert_eq!(d.encoding.name(), "windows-1251");
    assert!(to_utf8(&cyr, None).contains("сегодня хорошая погода"));
    assert_eq!(
        describe_decoding(&cyr, None).as_deref(),
        Some("encoding: unknown label \"x-unknown\", guessed windows-1251 by sniffing")
    );
    // An HTTP charset is used before sniffing, and said so.
    assert_eq!(choose_encoding(&cyr, Some("koi8-r")).encoding.name(), "KOI8-R");
    assert_eq!(
        describe_decoding(&cyr, Some("koi8-r")).as_deref(),
        Some("encoding: unknown label \"x-unknown\", read as KOI8-R by the HTTP charset \"koi8-r\"")
    );
}

#[test]
fn plain_documents_get_no_note() {
    for b in [
        &b"<?xml version=\"1.0\" encoding=\"utf-8\"?><t>a</t>"[..],
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><t>caf\xe9</t>",
        b"<rss><t>a</t></rss>",
    ] {
        assert_eq!(describe_decoding(b, None), None);
    }
}

#[test]
fn a_long_label_is_cut_short_in_the_note() {
    let label = "x".repeat(5000);
    let b = format!("<?xml version=\"1.0\" encoding=\"{label}\"?><t>a</t>");
    let note = describe_decoding(b.as_bytes(), None).unwrap();
    assert_eq!(note, format!("encoding: unknown label \"{}\", read as UTF-8", "x".repeat(40)));
}
