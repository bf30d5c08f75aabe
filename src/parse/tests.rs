use super::*;

const URL: &str = "https://example.com/feed.xml";

fn parse(xml: &str) -> ParsedFeed {
    match parse_feed(xml.as_bytes(), None, URL) {
        Ok(f) => f,
        Err(e) => panic!("parse failed: {e}"),
    }
}

fn rss_items(items: &str) -> String {
    format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>https://example.com/</link>{items}</channel></rss>")
}

#[test]
fn bare_rss_and_odd_versions_parse_as_rss2() {
    for root in [
        "<rss>",
        "<rss version=\"0.93\">",
        "<rss version='2.01' xmlns:dc=\"http://purl.org/dc/elements/1.1/\">",
        "<rss version=\"1.0\">",
    ] {
        let xml = format!(
            "{root}<channel><title>Bare</title><item><title>One</title><guid>1</guid></item></channel></rss>"
        );
        let f = parse(&xml);
        assert_eq!(f.format, FeedFormat::Rss2, "{root}");
        assert_eq!(f.title, "Bare");
        assert_eq!(f.articles.len(), 1);
    }
    // 0.91 stays RSS 0.
    let f = parse("<rss version=\"0.91\"><channel><title>Old</title><item><title>a</title><link>http://x.org/a</link></item></channel></rss>");
    assert_eq!(f.format, FeedFormat::Rss0);
}

#[test]
fn json_feed_with_http_version_and_missing_title() {
    let json = r#"{"version":"http://jsonfeed.org/version/1","title":"J","home_page_url":"https://j.org/","items":[{"id":"1","title":"a","content_text":"x < y\nz"}]}"#;
    let f = match parse_feed(json.as_bytes(), None, "https://j.org/feed.json") {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(f.format, FeedFormat::Json);
    assert_eq!(f.title, "J");
    assert_eq!(f.site_link.as_deref(), Some("https://j.org/"));
    assert_eq!(f.articles[0].content_html, "x &lt; y<br>\nz");

    let no_title = "\u{feff}{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[]}";
    let f = parse_feed(no_title.as_bytes(), None, URL);
    assert!(f.is_ok_and(|f| f.title.is_empty()));

    let not_feed = parse_feed(br#"{"rss":{"channel":{}}}"#, None, URL);
    assert!(matches!(not_feed, Err(ParseError::NotJsonFeed)), "{not_feed:?}");
    let v3 = parse_feed(br#"{"version":"https://jsonfeed.org/version/3","title":"x","items":[]}"#, None, URL);
    assert!(matches!(v3, Err(ParseError::UnsupportedJsonVersion { .. })), "{v3:?}");
    let broken = parse_feed(br#"{"version": "https://jsonfeed.org/version/1", "title": "#, None, URL);
    assert!(matches!(broken, Err(ParseError::MalformedJson { .. })), "{broken:?}");
}

#[test]
fn json_relative_urls_and_attachments() {
    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","url":"/p/1","content_html":"<img src='i.png'>",
        "attachments":[{"url":"/a.mp3","mime_type":"audio/mpeg","size_in_bytes":10},{"url":"/a.mp3","mime_type":"audio/mpeg"}]}]}"#;
    let f = parse_feed(json.as_bytes(), None, "https://j.org/feeds/f.json").unwrap_or_else(|e| panic!("{e}"));
    let a = &f.articles[0];
    assert_eq!(a.link.as_deref(), Some("https://j.org/p/1"));
    assert_eq!(a.images, ["https://j.org/p/i.png"]);
    assert_eq!(
        a.enclosures,
        [Enclosure { url: "https://j.org/a.mp3".into(), mime: Some("audio/mpeg".into()), length: Some(10) }]
    );
}

#[test]
fn utf8_bom_beats_wrong_prolog() {
    let mut b = vec![0xEF, 0xBB, 0xBF];
    b.extend_from_slice(
        rss_items("<item><title>Grüße 中文</title><guid>1</guid></item>")
            .replace("<?xml version=\"1.0\"?>", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>")
            .as_bytes(),
    );
    let f = parse_feed(&b, None, URL).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.articles[0].title, "Grüße 中文");
}

#[test]
fn gbk_and_other_prolog_encodings() {
    for (label, enc) in [
        ("GBK", encoding_rs::GBK),
        ("gb2312", encoding_rs::GBK),
        ("GB18030", encoding_rs::GB18030),
        ("Big5", encoding_rs::BIG5),
        ("Shift_JIS", encoding_rs::SHIFT_JIS),
        ("EUC-JP", encoding_rs::EUC_JP),
        ("EUC-KR", encoding_rs::EUC_KR),
        ("windows-1251", encoding_rs::WINDOWS_1251),
        ("ISO-8859-2", encoding_rs::ISO_8859_2),
    ] {
        let text = match label {
            "Big5" => "繁體中文標題",
            "Shift_JIS" | "EUC-JP" => "日本語のタイトル",
            "EUC-KR" => "한국어 제목",
            "windows-1251" => "Заголовок",
            "ISO-8859-2" => "Zażółć gęślą",
            _ => "简体中文标题 •",
        };
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"{label}\"?><rss version=\"2.0\"><channel><title>{text}</title><item><title>{text}</title><description>&lt;p&gt;{text}&lt;/p&gt;</description></item></channel></rss>"
        );
        let (bytes, _, unmappable) = enc.encode(&xml);
        if unmappable {
            // GBK cannot hold U+2022; the GB18030 row covers it.
            continue;
        }
        let f = parse_feed(&bytes, None, URL).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(f.title, text, "{label}");
        assert_eq!(f.articles[0].title, text, "{label}");
        assert_eq!(f.articles[0].content_html, format!("<p>{text}</p>"), "{label}");
    }
}

#[test]
fn utf16_be_with_bom_does_not_panic_and_decodes() {
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><title>中文</title></channel></rss>";
    let mut be = vec![0xFE, 0xFF];
    for u in xml.encode_utf16() {
        be.extend_from_slice(&u.to_be_bytes());
    }
    let f = parse_feed(&be, None, URL).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.title, "中文");
}

#[test]
fn panic_inside_feed_rs_is_contained() {
    // Raw UTF-16BE bytes handed straight to feed-rs make quick-xml panic (parse_feed never
    // does this: it transcodes first). run_feed_rs must turn that into an error.
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><title>x</title><item><title>y</title></item></channel></rss>";
    let mut be = vec![0xFE, 0xFF];
    for u in xml.encode_utf16() {
        be.extend_from_slice(&u.to_be_bytes());
    }
    match run_feed_rs(&be, None) {
        Err(ParseError::Crashed { detail }) => assert!(detail.contains("set_encoding"), "{detail}"),
        // If a newer quick-xml stops panicking, the document must at least not crash us.
        Ok(_) => {}
        Err(e) => panic!("unexpected error {e}"),
    }
}

