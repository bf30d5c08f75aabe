//! Deciding what a feed address is (web URL or local file), and reading local files.

use std::io::Read;
use std::path::{Path, PathBuf};

use url::Url;

use super::error::{redact_str, FetchError, FetchErrorKind};
use super::FetchOutcome;

/// Where a feed address points.
#[derive(Debug)]
pub(crate) enum Target {
    /// An `http:` or `https:` URL with a host.
    Web(Url),
    /// A file on this machine; `url` is its `file://` form, reported as `final_url`.
    /// `maybe_web` is set for a plain path such as `example.com/feed.xml` that was probably
    /// meant as a web address, so that "file not found" can say so.
    Local { path: PathBuf, url: String, maybe_web: bool },
}

/// Classifies a feed address: `http(s)://` URLs go to the network, `file://` URLs and plain
/// paths (absolute, relative to the current directory, or starting with `~/`) to the disk.
/// Anything else (`ftp:`, `javascript:`, a `file://` URL naming another host) is refused.
pub(crate) fn classify(raw: &str) -> Result<Target, FetchError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(FetchError::new(FetchErrorKind::InvalidUrl, "the feed address is empty"));
    }
    match Url::parse(raw) {
        Ok(url) => match url.scheme() {
            "http" | "https" => {
                if url.host_str().is_none_or(str::is_empty) {
                    return Err(invalid(raw, "it has no host name"));
                }
                Ok(Target::Web(url))
            }
            "file" => match url.to_file_path() {
                Ok(path) => Ok(Target::Local { path, url: url.to_string(), maybe_web: false }),
                Err(()) => Err(invalid(raw, "only file:/// URLs for this machine can be read")),
            },
            // `C:\feeds\a.xml` parses as a URL with scheme `c`.
            scheme if cfg!(windows) && scheme.len() == 1 => Ok(local(raw)),
            scheme => Err(invalid(
                raw,
                &format!(
                    "the scheme `{scheme}:` is not supported (use http://, https://, file:// or a local path)"
                ),
            )),
        },
        Err(url::ParseError::RelativeUrlWithoutBase) => Ok(local(raw)),
        Err(err) => Err(invalid(raw, &err.to_string())),
    }
}

fn invalid(raw: &str, why: &str) -> FetchError {
    FetchError::new(FetchErrorKind::InvalidUrl, format!("invalid feed address {}: {why}", redact_str(raw)))
}

/// A plain path made absolute, so that `final_url` is a real `file://` URL and messages name
/// the file the user can look for.
fn local(raw: &str) -> Target {
    let expanded = match (raw.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(raw),
    };
    // `absolute` only fails for an empty path (excluded above) or when the current directory
    // is gone; then the path as given is still the best thing to try and to report.
    let path = std::path::absolute(&expanded).unwrap_or(expanded);
    let url = match Url::from_file_path(&path) {
        Ok(url) => url.to_string(),
        Err(()) => format!("file://{}", path.display()),
    };
    let first = raw.split('/').next().unwrap_or(raw);
    let maybe_web = !raw.starts_with(['/', '.', '~']) && first.contains('.') && raw.contains('/');
    Target::Local { path, url, maybe_web }
}

/// Reads a local feed file, refusing files over `cap` bytes without reading them and never
/// reading more than `cap + 1` bytes (the file may grow between the size check and the read).
pub(crate) async fn read(
    path: PathBuf,
    url: String,
    maybe_web: bool,
    cap: u64,
    max_body_mib: u64,
) -> Result<FetchOutcome, FetchError> {
    let shown = path.display().to_string();
    let read_path = path.clone();
    // std::fs in spawn_blocking rather than tokio::fs: one blocking task for the whole read
    // instead of one per chunk.
    let result = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Vec<u8>>> {
        let file = std::fs::File::open(&read_path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(std::io::Error::other("it is a directory, not a feed file"));
        }
        if meta.len() > cap {
            return Ok(None);
        }
        // Capacity from the size already checked against the cap; +1 to see growth.
        let mut body = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.take(cap.saturating_add(1)).read_to_end(&mut body)?;
        if body.len() as u64 > cap {
            return Ok(None);
        }
        Ok(Some(body))
    })
    .await;
    match result {
        Ok(Ok(Some(body))) => Ok(FetchOutcome::Fetched {
            status: 200,
            body,
            content_type: None,
            etag: None,
            last_modified: None,
            final_url: url,
            permanent_redirect: None,
        }),
        Ok(Ok(None)) => Err(FetchError::new(
            FetchErrorKind::TooLarge,
            format!("the feed file {shown} is larger than {max_body_mib} MiB (max_body_mib in config.toml)"),
        )),
        Ok(Err(err)) => {
            let hint = if maybe_web && err.kind() == std::io::ErrorKind::NotFound {
                " (for a web feed, write the address with https://)"
            } else {
                ""
            };
            Err(FetchError::new(
                FetchErrorKind::Io,
                format!("could not read the feed file {shown}: {err}{hint}"),
            ))
        }
        Err(join) => Err(FetchError::new(
            FetchErrorKind::Other,
            format!("reading the feed file {shown} failed: {join}"),
        )),
    }
}
