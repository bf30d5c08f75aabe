//! A real Tiny Tiny RSS server for tests: Debian's tt-rss 21 (PHP) under `php -S` on
//! 127.0.0.1, with its own fresh PostgreSQL database per instance.
//!
//! scripts/sync-servers.sh installs it as root with apt-get (`.ci/run` runs it first) and does
//! the global part: the packages, a running PostgreSQL cluster, the `tidings_ttrss` role the
//! tests connect as (over TCP, with a password) and an edit to /etc/tt-rss/config.php so that
//! the database settings, SELF_URL_PATH, CACHE_DIR and ICONS_DIR come from `TIDINGS_TTRSS_*`
//! variables when the php process has them. That is how instances are kept apart: each
//! [`TtRss`] creates a database of its own (`tidings_ttrss_<pid>_<n>`, schema loaded, user
//! [`USER`] with API access), a temp dir for its cache, icons and log, and starts
//! `php -S 127.0.0.1:<free port> -t /usr/share/tt-rss/www` as www-data with those variables.
//! Dropping it stops php and drops the database; databases left by a killed test process are
//! dropped by the next one that starts an instance.
//!
//! TT-RSS fetches feeds only on port 80 or 443 and not from 127.x or `localhost`, so the
//! feeds it subscribes to are served by a [`FeedHost`] on `http://[::1]/` (port 80: needs
//! root, as installing does). One `FeedHost` at a time binds it, across threads and processes.
//!
//! Without the install (or without root) the tests skip with a line saying how to run them,
//! unless `TIDINGS_REQUIRE_SYNC_SERVERS=1` (CI) makes that a failure.

#![allow(unsafe_code, reason = "kill(2), getpwnam(3), geteuid(2) and flock(2) around the server processes")]

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::server::{Response, TestServer};

/// The TT-RSS user every instance has (besides the schema's own `admin` / `password`).
pub const USER: &str = "reader";
pub const PASSWORD: &str = "correct horse battery";

/// `updateArticle` fields.
pub const FIELD_STARRED: u8 = 0;
pub const FIELD_PUBLISHED: u8 = 1;
pub const FIELD_UNREAD: u8 = 2;
/// `updateArticle` modes.
pub const MODE_FALSE: u8 = 0;
pub const MODE_TRUE: u8 = 1;
pub const MODE_TOGGLE: u8 = 2;

pub const WWW: &str = "/usr/share/tt-rss/www";
const CONFIG: &str = "/etc/tt-rss/config.php";
const SCHEMA: &str = "/usr/share/dbconfig-common/data/tt-rss/install/pgsql";
const ROLE: &str = "tidings_ttrss";
const ROLE_PASSWORD: &str = "tidings-ttrss";
const DB_PREFIX: &str = "tidings_ttrss_";
/// The user php runs as (TT-RSS refuses to run some parts as root).
const PHP_USER: &str = "www-data";