#[test]
fn http_charset_mislabelled_and_real() {
    let xml =
        rss_items("<item><title>Привет</title><guid>1</guid></item>").replace("<?xml version=\"1.0\"?>", "");
    // UTF-8 bytes with a windows-1251 header: the header is wrong.
    let f = parse_feed(xml.as_bytes(), Some("windows-1251"), URL).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.articles[0].title, "Привет");
    // Real windows-1251 bytes and no prolog: the header is right.
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&xml);
    let f = parse_feed(&bytes, Some("windows-1251"), URL).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.articles[0].title, "Привет");
    // A prolog beats the header.
    let with_prolog = format!("<?xml version=\"1.0\" encoding=\"KOI8-R\"?>{xml}");
    let (bytes, _, _) = encoding_rs::KOI8_R.encode(&with_prolog);
    let f = parse_feed(&bytes, Some("windows-1251"), URL).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.articles[0].title, "Привет");
}

#[test]
fn charset_from_content_type_cases() {
    assert_eq!(charset_from_content_type("text/xml; charset=ISO-8859-1").as_deref(), Some("ISO-8859-1"));
    assert_eq!(charset_from_content_type("application/rss+xml;Charset=\"utf-8\"").as_deref(), Some("utf-8"));
    assert_eq!(charset_from_content_type("text/xml; q=1; charset='gbk' ").as_deref(), Some("gbk"));
    assert_eq!(charset_from_content_type("text/xml"), None);
    assert_eq!(charset_from_content_type("text/xml; charset="), None);
}

#[test]
fn control_characters_are_removed_everywhere() {
    let xml = rss_items(
        "<item><title>a&#27;[31mred&#7;</title><link>https://example.com/&#27;x</link><author>me&#27;@x.org (Me&#155;)</author>\
         <description>body&#27;[2J\nline&#8238;</description><guid>g&#27;1</guid></item>",
    );
    let f = parse(&xml);
    let a = &f.articles[0];
    assert_eq!(a.title, "a[31mred");
    assert_eq!(a.guid.as_deref(), Some("g1"));
    assert!(a.content_html.contains("body[2J\nline"));
    for s in [&a.title, &a.content_html, a.link.as_deref().unwrap_or(""), a.author.as_deref().unwrap_or("")] {
        assert!(!s.chars().any(|c| sanitize::is_forbidden(c) && c != '\n' && c != '\t'), "{s:?}");
    }
}

#[test]
fn html_titles_are_flattened() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">&lt;b&gt;Feed&lt;/b&gt; &amp;amp; co</title>
        <entry><id>1</id><title type="html">&lt;em&gt;Hello&lt;/em&gt;&amp;nbsp;world &amp;#8212; &amp;hellip;</title></entry>
        <entry><id>2</id><title>Use &lt;div&gt; wisely</title></entry>
        <entry><id>3</id><title>Tom &amp;amp; Jerry &amp;nbsp;<![CDATA[<b>x</b>]]></title></entry></feed>"#;
    let f = parse(atom);
    assert_eq!(f.title, "Feed & co");
    assert_eq!(f.articles[0].title, "Hello world \u{2014} \u{2026}");
    assert_eq!(f.articles[1].title, "Use <div> wisely");
    assert_eq!(f.articles[2].title, "Tom & Jerry x");
}

#[test]
fn nbsp_left_literal_becomes_space() {
    let f = parse(&rss_items("<item><title>a&nbsp;b</title><guid>1</guid></item>"));
    assert_eq!(f.articles[0].title, "a b");
}

#[test]
fn id_rules_and_stability() {
    let xml = rss_items(
        "<item><title>A</title><guid isPermaLink=\"false\">tag:x,1</guid><link>https://example.com/a</link></item>\
         <item><title>B</title><link>/b</link></item>\
         <item><title>C</title><description>body c</description></item>\
         <item><description>only body</description></item>",
    );
    let f1 = parse(&xml);
    let f2 = parse(&xml);
    assert_eq!(f1, f2, "same bytes, same result");
    let a = &f1.articles;
    assert_eq!(a.len(), 4);
    assert_eq!(a[0].guid.as_deref(), Some("tag:x,1"));
    assert_eq!(a[0].key, article_key(Some("tag:x,1"), None, "", ""));
    assert_eq!(a[1].guid, None, "feed-rs's generated id must not leak");
    assert_eq!(a[1].link.as_deref(), Some("https://example.com/b"));
    assert_eq!(a[1].key, article_key(None, Some("https://example.com/b"), "", ""));
    assert_eq!(a[2].guid, None);
    assert_eq!(a[2].key, article_key(None, None, "C", "body c"));
    assert_eq!(a[3].key, article_key(None, None, "", "only body"));
    // Editing the title of an item with a link keeps its key.
    let edited = parse(&xml.replace("<title>B</title>", "<title>B, edited</title>"));
    assert_eq!(edited.articles[1].key, a[1].key);
    // A guid and a link with the same text are different keys.
    assert_ne!(article_key(Some("x"), None, "", ""), article_key(None, Some("x"), "", ""));
}

#[test]
fn repeated_guids_do_not_lose_items() {
    // The same GUID on different items: keyed by link (or content) instead.
    let f = parse(&rss_items(
        "<item><title>1</title><guid>same</guid><link>/1</link></item><item><title>2</title><guid>same</guid><link>/2</link></item>",
    ));
    assert_eq!(f.articles.len(), 2);
    assert_eq!(f.articles[0].guid.as_deref(), Some("same"));
    assert_eq!(f.articles[0].key, article_key(None, Some("https://example.com/1"), "", ""));
    // A truly repeated item (same GUID, same link) is one article: the first wins.
    let f = parse(&rss_items(
        "<item><title>1</title><guid>same</guid><link>/1</link></item><item><title>1 again</title><guid>same</guid><link>/1</link></item>",
    ));
    assert_eq!(f.articles.len(), 1);
    assert_eq!(f.articles[0].title, "1");
}

