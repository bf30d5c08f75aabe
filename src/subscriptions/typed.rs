//! What the user typed as a feed to subscribe to (`tidings add`, `a` in the reader), made into
//! a URL: in the typing process, since a relative path is relative to its directory.

use std::path::Path;

use anyhow::{bail, Context, Result};

/// Turns what the user typed into a feed URL: a local path becomes `file://`, a bare host
/// gets `https://`.
pub fn feed_url_from_input(input: &str) -> Result<String> {
    let input = input.trim();
    let path = Path::new(input);
    if !input.contains("://") && !path.exists() && looks_like_a_path(input) {
        bail!("{input}: no such file (a URL starts with http:// or https://)");
    }
    if !input.contains("://") && path.exists() {
        let abs = std::fs::canonicalize(path).with_context(|| format!("cannot read {input}"))?;
        let url = url::Url::from_file_path(&abs)
            .map_err(|_| anyhow::anyhow!("cannot make a file URL of {}", abs.display()))?;
        return Ok(url.to_string());
    }
    let candidate = if input.contains("://") { input.to_owned() } else { format!("https://{input}") };
    let url =
        url::Url::parse(&candidate).with_context(|| format!("{input:?} is not a URL or an existing file"))?;
    match url.scheme() {
        "http" | "https" | "file" => Ok(url.to_string()),
        other => bail!("{other}: URLs are not supported; use http, https or a local file"),
    }
}

/// Whether what the user typed is meant as a file: `./x`, `../x`, `/x`, `~/x`, or a name that
/// ends like a feed file (`feed.xml`: no web host ends in `.xml`).
fn looks_like_a_path(input: &str) -> bool {
    const FILE_ENDINGS: [&str; 7] = [".xml", ".rss", ".atom", ".rdf", ".json", ".opml", ".txt"];
    let lower = input.to_ascii_lowercase();
    let host_part = lower.split('/').next().unwrap_or("");
    input.starts_with(['.', '/', '~'])
        || FILE_ENDINGS.iter().any(|e| host_part.ends_with(e))
        || (lower.contains('/')
            && FILE_ENDINGS.iter().any(|e| lower.ends_with(e))
            && !host_part.contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_get_https_files_become_file_urls_and_missing_files_are_named() {
        assert_eq!(feed_url_from_input("example.org/feed").unwrap(), "https://example.org/feed");
        assert_eq!(feed_url_from_input(" http://x.org/a.xml ").unwrap(), "http://x.org/a.xml");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.xml");
        std::fs::write(&file, "<rss/>").unwrap();
        assert!(feed_url_from_input(file.to_str().unwrap()).unwrap().starts_with("file:///"));
        for typo in ["./typo.xml", "typo.xml", "feeds/typo.rss", "/no/such.atom", "~/x.xml"] {
            let e = feed_url_from_input(typo).unwrap_err().to_string();
            assert!(e.contains("no such file"), "{typo}: {e}");
        }
        assert!(feed_url_from_input("ftp://x.org/f").unwrap_err().to_string().contains("not supported"));
    }
}