/// The installed TT-RSS version (e.g. "Debian 21~git20210204..."), or `None` (after printing
/// how to get it) when the test should skip.
pub fn available() -> Option<String> {
    let how =
        "run scripts/sync-servers.sh as root (installs Debian's tt-rss, PostgreSQL and php-cli with apt-get \
               and lets each test instance have its own database)";
    let missing = if !Path::new(WWW).join("api/index.php").exists() {
        format!("TT-RSS not installed ({WWW}/api/index.php missing)")
    } else if !std::fs::read_to_string(CONFIG).is_ok_and(|c| c.contains("getenv('TIDINGS_TTRSS_DB_NAME')")) {
        format!("{CONFIG} does not read TIDINGS_TTRSS_DB_NAME")
    } else if ["/usr/bin/php", "/usr/bin/psql", "/usr/bin/pg_lsclusters"]
        .iter()
        .any(|p| !Path::new(p).exists())
    {
        "php, psql or pg_lsclusters missing".to_string()
    // SAFETY: geteuid has no preconditions.
    } else if unsafe { libc::geteuid() } != 0 {
        "not root (php runs as www-data and the feeds are served on port 80)".to_string()
    } else {
        let version = std::fs::read_to_string(Path::new(WWW).join("version_static.txt")).unwrap_or_default();
        return Some(version.trim().to_string());
    };
    if std::env::var("TIDINGS_REQUIRE_SYNC_SERVERS").is_ok_and(|v| v == "1") {
        panic!("TT-RSS is not usable: {missing}: {how}");
    }
    eprintln!("SKIPPED: the TT-RSS sync tests need Tiny Tiny RSS: {missing}: {how}");
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn output_text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Quotes `s` as an SQL string literal.
pub fn sql_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The PostgreSQL port, once the cluster runs and the role exists (once per process).
fn postgres() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(|| {
        let clusters = || {
            let out = Command::new("pg_lsclusters").arg("-h").output().expect("pg_lsclusters");
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
                .filter(|f| f.len() >= 4)
                .collect::<Vec<_>>()
        };
        let all = clusters();
        let port: u16 = if let Some(online) = all.iter().find(|f| f[3] == "online") {
            online[2].parse().expect("cluster port")
        } else {
            let Some(first) = all.first() else {
                panic!("no PostgreSQL cluster: run scripts/sync-servers.sh");
            };
            let out = Command::new("pg_ctlcluster").args([&first[0], &first[1], "start"]).output().unwrap();
            assert!(
                out.status.success(),
                "pg_ctlcluster {} {} start: {}",
                first[0],
                first[1],
                output_text(&out)
            );
            first[2].parse().expect("cluster port")
        };
        // The role, as sync-servers.sh makes it (in case the cluster was made afresh since).
        let out = Command::new("runuser")
            .args([
                "-u",
                "postgres",
                "--",
                "psql",
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-p",
                &port.to_string(),
            ])
            .arg("-c")
            .arg(format!(
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN \
                 CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{ROLE_PASSWORD}'; END IF; END $$"
            ))
            .current_dir("/")
            .output()
            .unwrap();
        assert!(out.status.success(), "creating role {ROLE}: {}", output_text(&out));
        drop_stale_databases(port);
        port
    })
}