/// Two posts under one permalink (as Scripting News wrote two posts of a day) are two
/// articles; the same item written twice is one. The fetch log says which happened.
#[test]
fn items_sharing_an_id_with_other_text_are_kept_and_repeats_are_noted() {
    let f = parse(&rss_items(
        "<item><guid>http://s.example/2017/06/25.html#a0806</guid><description>Good morning!</description></item>\
         <item><title>Code mode</title><guid>http://s.example/2017/06/25.html#a1106</guid><description>Code.</description></item>\
         <item><guid>http://s.example/2017/06/25.html#a0806</guid><description>In 2015 I wrote about Dropbox.</description></item>\
         <item><description>A song.</description><enclosure url=\"http://s.example/a.mp3\" length=\"5\" type=\"audio/mpeg\"/></item>\
         <item><description>A song.</description><enclosure url=\"http://s.example/a.mp3\" length=\"5\" type=\"audio/mpeg\"/></item>",
    ));
    let bodies: Vec<&str> = f.articles.iter().map(|a| a.content_html.as_str()).collect();
    assert_eq!(bodies, ["Good morning!", "Code.", "In 2015 I wrote about Dropbox.", "A song."]);
    let keys: HashSet<ArticleKey> = f.articles.iter().map(|a| a.key).collect();
    assert_eq!(keys.len(), 4);
    // The first keeps the key it always had; the other is keyed by its text.
    assert_eq!(
        f.articles[0].key,
        article_key(None, Some("http://s.example/2017/06/25.html#a0806"), "", "Good morning!")
    );
    let other = &f.articles[2];
    assert_eq!(other.key, article_key(None, None, &other.title, &other.content_html));
    assert_eq!(f.articles[2].guid.as_deref(), Some("http://s.example/2017/06/25.html#a0806"));
    assert_eq!(
        f.notes,
        [
            "fallbacks used: 3 links from a permalink guid or atom:link",
            "1 item with the id of an earlier item but another text kept apart",
            "1 repeated item skipped: the same as an earlier item"
        ]
    );
    // Atom: two entries with one id and link but other content.
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
        <entry><id>tag:x,2004:4</id><title>Second</title><link href="http://x.example/4"/><content>Short.</content></entry>
        <entry><id>tag:x,2004:4</id><title>Third</title><link href="http://x.example/4"/><content>Text version.</content></entry></feed>"#;
    let titles: Vec<String> = parse(atom).articles.into_iter().map(|a| a.title).collect();
    assert_eq!(titles, ["Second", "Third"]);
}

#[test]
fn dates_fallbacks_and_implausible_values() {
    let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>d</title>
        <entry><id>1</id><published>2020-01-02T03:04:05Z</published><updated>2021-01-01T00:00:00Z</updated></entry>
        <entry><id>2</id><updated>2021-01-01T00:00:00+01:00</updated></entry>
        <entry><id>3</id><published>1970-01-01T00:00:00Z</published></entry>
        <entry><id>4</id><published>2999-01-01T00:00:00Z</published><updated>2020-05-05T00:00:00Z</updated></entry>
        <entry><id>5</id><published>last tuesday</published></entry>
        <entry><id>6</id><published>2019-03-04 05:06:07</published></entry>
        <entry><id>7</id><published>0000-00-00T00:00:00Z</published></entry></feed>"#;
    let f = parse(xml);
    let d = |i: usize| f.articles[i].date.map(|d| d.to_rfc3339());
    assert_eq!(d(0).as_deref(), Some("2020-01-02T03:04:05+00:00"));
    assert_eq!(f.articles[0].updated.map(|d| d.to_rfc3339()).as_deref(), Some("2021-01-01T00:00:00+00:00"));
    assert_eq!(d(1).as_deref(), Some("2020-12-31T23:00:00+00:00"));
    assert_eq!(d(2), None);
    assert_eq!(d(3).as_deref(), Some("2020-05-05T00:00:00+00:00"));
    assert_eq!(d(4), None);
    assert_eq!(d(5).as_deref(), Some("2019-03-04T05:06:07+00:00"));
    assert_eq!(d(6), None);

    let rss = rss_items(
        "<item><guid>a</guid><pubDate>Mon, 1 June 2020 9:05:00 CEST</pubDate></item>\
         <item><guid>b</guid><pubDate>Thu, 01 Jan 1970 00:00:00 +0000</pubDate></item>",
    );
    let f = parse(&rss);
    assert_eq!(f.articles[0].date.map(|d| d.to_rfc3339()).as_deref(), Some("2020-06-01T07:05:00+00:00"));
    assert_eq!(f.articles[1].date, None);
    assert_eq!(f.articles[1].updated, None);
}

#[test]
fn relative_links_are_resolved() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example.org/en/">
        <title>b</title><link href="/"/><link rel="self" href="feed.atom"/>
        <entry><id>1</id><link href="posts/1.html"/>
          <content type="html">&lt;a href="../about"&gt;a&lt;/a&gt; &lt;img src="img/x.png"&gt;</content></entry>
        <entry xml:base="https://other.example.net/x/"><id>2</id><link href="p2"/>
          <content type="html" xml:base="https://third.example.com/z/">&lt;a href="y"&gt;y&lt;/a&gt;</content></entry></feed>"#;
    let f = parse(atom);
    assert_eq!(f.site_link.as_deref(), Some("https://blog.example.org/"));
    let a = &f.articles[0];
    assert_eq!(a.link.as_deref(), Some("https://blog.example.org/en/posts/1.html"));
    assert_eq!(a.links, ["https://blog.example.org/about"]);
    assert_eq!(a.images, ["https://blog.example.org/en/img/x.png"]);
    let b = &f.articles[1];
    assert_eq!(b.link.as_deref(), Some("https://other.example.net/x/p2"));
    assert_eq!(b.links, ["https://third.example.com/z/y"]);

    // RSS without xml:base: the article link, else the feed URL.
    let rss = rss_items(
        "<item><guid>1</guid><link>/2024/post/</link><description>&lt;img src=\"pic.jpg\"&gt;&lt;a href=\"/x\"&gt;x&lt;/a&gt;</description></item>",
    );
    let f = parse(&rss);
    assert_eq!(f.site_link.as_deref(), Some("https://example.com/"));
    assert_eq!(f.articles[0].link.as_deref(), Some("https://example.com/2024/post/"));
    assert_eq!(f.articles[0].images, ["https://example.com/2024/post/pic.jpg"]);
    assert_eq!(f.articles[0].links, ["https://example.com/x"]);
}

