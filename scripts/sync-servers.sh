#!/usr/bin/env bash
# Installs the sync servers the sync tests start:
# - coldsweat 0.10.2 (a Fever server, from PyPI) into a virtualenv under target/sync-servers/
#   (tests/common/coldsweat.rs);
# - Tiny Tiny RSS (Debian's tt-rss package) with PostgreSQL and php-cli, as root with apt-get
#   (tests/common/ttrss.rs). Each test server gets its own database and php -S process; this
#   script only does what is global: the packages, a running PostgreSQL cluster and the
#   config.php hook that lets each instance name its own database (TIDINGS_TTRSS_* env vars).
# Idempotent: a second run only checks. Needs python3 with venv; as root on Debian it installs
# what is missing with apt-get. Without root or apt-get it skips TT-RSS (the TT-RSS tests then
# skip, saying so) and still installs coldsweat.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/sync-servers

install_coldsweat() {
    local venv="$dir/venv" want=0.10.2
    # grep reads all of pip's output (no -q): with pipefail, pip killed by SIGPIPE would fail the check.
    if [ -x "$venv/bin/coldsweat" ] && "$venv/bin/python" -m pip show coldsweat 2>/dev/null | grep -x "Version: $want" >/dev/null; then
        echo "coldsweat $want already installed in $venv"
        return 0
    fi
    mkdir -p "$dir"
    rm -rf "$venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            echo "python3 venv missing: installing python3-venv with apt-get"
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
            rm -rf "$venv"
            python3 -m venv "$venv"
        else
            echo "python3 -m venv failed: install python3 and python3-venv, then run this again" >&2
            exit 1
        fi
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "coldsweat==$want"
    echo "coldsweat $want installed: $venv/bin/coldsweat (the tests find it there, or set TIDINGS_COLDSWEAT)"
}

ttrss_packages=(postgresql tt-rss dbconfig-pgsql php-pgsql php-cli php-curl php-intl php-mbstring php-xml)

install_ttrss() {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "TT-RSS skipped: installing it needs root and apt-get (Debian's tt-rss package); the TT-RSS tests will skip"
        return 0
    fi
    local start=$SECONDS missing=() p
    for p in "${ttrss_packages[@]}"; do
        [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
    done
    if [ ${#missing[@]} = 0 ]; then
        echo "TT-RSS: packages already installed ($(dpkg-query -W -f='${Version}' tt-rss))"
    else
        # The package must not set up a database itself: each test instance makes its own.
        echo "tt-rss tt-rss/dbconfig-install boolean false" | debconf-set-selections
        echo "TT-RSS: installing ${missing[*]} with apt-get"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${ttrss_packages[@]}" >/dev/null 2>&1; then
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${ttrss_packages[@]}" >/dev/null
        fi
        echo "TT-RSS: installed tt-rss $(dpkg-query -W -f='${Version}' tt-rss) in $((SECONDS - start)) s"
    fi
    # A PostgreSQL cluster, running (no systemd needed).
    local version
    version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    if [ -z "$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"')" ]; then
        echo "TT-RSS: creating PostgreSQL $version cluster main"
        pg_createcluster "$version" main >/dev/null
    fi
    if [ -n "$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"')" ]; then
        echo "TT-RSS: PostgreSQL $version main already running"
    else
        pg_ctlcluster "$version" main start
        echo "TT-RSS: started PostgreSQL $version main"
    fi
    # A role the tests connect as over TCP (password auth) and make their databases with.
    runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -c "DO \$\$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tidings_ttrss') THEN
            CREATE ROLE tidings_ttrss LOGIN CREATEDB PASSWORD 'tidings-ttrss';
            RAISE NOTICE 'TT-RSS: created PostgreSQL role tidings_ttrss';
        ELSE
            ALTER ROLE tidings_ttrss LOGIN CREATEDB PASSWORD 'tidings-ttrss';
            RAISE NOTICE 'TT-RSS: PostgreSQL role tidings_ttrss already there';
        END IF; END \$\$" 2>&1 | sed 's/^NOTICE:  //'
    # config.php (the package's, CONFIG_VERSION 26: define() constants): the database settings,
    # SELF_URL_PATH, the cache and icon directories come from TIDINGS_TTRSS_* variables of the
    # php process when they are set (tests/common/ttrss.rs gives each instance its own database
    # and directories that way); no update check; PHP's own error log (stderr of php -S)
    # instead of syslog. Each edit matches only the package's line, so a second run changes
    # nothing.
    local config=/etc/tt-rss/config.php before
    before=$(md5sum <"$config")
    sed -i \
        -e "s/define('\(DB_[A-Z]*\)', \\\$\([a-z]*\));/define('\1', getenv('TIDINGS_TTRSS_\1') ?: \$\2);/" \
        -e "s|define('SELF_URL_PATH', '[^']*');|define('SELF_URL_PATH', getenv('TIDINGS_TTRSS_SELF_URL_PATH') ?: 'http://localhost/tt-rss/');|" \
        -e "s|define('CACHE_DIR', '\([^']*\)');|define('CACHE_DIR', getenv('TIDINGS_TTRSS_CACHE_DIR') ?: '\1');|" \
        -e "s|define('ICONS_DIR', \"\([^\"]*\)\");|define('ICONS_DIR', getenv('TIDINGS_TTRSS_ICONS_DIR') ?: \"\1\");|" \
        -e "s/define('CHECK_FOR_UPDATES', true);/define('CHECK_FOR_UPDATES', false);/" \
        -e "s/define('LOG_DESTINATION', '[a-z]*');/define('LOG_DESTINATION', '');/" \
        "$config"
    local key
    for key in DB_NAME SELF_URL_PATH CACHE_DIR ICONS_DIR; do
        grep -q "getenv('TIDINGS_TTRSS_$key')" "$config" || { echo "TT-RSS: could not make $config read TIDINGS_TTRSS_$key" >&2; exit 1; }
    done
    if [ "$(md5sum <"$config")" = "$before" ]; then
        echo "TT-RSS: $config already reads TIDINGS_TTRSS_* variables"
    else
        echo "TT-RSS: $config now reads TIDINGS_TTRSS_DB_*, _SELF_URL_PATH, _CACHE_DIR and _ICONS_DIR"
    fi
    echo "TT-RSS ready in $((SECONDS - start)) s: the tests start php -S on /usr/share/tt-rss/www with their own database"
}

install_coldsweat
install_ttrss