/// `psql` as the test role on database `db`: runs `sql` (or the file `file`), returns the
/// unaligned tuples, panics on an error.
fn psql(port: u16, db: &str, sql: Option<&str>, file: Option<&Path>) -> String {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", ROLE])
        .args(["-p", &port.to_string(), "-d", db])
        .env("PGPASSWORD", ROLE_PASSWORD)
        .env("PGCONNECT_TIMEOUT", "10")
        .env("PGOPTIONS", "--client-min-messages=warning");
    if let Some(sql) = sql {
        cmd.arg("-c").arg(sql);
    }
    if let Some(file) = file {
        cmd.arg("-f").arg(file);
    }
    let out = cmd.output().expect("psql");
    assert!(out.status.success(), "psql on {db}: {sql:?} {file:?}: {}", output_text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The pid of the test process that made database `name` (`tidings_ttrss_<pid>_<n>`), if
/// that process is gone.
fn dead_owner(name: &str) -> Option<u32> {
    let pid = name.strip_prefix(DB_PREFIX)?.split('_').next()?.parse::<u32>().ok()?;
    (!Path::new("/proc").join(pid.to_string()).exists()).then_some(pid)
}

/// Stops the php processes and drops the databases of instances whose test process is gone
/// (killed before its Drop could run). php is recognised by the database name in its
/// environment, so only processes this harness started are touched.
fn drop_stale_databases(port: u16) {
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else { continue };
        let stale = environ.split(|b| *b == 0).any(|var| {
            std::str::from_utf8(var)
                .ok()
                .and_then(|v| v.strip_prefix("TIDINGS_TTRSS_DB_NAME="))
                .is_some_and(|db| dead_owner(db).is_some())
        });
        if stale {
            // SAFETY: kill has no memory preconditions; the pid is a php started by this harness.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
    let names = psql(
        port,
        "postgres",
        Some(&format!(
            "SELECT datname FROM pg_database WHERE datname LIKE '{}%'",
            DB_PREFIX.replace('_', "\\_")
        )),
        None,
    );
    for name in names.lines() {
        if dead_owner(name).is_some() {
            psql(port, "postgres", Some(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")), None);
        }
    }
}

fn php_user() -> (u32, u32) {
    let name = std::ffi::CString::new(PHP_USER).unwrap();
    // SAFETY: getpwnam gets a NUL-terminated name; the record it returns is read at once.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    assert!(!pw.is_null(), "no user {PHP_USER}");
    // SAFETY: not null, checked above.
    unsafe { ((*pw).pw_uid, (*pw).pw_gid) }
}

/// One article as getHeadlines lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Headline {
    pub id: u64,
    pub feed_id: u64,
    pub title: String,
    pub link: String,
    pub unread: bool,
    pub starred: bool,
}

fn as_id(v: &Value) -> u64 {
    v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).unwrap_or_else(|| panic!("not an id: {v}"))
}

/// A running TT-RSS instance with its own database. See the module docs.
pub struct TtRss {
    /// Holds the instance's cache and icon directories and php's log (`php.log`).
    pub dir: tempfile::TempDir,
    /// php's port on 127.0.0.1 (kept across [`TtRss::stop`] and [`TtRss::run`]).
    pub port: u16,
    /// The instance's database.
    pub db: String,
    /// [`USER`]'s id in `ttrss_users`.
    pub uid: u64,
    pg_port: u16,
    child: Option<Child>,
    sid: Mutex<Option<String>>,
}

impl TtRss {
    /// A fresh instance: its own database (schema, [`USER`] with API access), php serving it.
    pub fn start() -> TtRss {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let pg_port = postgres();
        let db = format!("{DB_PREFIX}{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        psql(pg_port, "postgres", Some(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")), None);
        psql(pg_port, "postgres", Some(&format!("CREATE DATABASE \"{db}\"")), None);
        psql(pg_port, &db, None, Some(Path::new(SCHEMA)));
        // auth_internal's MODE2 hash: sha256(salt . password).
        let uid = psql(
            pg_port,
            &db,
            Some(&format!(
                "INSERT INTO ttrss_users (login, pwd_hash, salt, access_level, created) VALUES \
                 ({user}, 'MODE2:' || encode(sha256(convert_to('tidings-salt' || {pass}, 'UTF8')), 'hex'), \
                 'tidings-salt', 0, NOW()) RETURNING id",
                user = sql_quote(USER),
                pass = sql_quote(PASSWORD)
            )),
            None,
        );
        let uid: u64 =
            uid.lines().next().unwrap_or("").parse().unwrap_or_else(|_| panic!("user id: {uid:?}"));
        // API access is off by default; both users get it (prefs without a profile).
        psql(
            pg_port,
            &db,
            Some(
                "INSERT INTO ttrss_user_prefs (owner_uid, pref_name, value) \
                 SELECT id, 'ENABLE_API_ACCESS', 'true' FROM ttrss_users",
            ),
            None,
        );

        let dir = tempfile::tempdir().unwrap();
        let (php_uid, php_gid) = php_user();
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        // No cache/feeds: TT-RSS would serve a feed fetched in the last 30 s from there
        // instead of fetching it again.
        for sub in ["cache", "cache/images", "cache/upload", "cache/export", "icons"] {
            let path = dir.path().join(sub);
            std::fs::create_dir(&path).unwrap();
            std::os::unix::fs::chown(&path, Some(php_uid), Some(php_gid)).unwrap();
        }
        let mut server =
            TtRss { dir, port: free_port(), db, uid, pg_port, child: None, sid: Mutex::new(None) };
        server.run();
        server
    }

    /// Starts php (again, on the same port and database) and waits until the API logs in.
    pub fn run(&mut self) {
        assert!(self.child.is_none(), "TT-RSS already running");
        let (php_uid, php_gid) = php_user();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("php.log"))
            .unwrap();
        let child = Command::new("/usr/bin/php")
            .args(["-S", &format!("127.0.0.1:{}", self.port), "-t", WWW])
            .current_dir(WWW)
            // No proxy variables from the test's environment: php's curl would use them.
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("LANG", "C.UTF-8")
            // Several requests at once, as a real deployment (php-fpm) answers them.
            .env("PHP_CLI_SERVER_WORKERS", "4")
            .env("TIDINGS_TTRSS_DB_TYPE", "pgsql")
            .env("TIDINGS_TTRSS_DB_HOST", "127.0.0.1")
            .env("TIDINGS_TTRSS_DB_PORT", self.pg_port.to_string())
            .env("TIDINGS_TTRSS_DB_USER", ROLE)
            .env("TIDINGS_TTRSS_DB_PASS", ROLE_PASSWORD)
            .env("TIDINGS_TTRSS_DB_NAME", &self.db)
            .env("TIDINGS_TTRSS_SELF_URL_PATH", self.endpoint())
            .env("TIDINGS_TTRSS_CACHE_DIR", self.dir.path().join("cache"))
            .env("TIDINGS_TTRSS_ICONS_DIR", self.dir.path().join("icons"))
            .uid(php_uid)
            .gid(php_gid)
            // Its own process group: the workers are killed with it (see `stop`).
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("php -S");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                self.child = None;
                panic!("php -S exited ({status}): {}", self.log());
            }
            assert!(Instant::now() < deadline, "TT-RSS did not start: {}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
        self.login();
    }

    /// Stops php and its workers (the database stays).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // The whole group: with PHP_CLI_SERVER_WORKERS the workers hold the listening
            // socket too, and would go on answering without the parent.
            if let Ok(pid) = i32::try_from(child.id()) {
                // SAFETY: kill(2) with a negative pid signals that process group; php is its leader.
                unsafe { libc::kill(-pid, libc::SIGKILL) };
            }
            let _ = child.kill();
            let _ = child.wait();
            let deadline = Instant::now() + Duration::from_secs(10);
            while TcpStream::connect(("127.0.0.1", self.port)).is_ok() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// php's output: its request log and PHP's warnings (many, from PHP 8 on this old code).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("php.log")).unwrap_or_default()
    }

    /// The URL to give tidings: `http://127.0.0.1:port/` (the API is at `endpoint() + "api/"`).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// POSTs `body` to the API as is (no session added) and returns the whole answer
    /// (`{"seq", "status", "content"}`).
    pub fn post(&self, body: &Value) -> Value {
        let url = format!("{}api/", self.endpoint());
        let body = serde_json::to_vec(body).unwrap();
        // On a thread of its own: callers may be inside a tokio runtime already.
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    rt.block_on(async {
                        let response = reqwest::Client::builder()
                            .no_proxy()
                            .timeout(Duration::from_secs(60))
                            .build()
                            .unwrap()
                            .post(&url)
                            .header("content-type", "application/json")
                            .body(body)
                            .send()
                            .await
                            .unwrap_or_else(|e| panic!("{url}: {e}"));
                        let status = response.status();
                        let bytes = response.bytes().await.unwrap();
                        assert!(status.is_success(), "{url}: {status}: {}", String::from_utf8_lossy(&bytes));
                        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                            panic!("{url}: not JSON ({e}): {}", String::from_utf8_lossy(&bytes))
                        })
                    })
                })
                .join()
                .unwrap()
        })
    }

    /// Logs [`USER`] in and keeps the session id for [`TtRss::api`].
    pub fn login(&self) -> String {
        let v = self.post(&json!({"op": "login", "user": USER, "password": PASSWORD}));
        let sid = v["content"]["session_id"]
            .as_str()
            .unwrap_or_else(|| panic!("TT-RSS login failed: {v}\n{}", self.log()))
            .to_string();
        *self.sid.lock().unwrap_or_else(PoisonError::into_inner) = Some(sid.clone());
        sid
    }

    /// One API call as [`USER`] (`body` is an object with "op"; the session id is added,
    /// logging in first if needed or if the session is gone). Returns the whole answer.
    pub fn api(&self, body: Value) -> Value {
        let with_sid = |sid: String| {
            let mut body = body.clone();
            body.as_object_mut().expect("API call is a JSON object").insert("sid".into(), Value::String(sid));
            self.post(&body)
        };
        let sid = self.sid.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let sid = sid.unwrap_or_else(|| self.login());
        let v = with_sid(sid);
        if v["content"]["error"] == "NOT_LOGGED_IN" {
            return with_sid(self.login());
        }
        v
    }

    /// [`TtRss::api`], asserting `status` 0; returns `content`.
    pub fn call(&self, body: Value) -> Value {
        let v = self.api(body.clone());
        assert_eq!(v["status"], 0, "TT-RSS {body}: {v}");
        v["content"].clone()
    }

    /// SQL on the instance's database (as the owner); returns unaligned rows, `|` between
    /// columns.
    pub fn sql(&self, sql: &str) -> String {
        psql(self.pg_port, &self.db, Some(sql), None)
    }

    /// The id of [`USER`]'s category `title`, made if missing (TT-RSS 21's API cannot).
    pub fn category(&self, title: &str) -> u64 {
        let find = format!(
            "SELECT id FROM ttrss_feed_categories WHERE owner_uid = {} AND title = {} ORDER BY id LIMIT 1",
            self.uid,
            sql_quote(title)
        );
        let mut id = self.sql(&find);
        if id.is_empty() {
            id = self.sql(&format!(
                "INSERT INTO ttrss_feed_categories (owner_uid, title) VALUES ({}, {}) RETURNING id",
                self.uid,
                sql_quote(title)
            ));
        }
        id.lines().next().unwrap_or("").parse().unwrap_or_else(|_| panic!("category id: {id:?}"))
    }

    /// Subscribes [`USER`] to `feed_url` (in `category`, made if missing; uncategorized with
    /// `None`), fetches it and returns the feed's id. Already subscribed is fine.
    pub fn subscribe(&self, feed_url: &str, category: Option<&str>) -> u64 {
        let category_id = category.map_or(0, |c| self.category(c));
        let content =
            self.call(json!({"op": "subscribeToFeed", "feed_url": feed_url, "category_id": category_id}));
        let status = &content["status"];
        assert!(
            status["code"] == 0 || status["code"] == 1,
            "subscribeToFeed {feed_url}: {content} (2: invalid URL, 5: could not fetch)\n{}",
            self.log()
        );
        let id = as_id(&status["feed_id"]);
        self.update_feed(id);
        id
    }

    /// Fetches feed `id` now (`updateFeed`: no update daemon needed).
    pub fn update_feed(&self, id: u64) {
        let content = self.call(json!({"op": "updateFeed", "feed_id": id}));
        assert_eq!(content["status"], "OK", "updateFeed {id}: {content}");
    }

    /// Every article of [`USER`] in `view_mode` ("all_articles", "unread", "marked" =
    /// starred, ...), paged, in the API's order.
    pub fn headlines(&self, view_mode: &str) -> Vec<Headline> {
        let mut out = Vec::new();
        loop {
            let page = self.call(json!({
                "op": "getHeadlines", "feed_id": -4, "view_mode": view_mode,
                "limit": 200, "skip": out.len(), "show_content": false,
            }));
            let page = page.as_array().unwrap_or_else(|| panic!("getHeadlines: {page}"));
            if page.is_empty() {
                break;
            }
            out.extend(page.iter().map(|h| Headline {
                id: as_id(&h["id"]),
                feed_id: as_id(&h["feed_id"]),
                title: h["title"].as_str().unwrap_or("").to_string(),
                link: h["link"].as_str().unwrap_or("").to_string(),
                unread: h["unread"].as_bool().unwrap_or(false),
                starred: h["marked"].as_bool().unwrap_or(false),
            }));
            if page.len() < 200 {
                break;
            }
        }
        out
    }

    /// id -> link of every article.
    pub fn all(&self) -> BTreeMap<u64, String> {
        self.headlines("all_articles").into_iter().map(|h| (h.id, h.link)).collect()
    }

    /// id -> link of the unread articles.
    pub fn unread(&self) -> BTreeMap<u64, String> {
        self.headlines("unread").into_iter().map(|h| (h.id, h.link)).collect()
    }

    /// id -> link of the starred articles.
    pub fn starred(&self) -> BTreeMap<u64, String> {
        self.headlines("marked").into_iter().map(|h| (h.id, h.link)).collect()
    }

    /// `updateArticle`: sets `field` ([`FIELD_UNREAD`], [`FIELD_STARRED`]...) of `ids` to
    /// `mode` ([`MODE_FALSE`], [`MODE_TRUE`], [`MODE_TOGGLE`]); returns how many it updated.
    pub fn set_flag(&self, ids: &[u64], field: u8, mode: u8) -> u64 {
        let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
        let content = self.call(json!({
            "op": "updateArticle", "article_ids": ids.join(","), "field": field, "mode": mode,
        }));
        assert_eq!(content["status"], "OK", "updateArticle: {content}");
        as_id(&content["updated"])
    }
}