#[test]
fn file_urls_and_plain_paths_do_not_fail() {
    let xml = rss_items("<item><guid>1</guid><link>a.html</link></item>");
    for u in ["file:///tmp/feeds/f.xml", "/tmp/feeds/f.xml", "f.xml", "", "not a url at all"] {
        let f = parse_feed(xml.as_bytes(), None, u).unwrap_or_else(|e| panic!("{u}: {e}"));
        assert_eq!(f.articles.len(), 1);
    }
    let f = parse_feed(xml.as_bytes(), None, "/tmp/feeds/f.xml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.articles[0].link.as_deref(), Some("file:///tmp/feeds/a.html"));
}

#[test]
fn body_choice_and_images_links() {
    let xml = r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>
        <item><guid>1</guid><description>summary</description><content:encoded><![CDATA[<p>Full <A HREF=/a?x=1&amp;y=2>one</A> <a href='javascript:alert(1)'>bad</a>
        <img src=pic.png alt="a > b"><img data-src="lazy.png" src="data:image/gif;base64,R0"><img src="pic.png"></p>]]></content:encoded></item>
        <item><guid>2</guid><description>only &lt;b&gt;summary&lt;/b&gt;</description></item>
        <item><guid>3</guid></item></channel></rss>"#;
    let f = match parse_feed(xml.as_bytes(), None, "http://h.org/blog/rss") {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    let a = &f.articles[0];
    assert!(a.content_html.starts_with("<p>Full"));
    assert_eq!(a.links, ["http://h.org/a?x=1&y=2"]);
    assert_eq!(a.images, ["http://h.org/blog/pic.png", "http://h.org/blog/lazy.png"]);
    assert_eq!(f.articles[1].content_html, "only <b>summary</b>");
    assert_eq!(f.articles[2].content_html, "");
}

#[test]
fn atom_plain_text_is_escaped_unless_it_is_html() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
        <entry><id>1</id><content type="text">a &lt; b &amp;&amp; c</content></entry>
        <entry><id>2</id><summary>&lt;p&gt;Para&lt;/p&gt;</summary></entry></feed>"#;
    let f = parse(atom);
    assert_eq!(f.articles[0].content_html, "a &lt; b &amp;&amp; c");
    assert_eq!(f.articles[1].content_html, "<p>Para</p>");
}

#[test]
fn enclosures_are_collected_and_deduplicated() {
    let xml = r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>p</title>
        <item><guid>1</guid>
          <enclosure url="http://cdn.x/ep1.mp3" length="1234" type="audio/mpeg"/>
          <media:content url="http://cdn.x/ep1.mp3" type="audio/mpeg"/>
          <media:content url="/ep1.jpg" type="image/jpeg" fileSize="99"/>
          <enclosure url="javascript:x" type="audio/mpeg"/>
        </item></channel></rss>"#;
    let f = parse(xml);
    let e = &f.articles[0].enclosures;
    assert_eq!(e.len(), 2, "{e:?}");
    // (feed-rs merges <enclosure> into the MediaRSS object, which may drop its length.)
    assert_eq!(e[0].url, "http://cdn.x/ep1.mp3");
    assert_eq!(e[0].mime.as_deref(), Some("audio/mpeg"));
    assert_eq!(e[1].url, "https://example.com/ep1.jpg");
    let f = parse(&rss_items(
        "<item><guid>1</guid><enclosure url=\"/e.mp3\" length=\"1234\" type=\"audio/mpeg\"/><enclosure url=\"/e.mp3\"/></item>",
    ));
    assert_eq!(
        f.articles[0].enclosures,
        [Enclosure {
            url: "https://example.com/e.mp3".into(),
            mime: Some("audio/mpeg".into()),
            length: Some(1234)
        }]
    );

    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>p</title><entry><id>1</id>
        <link rel="enclosure" href="a.ogg" type="audio/ogg" length="5"/><link rel="enclosure" href="a.ogg"/></entry></feed>"#;
    let f = parse(atom);
    assert_eq!(
        f.articles[0].enclosures,
        [Enclosure {
            url: "https://example.com/a.ogg".into(),
            mime: Some("audio/ogg".into()),
            length: Some(5)
        }]
    );
    assert_eq!(f.articles[0].link, None, "an enclosure is not the page link");
}

#[test]
fn author_falls_back_to_feed_author() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><author><name>Feed Owner</name></author>
        <entry><id>1</id></entry><entry><id>2</id><author><name>Guest</name></author></entry></feed>"#;
    let f = parse(atom);
    assert_eq!(f.articles[0].author.as_deref(), Some("Feed Owner"));
    assert_eq!(f.articles[1].author.as_deref(), Some("Guest"));
}

