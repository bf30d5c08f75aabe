//! Runs the real `tidings` binary against a temp data dir and config.

use std::path::PathBuf;
use std::process::{Command, Output};

pub struct Tidings {
    pub dir: tempfile::TempDir,
}

impl Tidings {
    /// A fresh data dir and config (with short timeouts so fault tests stay quick).
    pub fn new() -> Tidings {
        Tidings::with_config("[fetch]\ntimeout_secs = 3\nconnect_timeout_secs = 2\n")
    }

    pub fn with_config(config: &str) -> Tidings {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("config.toml"), config).expect("write config");
        Tidings { dir }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidings"));
        cmd.arg("--config").arg(self.config_path()).arg("--data-dir").arg(self.data_dir());
        // Keep the user's real files out of it, and the traffic on loopback.
        cmd.env("HOME", self.dir.path())
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env_remove("TIDINGS_CONFIG")
            .env_remove("TIDINGS_DATA_DIR")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("HTTP_PROXY")
            .env_remove("HTTPS_PROXY")
            .env_remove("http_proxy")
            .env_remove("https_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy");
        cmd
    }

    /// Runs and returns the output, whatever the exit code.
    pub fn output(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run tidings")
    }

    /// Runs, asserts success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.output(args);
        assert!(
            out.status.success(),
            "tidings {args:?} failed: {}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let text = self.ok(args);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }
}

/// The shared corpus of real-world feeds.
pub fn corpus_dir() -> PathBuf {
    let candidates = [
        std::env::var_os("TIDINGS_CORPUS").map(PathBuf::from),
        // A copy of the shared corpus (../shared/corpus), licences in its LICENSES/ and MANIFEST.tsv.
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_dir()).expect("the corpus (tests/corpus) is missing")
}

pub fn corpus_feed(name: &str) -> Vec<u8> {
    std::fs::read(corpus_dir().join("feeds").join(name)).expect("corpus feed")
}

/// A generated RSS 2.0 feed with `items` items; `version` changes every item's content.
pub fn rss_feed(title: &str, items: usize, version: u32) -> Vec<u8> {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>{title}</title>\
         <link>https://example.org/</link><description>d</description>\n"
    );
    for i in 0..items {
        s.push_str(&format!(
            "<item><title>{title} item {i}</title><link>https://example.org/{title}/{i}</link>\
             <guid>{title}-{i}</guid><pubDate>Mon, 0{} Jan 2024 {:02}:00:00 +0000</pubDate>\
             <description>&lt;p&gt;Body {i} v{version} &lt;img src=\"/img/{i}.png\"&gt;&lt;/p&gt;</description></item>\n",
            1 + i % 9,
            i % 24
        ));
    }
    s.push_str("</channel></rss>\n");
    s.into_bytes()
}

/// An OPML file listing `urls`.
pub fn opml(urls: &[String]) -> String {
    let mut s =
        String::from("<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><head><title>t</title></head><body>\n");
    for u in urls {
        s.push_str(&format!("<outline type=\"rss\" xmlUrl=\"{}\"/>\n", u.replace('&', "&amp;")));
    }
    s.push_str("</body></opml>\n");
    s
}

/// An RSS feed for the sync servers' tests: `items` items titled `"{title} {i}"`, linked to
/// `{base}/{title}/{i}`, guid `{title}-{i}`, newest last; with `icon`, an RSS `<image>` of
/// 16x16 at `{base}/icon.png` (coldsweat looks a feed's icon up at a web service without one).
pub fn linked_rss(base: &str, title: &str, items: std::ops::RangeInclusive<u32>, icon: bool) -> String {
    let items: String = items
        .map(|i| {
            format!(
                "<item><title>{title} {i}</title><link>{base}/{title}/{i}</link><guid>{title}-{i}</guid>\
                 <description>&lt;p&gt;Body {i} of {title}&lt;/p&gt;</description>\
                 <pubDate>Mon, 01 Jan 2024 {:02}:{:02}:00 GMT</pubDate></item>",
                i / 60 % 24,
                i % 60
            )
        })
        .collect();
    let image = if icon {
        format!(
            "<image><url>{base}/icon.png</url><title>{title}</title><link>{base}/</link>\
             <width>16</width><height>16</height></image>"
        )
    } else {
        String::new()
    };
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{title}</title><link>{base}/</link>\
         <description>d</description>{image}{items}</channel></rss>"
    )
}

/// url -> (article id, read, starred) of every article, from `tidings articles --json --all`.
pub fn articles_by_link(t: &Tidings) -> std::collections::HashMap<String, (u64, bool, bool)> {
    t.json(&["articles", "--json", "--all"])
        .as_array()
        .expect("an array")
        .iter()
        .map(|a| {
            (
                a["link"].as_str().expect("a link").to_owned(),
                (
                    a["id"].as_u64().expect("an id"),
                    a["read"].as_bool().expect("read"),
                    a["starred"].as_bool().expect("starred"),
                ),
            )
        })
        .collect()
}