impl Drop for TtRss {
    fn drop(&mut self) {
        self.stop();
        let drop_db = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.db);
        let _ = Command::new("psql")
            .args([
                "-X",
                "-q",
                "-h",
                "127.0.0.1",
                "-U",
                ROLE,
                "-p",
                &self.pg_port.to_string(),
                "-d",
                "postgres",
            ])
            .arg("-c")
            .arg(drop_db)
            .env("PGPASSWORD", ROLE_PASSWORD)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// An RSS feed: `items` items titled `"{title} {i}"`, linked to `{base}/{title}/{i}`, guid
/// `{title}-{i}`, newest last.
pub fn feed(base: &str, title: &str, items: std::ops::RangeInclusive<u32>) -> String {
    super::cli::linked_rss(base, title, items, false)
}

/// Serves feeds on `http://[::1]/` (port 80, where TT-RSS fetches from): a [`TestServer`]
/// (deref to it for `route`, `hits`...) holding the port-80 lock, so one `FeedHost` at a time
/// binds it, among the test threads and among processes (a lock file). Dropping it frees both.
pub struct FeedHost {
    server: TestServer,
    _file_lock: std::fs::File,
    _lock: MutexGuard<'static, ()>,
}

impl FeedHost {
    /// Takes the lock (waiting for another FeedHost to go) and binds `[::1]:80`.
    pub fn start() -> FeedHost {
        static LOCK: Mutex<()> = Mutex::new(());
        let lock = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(std::env::temp_dir().join("tidings-feedhost-port80.lock"))
            .unwrap();
        // SAFETY: flock on a descriptor we own; the lock goes with the file.
        let locked = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&file), libc::LOCK_EX) };
        assert_eq!(locked, 0, "flock: {}", std::io::Error::last_os_error());
        // Something else may hold the port for a moment (a test process without the lock).
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpListener::bind("[::1]:80").is_err() {
            assert!(Instant::now() < deadline, "[::1]:80 stays busy (or IPv6 loopback is missing)");
            std::thread::sleep(Duration::from_millis(100));
        }
        FeedHost { server: TestServer::start_on("[::1]:80"), _file_lock: file, _lock: lock }
    }

    /// `http://[::1]{path}`, as TT-RSS should be given it.
    pub fn url(&self, path: &str) -> String {
        format!("http://[::1]{path}")
    }

    /// Serves `body` at `path` as `application/rss+xml`; returns its URL.
    pub fn serve_rss(&self, path: &str, body: &str) -> String {
        self.server.route(path, Response::ok(body.as_bytes().to_vec()).content_type("application/rss+xml"));
        self.url(path)
    }
}

impl std::ops::Deref for FeedHost {
    type Target = TestServer;

    fn deref(&self) -> &TestServer {
        &self.server
    }
}