#[test]
fn html_pages_and_other_non_feeds_are_errors() {
    let page = b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><p>hi</p></body></html>";
    assert!(looks_like_html(page));
    assert!(matches!(parse_feed(page, None, URL), Err(ParseError::Html)));
    assert!(looks_like_html(b"\xef\xbb\xbf  <HTML><body>"));
    assert!(looks_like_html(b"<?xml version=\"1.0\"?><!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"x\"><html xmlns=\"http://www.w3.org/1999/xhtml\"><body><feed/></body></html>"));
    assert!(looks_like_html(b"<head><title>Moved</title></head>"));
    assert!(!looks_like_html(rss_items("").as_bytes()));
    assert!(!looks_like_html(b"<feed xmlns=\"http://www.w3.org/2005/Atom\"/>"));
    assert!(!looks_like_html(b"{\"version\":1}"));

    assert!(matches!(parse_feed(b"", None, URL), Err(ParseError::Empty)));
    assert!(matches!(parse_feed(b"  \r\n\t", None, URL), Err(ParseError::Empty)));
    assert!(matches!(parse_feed(b"\xef\xbb\xbf", None, URL), Err(ParseError::Empty)));
    assert!(matches!(parse_feed(b"<!-- nothing -->", None, URL), Err(ParseError::NoFeed)));
    assert!(matches!(parse_feed(b"<opml version=\"2.0\"><body/></opml>", None, URL), Err(ParseError::Opml)));
    let e = parse_feed(b"<note><to>x</to></note>", None, URL);
    assert!(matches!(&e, Err(ParseError::UnknownRoot { root }) if root == "note"), "{e:?}");
    let e = parse_feed(b"Service Unavailable \x1b[31m please retry later, thank you very much", None, URL);
    match e {
        Err(ParseError::PlainText { start }) => {
            assert!(start.starts_with("Service Unavailable [31m"));
            assert!(start.ends_with('…'));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn error_messages_are_one_clear_line() {
    let errors = [
        ParseError::Empty,
        ParseError::Html,
        ParseError::Opml,
        ParseError::NoFeed,
        ParseError::NotJsonFeed,
        ParseError::UnknownRoot { root: "note".into() },
        ParseError::PlainText { start: "x".into() },
        ParseError::MalformedXml { detail: "d".into() },
        ParseError::MalformedJson { detail: "d".into() },
        ParseError::UnsupportedJsonVersion { version: "v".into() },
        ParseError::Crashed { detail: "d".into() },
    ];
    for e in errors {
        let m = e.to_string();
        assert!(!m.is_empty() && !m.contains('\n'), "{m}");
    }
    assert_eq!(
        ParseError::Html.to_string(),
        "not a feed: the server sent an HTML page (try `tidings add` with the page URL to discover its feed)"
    );
}

#[test]
fn truncated_xml_keeps_complete_items() {
    let full = rss_items("<item><title>1</title><guid>1</guid></item><item><title>2</title><guid>2</guid></item><item><title>3</title><gu");
    let f = parse(&full);
    assert_eq!(f.articles.iter().map(|a| a.title.as_str()).collect::<Vec<_>>(), ["1", "2"]);

    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>1</id><title>one</title></entry><entry><id>2</id><title>tw"#;
    let f = parse(atom);
    assert_eq!(f.articles.len(), 1);

    // Nothing complete: a clear error.
    let e = parse_feed(b"<rss version=\"2.0\"><channel><title>t</title><item><title>x", None, URL);
    assert!(matches!(&e, Err(ParseError::ItemsUnread { found }) if found == "1 item"), "{e:?}");
}

#[test]
fn feed_without_items_is_fine() {
    let f = parse(&rss_items(""));
    assert!(f.articles.is_empty());
    assert_eq!(f.title, "T");
}

#[test]
fn a_big_body_is_read_whole() {
    let para = "<p>Some <b>text</b> with <a href=\"/l\">a link</a> and <img src=\"i.png\"> 中文内容。</p>\n";
    let body = para.repeat(5 * 1024 * 1024 / para.len());
    let xml = rss_items(&format!("<item><guid>1</guid><description><![CDATA[{body}]]></description></item>"));
    let f = parse(&xml);
    assert!(f.articles[0].content_html.len() > 4_000_000);
    assert_eq!(f.articles[0].links, ["https://example.com/l"]);
}

#[test]
fn rss_without_channel_and_html_doctype_over_rss() {
    let f = parse("<?xml version=\"1.0\" encoding=\"bogus\"?>\n<!-- c -->\n<rss>\n</rss>");
    assert_eq!(f.format, FeedFormat::Rss2);
    assert!(f.articles.is_empty());
    let f = parse("<rss>\n<item>\n<description><![CDATA[<a href=\"http://www.example.com/\">x</a>]]></description>\n</item>\n</rss>");
    assert_eq!(f.articles.len(), 1);
    assert_eq!(f.articles[0].links, ["http://www.example.com/"]);
    let f = parse("<?xml version=\"1.0\"?><!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"x\"><rss><channel><title>found</title></channel></rss>");
    assert_eq!(f.title, "found");
    assert!(!looks_like_html(b"<!DOCTYPE html><rss><channel/></rss>"));
}

#[test]
fn bare_ampersands_are_tolerated() {
    let f = parse(&rss_items(
        "<item><title>AT&T & friends &amp; co</title><link>https://x.org/?a=1&b=2</link></item>",
    ));
    assert_eq!(f.articles[0].title, "AT&T & friends & co");
    assert_eq!(f.articles[0].link.as_deref(), Some("https://x.org/?a=1&b=2"));
}

#[test]
fn odd_text_types_and_empty_media_titles_are_tolerated() {
    let xml = r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>m</title>
        <item><guid>1</guid><title>one</title><media:title type="text">Plain</media:title><media:description/></item>
        <item><guid>2</guid><title>two</title><media:title type="text">Plain</media:title></item></channel></rss>"#;
    let f = parse(xml);
    assert_eq!(f.articles.len(), 2);
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="text/html">&lt;b&gt;A&lt;/b&gt;</title>
        <entry><id>1</id><title type="TEXT">t</title></entry></feed>"#;
    let f = parse(atom);
    assert_eq!(f.title, "A");
    assert_eq!(f.articles[0].title, "t");
}

#[test]
fn gzipped_documents_are_inflated() {
    use std::io::Write;
    let xml = rss_items("<item><title>zipped</title><guid>1</guid></item>");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = enc.write_all(xml.as_bytes());
    let gz = enc.finish().unwrap_or_default();
    let f = parse_feed(&gz, None, URL).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.articles[0].title, "zipped");
    let e = parse_feed(&[0x1f, 0x8b, 1, 2, 3], None, URL);
    assert!(matches!(e, Err(ParseError::BadGzip { .. })), "{e:?}");
}

#[test]
fn unknown_default_namespaces_still_give_items() {
    let userland = r#"<rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel><title>U</title>
        <item><title>one</title><link>http://u.org/1</link></item></channel></rss>"#;
    let f = parse(userland);
    assert_eq!((f.title.as_str(), f.articles.len()), ("U", 1));
    let atom03 = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>A</title>
        <entry><id>1</id><title>one</title><link rel="alternate" type="text/html" href="http://a.org/1"/>
        <content type="text/html" mode="escaped">&lt;p&gt;hi&lt;/p&gt;</content></entry></feed>"#;
    let f = parse(atom03);
    assert_eq!((f.title.as_str(), f.articles.len()), ("A", 1));
    assert_eq!(f.articles[0].link.as_deref(), Some("http://a.org/1"));
    assert_eq!(f.articles[0].content_html, "<p>hi</p>");
    let rss090 = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
        <channel><title>N</title><link>http://n.org/</link></channel><item><title>one</title><link>http://n.org/1</link></item></rdf:RDF>"#;
    let f = parse(rss090);
    assert_eq!((f.title.as_str(), f.articles.len(), f.format), ("N", 1, FeedFormat::Rss1));
}

#[test]
fn body_prefilter_sees_every_forbidden_character() {
    for c in (0..=0x10ffffu32).filter_map(char::from_u32) {
        let s = format!("ab{c}cd");
        let needs = sanitize::text(&s) != s;
        assert!(!needs || may_hold_forbidden(s.as_bytes()), "U+{:04X} slips through", c as u32);
    }
    assert!(!may_hold_forbidden("plain — “quoted” … 中文\n\tok".as_bytes()));
}

#[test]
fn non_text_atom_content_is_not_a_body() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
        <entry><id>1</id><summary>the summary</summary><content type="image/png">iVBORw0KGgo=</content></entry>
        <entry><id>2</id><content type="text/markdown">*a* &lt; b</content></entry></feed>"#;
    let f = parse(atom);
    assert_eq!(f.articles[0].content_html, "the summary");
    assert_eq!(f.articles[1].content_html, "*a* &lt; b");
}

#[test]
fn json_with_trailing_junk_is_read() {
    let json = "{\"version\":\"https://jsonfeed.org/version/1\",\"title\":\"J\",\"items\":[{\"id\":\"1\"}]}\n<b>Warning</b>: something in x.php";
    let f = parse_feed(json.as_bytes(), None, URL).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.articles.len(), 1);
}

#[test]
fn junk_before_the_feed_is_skipped() {
    let feed = rss_items("<item><title>x</title><guid>1</guid></item>");
    for junk in ["<br />\n<b>Warning</b>:  Cannot modify header information in <b>/x.php</b> on line <b>12</b><br />\n", "Deprecated: function x() is deprecated\n"] {
        let f = parse(&format!("{junk}{feed}"));
        assert_eq!(f.articles.len(), 1, "{junk}");
    }
    // With a byte order mark before the junk too; and `tidings add` takes it for the feed it
    // is, not for a page to look for feeds in.
    let junk = "<br />\n<b>Warning</b>:  Cannot modify header information in <b>/x.php</b><br />\n";
    let with_bom = format!("\u{feff}{junk}{feed}");
    assert_eq!(parse(&with_bom).articles.len(), 1);
    assert!(!looks_like_html(with_bom.as_bytes()));
    assert!(!looks_like_html(format!("{junk}{feed}").as_bytes()));
    // A real page is still a page.
    let page = b"<!DOCTYPE html><html><body><pre>&lt;rss&gt;</pre><p><?xml </p></body></html>";
    let e = parse_feed(page, None, URL);
    assert!(matches!(e, Err(ParseError::Html)));
    assert!(looks_like_html(page));
    assert!(looks_like_html(b"<div>See <a href=\"/feed\">our feed</a></div><p>text</p>"));
}

