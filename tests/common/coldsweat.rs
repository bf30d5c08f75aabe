//! A real Fever server for tests: coldsweat 0.10.2 with sqlite, on 127.0.0.1, in a temp dir.
//!
//! scripts/sync-servers.sh installs it into target/sync-servers/venv (`.ci/run` does that
//! first); `TIDINGS_COLDSWEAT` names another binary. Without it the tests skip with a line
//! saying how to run them, unless `TIDINGS_REQUIRE_SYNC_SERVERS=1` (CI) makes that a failure.

use std::collections::HashSet;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const EMAIL: &str = "reader@example.test";
pub const PASSWORD: &str = "correct horse battery";

pub struct Coldsweat {
    binary: PathBuf,
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Option<Child>,
}

/// The coldsweat binary, or `None` (after printing how to get it) when the test should skip.
pub fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("TIDINGS_COLDSWEAT").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/sync-servers/venv/bin/coldsweat"),
        PathBuf::from,
    );
    if path.exists() {
        return Some(path);
    }
    let how = "run scripts/sync-servers.sh (installs coldsweat 0.10.2 from PyPI into target/sync-servers), \
               or set TIDINGS_COLDSWEAT to a coldsweat binary";
    if std::env::var("TIDINGS_REQUIRE_SYNC_SERVERS").is_ok_and(|v| v == "1") {
        panic!("coldsweat not found at {}: {how}", path.display());
    }
    eprintln!("SKIPPED: the Fever sync tests need coldsweat, not found at {}: {how}", path.display());
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An RSS feed coldsweat reads without reaching outside: its icon (which coldsweat would
/// otherwise look up at a web service) is on the same loopback server.
pub fn feed(base: &str, title: &str, items: std::ops::RangeInclusive<u32>) -> String {
    super::cli::linked_rss(base, title, items, true)
}

impl Coldsweat {
    /// A server with one user whose subscriptions are `feeds` (URL, group), fetched once.
    pub fn start(binary: PathBuf, feeds: &[(String, &str)]) -> Coldsweat {
        let dir = tempfile::tempdir().unwrap();
        let mut server = Coldsweat { binary, dir, port: free_port(), child: None };
        server.manage(&["setup", EMAIL, "-p", PASSWORD, "-n", "Reader"]);
        let mut outlines = String::new();
        for (url, group) in feeds {
            // The feed's title on the server is the outline's text: the file's name.
            let name = url.rsplit('/').next().unwrap_or("").trim_end_matches(".xml");
            outlines.push_str(&format!(
                "<outline text=\"{group}\" title=\"{group}\"><outline type=\"rss\" text=\"{name}\" xmlUrl=\"{url}\"/></outline>"
            ));
        }
        let opml = format!(
            "<?xml version=\"1.0\"?><opml version=\"1.0\"><head><title>s</title></head><body>{outlines}</body></opml>"
        );
        let opml_path = server.dir.path().join("subs.opml");
        std::fs::write(&opml_path, opml).unwrap();
        server.manage(&["import", opml_path.to_str().unwrap(), EMAIL, "--fetch"]);
        server.run();
        server
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.env("FLASK_DATABASE_URL", format!("sqlite:///{}", self.dir.path().join("cs.db").display()))
            .env("FLASK_SECRET_KEY", "tidings-test")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .current_dir(self.dir.path());
        cmd
    }

    /// Runs a coldsweat management command to its end.
    pub fn manage(&self, args: &[&str]) {
        let out = self.command().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "coldsweat {args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Fetches every subscribed feed again (new items get new ids). coldsweat skips feeds it
    /// checked in the last 3 minutes and sends their validators, so both are cleared first,
    /// with the sqlite module of coldsweat's own Python.
    pub fn fetch(&self) {
        let python = self.binary.with_file_name("python");
        let db = self.dir.path().join("cs.db");
        let out = Command::new(python)
            .args([
                "-c",
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); \
                 c.execute(\"update feeds set last_checked_on = NULL, last_updated_on = NULL, etag = ''\"); c.commit()",
            ])
            .arg(&db)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "clearing coldsweat's fetch times: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.manage(&["fetch"]);
    }

    /// Starts serving and waits until the port answers.
    pub fn run(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("run.log")).unwrap();
        let child = self
            .command()
            .args(["run", "--host", "127.0.0.1", "--port", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "coldsweat did not start: {}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("run.log")).unwrap_or_default()
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/fever/", self.port)
    }

    /// One Fever API call, as a client would make it.
    pub fn api(&self, commands: &str, form: &[(&str, &str)]) -> serde_json::Value {
        let key = tidings::sync::fever::api_key(EMAIL, PASSWORD);
        let mut fields = vec![("api_key", key.as_str())];
        fields.extend_from_slice(form);
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
        let url = format!("{}?api{}{commands}", self.endpoint(), if commands.is_empty() { "" } else { "&" });
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let response = reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap()
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success(), "{url}: {}", response.status());
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
        })
    }

    /// The ids in one of the id lists (`unread_item_ids`, `saved_item_ids`).
    pub fn ids(&self, list: &str) -> HashSet<u64> {
        let v = self.api(list, &[]);
        v[list].as_str().unwrap_or("").split(',').filter_map(|s| s.parse().ok()).collect()
    }

    /// Every item: (id, url).
    pub fn items(&self) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        let mut since = 0;
        loop {
            let v = self.api(&format!("items&since_id={since}"), &[]);
            let page: Vec<(u64, String)> = v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| (i["id"].as_u64().unwrap(), i["url"].as_str().unwrap_or("").to_owned()))
                .collect();
            let Some(top) = page.iter().map(|(id, _)| *id).max() else { break };
            out.extend(page);
            since = top;
        }
        out
    }

    pub fn mark(&self, id: u64, status: &str) {
        self.api("", &[("mark", "item"), ("as", status), ("id", &id.to_string())]);
    }
}

impl Drop for Coldsweat {
    fn drop(&mut self) {
        self.stop();
    }
}
