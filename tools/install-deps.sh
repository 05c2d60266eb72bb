#!/bin/sh
# install-deps.sh: install vsearch's build and test dependencies from Debian packages.
# Uses sudo when not root. Idempotent: re-running installs nothing new.
set -eu
PKGS="build-essential pkg-config libxxhash-dev liblz4-dev libbsd-dev libcmocka-dev \
libutf8proc-dev libstemmer-dev zlib1g-dev libzstd-dev clang libclang-rt-14-dev"
# --bench adds the peer engines that `make bench` compares against (SQLite FTS5, Xapian 1.4,
# Lucene 4.10 with a JDK) and GNU time.
if [ "${1:-}" = "--bench" ]; then
    PKGS="$PKGS libsqlite3-dev sqlite3 libxapian-dev xapian-tools g++ liblucene4.10-java default-jdk-headless time"
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
echo "install-deps: all dependencies present" >&2