#[test]
fn an_entry_xml_base_scopes_its_body() {
    let xml = r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://feed.example/">
<title>t</title><id>x</id><updated>2024-01-01T00:00:00Z</updated>
<entry xml:base="https://other.example/posts/"><title>a</title><id>1</id><updated>2024-01-01T00:00:00Z</updated>
<content type="html">&lt;img src="pic.png"&gt; &lt;a href="next.html"&gt;n&lt;/a&gt;</content></entry>
<entry><title>b</title><id>2</id><updated>2024-01-01T00:00:00Z</updated>
<content type="html">&lt;img src="pic.png"&gt;</content></entry>
</feed>"#;
    let feed = parse_feed(xml.as_bytes(), None, "https://feed.example/atom.xml").unwrap();
    assert_eq!(feed.articles[0].images, vec!["https://other.example/posts/pic.png".to_owned()]);
    assert_eq!(feed.articles[0].links, vec!["https://other.example/posts/next.html".to_owned()]);
    assert_eq!(feed.articles[1].images, vec!["https://feed.example/pic.png".to_owned()]);
}

#[test]
fn a_stray_second_xml_declaration_does_not_sink_the_feed() {
    let xml = r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>t</title><id>x</id><updated>2024-01-01T00:00:00Z</updated>
<?xml version="1.0" encoding="Big5"?>
<entry><title>kept</title><id>1</id><updated>2024-01-01T00:00:00Z</updated></entry>
</feed>"#;
    let feed = parse_feed(xml.as_bytes(), None, "https://example.org/atom.xml").unwrap();
    assert_eq!(feed.articles.len(), 1);
    assert_eq!(feed.articles[0].title, "kept");
}

/// A stylesheet processing instruction (Blogger, FeedBurner) is no second declaration, nor
/// is one an article quotes in a CDATA section: nothing to recover, and the quote stays.
#[test]
fn a_stylesheet_or_a_quoted_declaration_is_not_a_second_declaration() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" media="screen" href="/~d/styles/rss2full.xsl"?><?xml-stylesheet type="text/css" href="/s.css"?>
<rss version="2.0"><channel><title>t</title>
<item><guid>1</guid><description><![CDATA[<p>Start a feed with</p><pre><?xml version="1.0"?></pre>]]></description></item>
</channel></rss>"#;
    let f = parse(xml);
    assert!(f.notes.is_empty(), "{:?}", f.notes);
    assert!(f.articles[0].content_html.contains("<?xml version=\"1.0\"?>"), "{}", f.articles[0].content_html);
}

#[test]
fn items_that_cannot_be_read_are_an_error_never_an_empty_success() {
    // Cut off inside both items, before either has an id or a link: nothing to keep.
    let xml = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>\
               <item><title>first, cut</title><description>x</descr<item><title>second, cut";
    match parse_feed(xml.as_bytes(), None, URL) {
        Err(e @ ParseError::ItemsUnread { .. }) => {
            let message = e.to_string();
            assert!(message.contains("holds 1 item") && message.contains("none could be read"), "{message}");
        }
        other => panic!("expected an error, got {other:?}"),
    }
    // The words inside comments and CDATA are not items; a feed without any is fine.
    let quiet = rss_items("<!-- <item> --><description><![CDATA[<item>x</item>]]></description>");
    assert!(parse(&quiet).articles.is_empty());
    assert_eq!(sniff::item_elements("<feed><ENTRY></ENTRY><rdf:item/><items></items></feed>"), 2);
    assert!(sniff::json_has_items(r#"{"items" : [ {"id":"1"} ]}"#));
    assert!(!sniff::json_has_items(r#"{"items": [ ], "title": "items"}"#));
}

#[test]
fn untitled_items_are_titled_by_the_first_words_of_their_text() {
    let f = parse(&rss_items(
        "<item><guid>1</guid><description>&lt;p&gt;Short &lt;b&gt;note&lt;/b&gt; here.&lt;/p&gt;</description></item>\
         <item><guid>2</guid><description>One two three four five six seven eight nine ten eleven twelve</description></item>\
         <item><guid>3</guid><description>这是一个没有空格的很长很长的中文句子这是一个没有空格的很长很长的中文句子这是一个没有空格的很长很长的中文句子这是一个没有空格的很长很长的中文句子</description></item>\
         <item><guid>4</guid></item>",
    ));
    let titles: Vec<&str> = f.articles.iter().map(|a| a.title.as_str()).collect();
    // Always ended with "…": the title was taken from the text.
    assert_eq!(titles[0], "Short note here.…");
    assert_eq!(titles[1], "One two three four five six seven eight nine ten…");
    assert!(titles[2].ends_with('…') && titles[2].chars().count() == 61, "{}", titles[2]);
    assert_eq!(titles[3], "", "no text: the reader shows (untitled)");
    // The identity is the same as without the rule (the key is made from the empty title).
    let again = parse(&rss_items("<item><guid>2</guid><description>other text</description></item>"));
    assert_eq!(again.articles[0].key, f.articles[1].key);
}

#[test]
fn upper_case_rss_as_some_producers_wrote_it() {
    let f = parse(
        "<?xml version=\"1.0\"?><RSS VERSION=\"0.91\"><CHANNEL><TITLE>Loud</TITLE><LINK>https://example.com/</LINK>\
         <ITEM><TITLE>First</TITLE><LINK>https://example.com/1</LINK><DESCRIPTION>one</DESCRIPTION></ITEM>\
         <ITEM><TITLE>Second</TITLE><LINK>https://example.com/2</LINK></ITEM></CHANNEL></RSS>",
    );
    let titles: Vec<&str> = f.articles.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["First", "Second"]);
    assert_eq!(f.articles[0].link.as_deref(), Some("https://example.com/1"));
    assert!(f.notes.iter().any(|n| n.contains("upper-case")), "{:?}", f.notes);
    // CDATA and comments keep their case.
    assert_eq!(
        repair::lowercase_element_names("<A B=\"C\"><!--X--><![CDATA[<Y>]]></A>"),
        "<a B=\"C\"><!--X--><![CDATA[<Y>]]></a>"
    );
}

/// Issue 10, item 5: the summary is kept beside a full content that differs from it, as
/// feedparser keeps `summary` and `content` apart; alone, it is the body as before.
#[test]
fn rss_summary_is_kept_beside_a_different_full_content() {
    let xml = r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>
        <item><guid>1</guid><description>A &lt;b&gt;teaser&lt;/b&gt;&#x1b;[2J</description><content:encoded><![CDATA[<p>The full essay.</p>]]></content:encoded></item>
        <item><guid>2</guid><description>Only a summary.</description></item>
        <item><guid>3</guid><content:encoded><![CDATA[<p>Only content.</p>]]></content:encoded></item>
        <item><guid>4</guid><description>&lt;p&gt;Same   text&lt;/p&gt;</description><content:encoded><![CDATA[<p>Same text</p>]]></content:encoded></item>
        <item><guid>5</guid><description>  </description><content:encoded><![CDATA[<p>Blank summary.</p>]]></content:encoded></item>
        </channel></rss>"#;
    let f = parse(xml);
    let a = &f.articles;
    assert_eq!(a[0].content_html, "<p>The full essay.</p>");
    // Cleaned as the body is: the escape character is gone.
    assert_eq!(a[0].summary_html.as_deref(), Some("A <b>teaser</b>[2J"));
    assert_eq!((a[1].content_html.as_str(), a[1].summary_html.as_deref()), ("Only a summary.", None));
    assert_eq!((a[2].content_html.as_str(), a[2].summary_html.as_deref()), ("<p>Only content.</p>", None));
    // The same text is not stored twice (here the same once spaces are collapsed).
    assert_eq!(a[3].summary_html, None);
    assert_eq!(a[4].summary_html, None);
}

/// An excerpt (the body's first words, cut with "..." as WordPress writes `<description>`,
/// perhaps after an image's alt text) only repeats the body's start: not kept. A teaser that
/// starts alike but says something else, or a few words, is kept.
#[test]
fn a_summary_that_is_the_bodys_start_cut_off_is_not_kept() {
    let body = "<p>There&#39;s lots to like about the <a href='/c'>new browser</a>, which was released today. More follows.</p>";
    let item = |guid: u32, summary: &str| {
        let body = if guid == 6 {
            format!("<p><img src='/i.png' alt='The new browser'></p>{body}")
        } else {
            body.to_owned()
        };
        format!("<item><guid>{guid}</guid><description><![CDATA[{summary}]]></description><content:encoded><![CDATA[{body}]]></content:encoded></item>")
    };
    let xml = format!(
        r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>{}{}{}{}{}{}</channel></rss>"#,
        item(1, "There's lots to like about the new brow..."),
        item(2, "There's lots to like about the new browser, which [&#8230;]"),
        item(3, "There's lots to like about the old one..."),
        item(4, "Lots to like!"),
        item(5, "There's lots to like about the new browser, which was released today. More follows."),
        item(6, "There's lots to like about the new browser, which was [...]"),
    );
    let a = parse(&xml).articles;
    assert_eq!(a[0].summary_html, None, "cut mid-word");
    assert_eq!(a[1].summary_html, None, "an ellipsis of its own, after a whole word");
    assert!(a[2].summary_html.is_some(), "says something else");
    assert!(a[3].summary_html.is_some(), "a few words further in are a teaser");
    assert_eq!(a[4].summary_html, None, "the body's text without its markup");
    assert_eq!(a[5].summary_html, None, "after the alt text of the body's first image");
}

/// What comes before a body's first words and shows no text (a big inline SVG drawing, with
/// `<text>` labels the reader never shows, a stylesheet, an image with a long `data:` URL, a
/// figure holding only an image) does not hide that the summary is the body's text again, as
/// in Sam Ruby's feed, whose posts open with a drawing. A teaser that says something else is
/// still kept after such a start.
#[test]
fn a_summary_that_repeats_the_text_after_a_leading_drawing_is_not_kept() {
    let paths =
        "<path d=\"M27,42c-8-53,55-53,47,0h-8 c10-41-40-41-30,0h-9z\" fill=\"#DDD\"></path>\n".repeat(300);
    let svg = format!(
        "<svg height=\"100\" viewBox=\"0 0 100 100\" xmlns=\"http://www.w3.org/2000/svg\"><g>{paths}\
         <svg><text x=\"50\" y=\"90\">W</text></svg></g><text x=\"5\" y=\"9\">Logo label</text></svg>"
    );
    let style = format!("<style>{}</style>", "p.note { margin: 0 0 1em 0; color: #333; }\n".repeat(300));
    let image = format!("<p><img src=\"data:image/png;base64,{}\"></p>", "iVBORw0KGgo".repeat(1500));
    let figure = format!("<figure><img src=\"/a.png\" width=\"600\">{paths}</figure>");
    let text = "<p>This site was hacked.&nbsp; A reader noted that the index had been co-opted.</p>\
                <p>The immediate culprit was a few lines in <code>.htaccess</code> files.</p>";
    let mut items = String::new();
    for (n, lead) in [&svg, &style, &image, &figure].into_iter().enumerate() {
        let body = format!("{lead}\n{text}");
        for (m, summary) in [
            // Short: a few words at the very start of the text.
            "This site was hacked.",
            // The whole text, cut with an ellipsis.
            "This site was hacked. A reader noted that the index had been co-opted. The immediate...",
            // The same, with the drawing in front of it too.
            &format!("{lead}<p>This site was hacked.</p>"),
        ]
        .into_iter()
        .enumerate()
        {
            items.push_str(&format!(
                "<item><guid>{n}-{m}</guid><description><![CDATA[{summary}]]></description>\
                 <content:encoded><![CDATA[{body}]]></content:encoded></item>"
            ));
        }
        items.push_str(&format!(
            "<item><guid>{n}-teaser</guid><description>A security note.</description>\
             <content:encoded><![CDATA[{body}]]></content:encoded></item>"
        ));
    }
    let xml = format!(
        r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>{items}</channel></rss>"#
    );
    let f = parse(&xml);
    assert_eq!(f.articles.len(), 16);
    for a in &f.articles {
        let guid = a.guid.as_deref().unwrap_or_default();
        if guid.ends_with("teaser") {
            assert_eq!(a.summary_html.as_deref(), Some("A security note."), "{guid}");
        } else {
            assert_eq!(a.summary_html, None, "{guid}");
        }
    }
}

/// A summary made of the body's own sentences, in their order, with some left out (Sam
/// Ruby's feed abridges its posts so) only repeats the body: not kept. One that says one
/// thing the body does not, or puts them in another order, or is a few words, is kept.
#[test]
fn an_abridgement_of_the_body_is_not_kept() {
    let body = "<svg viewBox='0 0 10 10'><text>W</text></svg>\
        <p><a href='https://example.org/linss'><cite>Peter Linss</cite></a>: <em>I want the TAG more involved with the working groups</em></p>\
        <p>I will come out and say it.  I am a skeptic.  Each of the <a href='/n'>nominees</a> are good people.</p>\
        <p>I note that three of the four statements do NOT list it as a goal: <a href='/a'>Alex</a> and <a href='/b'>Anne</a>.</p>\
        <p>And outside of Anne, none of them have been involved in the HTML WG.</p><p>What am I missing?</p>";
    let item = |guid: u32, summary: &str| {
        format!("<item><guid>{guid}</guid><description><![CDATA[{summary}]]></description><content:encoded><![CDATA[{body}]]></content:encoded></item>")
    };
    let xml = format!(
        r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>{}{}{}{}</channel></rss>"#,
        item(1, "<p><a href='https://example.org/linss'>Peter Linss</a>: <em>I want the TAG more involved with the working groups</em></p>\
                 <p>I will come out and say it.  I am a skeptic.  I note that three of the four statements do NOT list it as a goal.  What am I missing?</p>"),
        item(2, "<p>Peter Linss: I want the TAG more involved with the working groups.</p><p>I will come out and say it. I think he is right.</p>"),
        item(3, "<p>Peter Linss: I want the TAG more involved with the working groups.</p><p>What am I missing? I am a skeptic.</p>"),
        item(4, "Peter Linss: I am a skeptic."),
    );
    let a = parse(&xml).articles;
    assert_eq!(a[0].summary_html, None, "the body's sentences, some left out");
    assert!(a[1].summary_html.is_some(), "a sentence of its own");
    assert!(a[2].summary_html.is_some(), "another order");
    assert!(a[3].summary_html.is_some(), "a few words");
}

#[test]
fn summary_does_not_change_an_articles_key() {
    // Keyed by title and body (no guid, no link): the body is the content with or without
    // a summary beside it, so the key is the one articles stored before had.
    let with = parse(&rss_items(
        "<item><title>x</title><description>teaser</description>\
         <content:encoded xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">full</content:encoded></item>",
    ));
    let without = parse(&rss_items(
        "<item><title>x</title>\
         <content:encoded xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">full</content:encoded></item>",
    ));
    assert_eq!(with.articles[0].summary_html.as_deref(), Some("teaser"));
    assert_eq!(with.articles[0].key, without.articles[0].key);
}

#[test]
fn atom_summary_is_kept_beside_a_different_content() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.example/blog/"><title>t</title>
        <entry><id>1</id><summary type="text">Short &lt; sweet</summary><content type="html">&lt;p&gt;Long &lt;a href="x"&gt;read&lt;/a&gt;&lt;/p&gt;</content></entry>
        <entry><id>2</id><summary type="html">&lt;p&gt;Just this&lt;/p&gt;</summary></entry>
        <entry><id>3</id><content type="text">Just content</content></entry>
        <entry><id>4</id><summary>Twice</summary><content>Twice</content></entry></feed>"#;
    let f = parse(atom);
    let a = &f.articles;
    assert!(a[0].content_html.contains("<p>Long"), "{}", a[0].content_html);
    // Plain text is escaped, as a plain-text body is; the xml:base in scope goes with it.
    assert_eq!(a[0].summary_html.as_deref(), Some("<base href=\"https://a.example/blog/\">Short &lt; sweet"));
    assert_eq!(a[0].links, ["https://a.example/blog/x"]);
    assert!(a[1].content_html.ends_with("<p>Just this</p>"), "{}", a[1].content_html);
    assert_eq!(a[1].summary_html, None);
    assert!(a[2].content_html.ends_with("Just content"), "{}", a[2].content_html);
    assert_eq!(a[2].summary_html, None);
    assert_eq!(a[3].summary_html, None);
}

#[test]
fn json_feed_summary_is_kept_but_content_text_is_not_a_summary() {
    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[
        {"id":"1","summary":"A <teaser>","content_html":"<p>Full</p>"},
        {"id":"2","content_html":"<p>Full html</p>","content_text":"Full html"},
        {"id":"3","summary":"Said briefly","content_text":"Said at length"},
        {"id":"4","summary":"Alone"},
        {"id":"5","content_text":"Text alone"},
        {"id":"6","summary":null,"content_html":"<p>x</p>","content_text":"x"}]}"#;
    let f =
        parse_feed(json.as_bytes(), None, "https://j.example/feed.json").unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(&str, Option<&str>)> =
        f.articles.iter().map(|a| (a.content_html.as_str(), a.summary_html.as_deref())).collect();
    assert_eq!(
        got,
        [
            // JSON Feed's summary is plain text: escaped.
            ("<p>Full</p>", Some("A &lt;teaser&gt;")),
            // feed-rs moves content_text into the summary here: it is the same article, not
            // a summary of it.
            ("<p>Full html</p>", None),
            ("Said at length", Some("Said briefly")),
            ("Alone", None),
            ("Text alone", None),
            ("<p>x</p>", None),
        ]
    );
    // After the JSON repairs too (a numeric id makes feed-rs refuse the first reading).
    let repaired = r#"{"version":"https://jsonfeed.org/version/1","title":"J","items":[
        {"id":1,"content_html":"<p>Full html</p>","content_text":"Full html"},
        {"id":2,"summary":"Brief","content_html":"<p>Long</p>"}]}"#;
    let f = parse_feed(repaired.as_bytes(), None, "https://j.example/feed.json")
        .unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<Option<&str>> = f.articles.iter().map(|a| a.summary_html.as_deref()).collect();
    assert_eq!(got, [None, Some("Brief")]);
}

#[test]
fn lenient_reading_keeps_the_summary_apart_too() {
    // What the lenient reader rebuilds (it runs when nothing else could read a document) goes
    // through the strict path: read that way, each item's content and summary stay apart.
    let doc = "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>c</title>\
        <item><title>One <b>bold</i></title><guid>1</guid><description>Teaser one</description>\
        <content:encoded>&lt;p&gt;Full one&lt;/p&gt;</content:encoded></item>\
        <item><title>Two</title><guid>2</guid><description>Only two</description></item>\
        <item><title>Three</title><guid>3</guid><summary>Brief three</summary><content>Long three</content></item>\
        <item><title>Four</title><guid>4</guid><content:encoded>Content four</content:encoded></item>\
        <item><title>Five</title><guid>5</guid><description>Same</description><content:encoded>Same</content:encoded></item>\
        </channel></rss>";
    let rebuilt = lenient::rebuild(doc).expect("items");
    let f = parse(&rebuilt.xml);
    let got: Vec<(&str, Option<&str>)> =
        f.articles.iter().map(|a| (a.content_html.as_str(), a.summary_html.as_deref())).collect();
    assert_eq!(
        got,
        [
            ("<p>Full one</p>", Some("Teaser one")),
            ("Only two", None),
            ("Long three", Some("Brief three")),
            ("Content four", None),
            ("Same", None),
        ]
    );
}
