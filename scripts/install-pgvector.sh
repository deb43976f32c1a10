#!/usr/bin/env bash
# Install the pgvector extension into the locally installed Debian PostgreSQL
# server. Idempotent: exits early when vector.control is already installed.
#
# Why a source build: bookworm has no pgvector package for PostgreSQL 15, so we
# fetch Debian trixie's *source* package (pgvector 0.8.x) through a private apt
# configuration (the system's sources and apt state are left untouched) and
# build it against postgresql-server-dev pinned to the running server's exact
# version (so installing headers can never upgrade the server).
#
# Requires root, Debian apt mirrors; works non-interactively (CI=true, no stdin).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

log() { echo "[install-pgvector] $*"; }
die() { echo "[install-pgvector] ERROR: $*" >&2; exit 1; }

# Server major version from the installed server, not pg_config (which only
# exists once postgresql-server-dev / libpq-dev is installed).
PG_MAJOR=${PG_MAJOR:-$(ls /usr/lib/postgresql | sort -n | tail -1)}
[ -n "$PG_MAJOR" ] || die "no PostgreSQL server found under /usr/lib/postgresql"
PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
if [ -x "$PG_CONFIG" ]; then SHAREDIR=$("$PG_CONFIG" --sharedir); else SHAREDIR=/usr/share/postgresql/$PG_MAJOR; fi

if [ -f "$SHAREDIR/extension/vector.control" ]; then
  log "pgvector already installed ($SHAREDIR/extension/vector.control), skipping"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get install, make install)"
PG_PKG_VERSION=$(dpkg-query -W -f='${Version}' "postgresql-$PG_MAJOR")
log "PostgreSQL $PG_MAJOR server package version $PG_PKG_VERSION"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# 1. Headers, pinned to the installed server version. Refresh the system lists
#    only if that exact version is not known to apt yet.
if ! apt-cache show "postgresql-server-dev-$PG_MAJOR=$PG_PKG_VERSION" >/dev/null 2>&1; then
  log "apt-get update (system lists do not know postgresql-server-dev-$PG_MAJOR=$PG_PKG_VERSION)"
  apt-get update -q </dev/null
fi
log "installing postgresql-server-dev-$PG_MAJOR=$PG_PKG_VERSION (and a C toolchain if missing)"
apt-get install -y -q --no-install-recommends \
  "postgresql-server-dev-$PG_MAJOR=$PG_PKG_VERSION" make gcc libc6-dev tar </dev/null

# 2. Trixie source package via a private apt config. Reuse the system's Debian
#    mirror; debian-archive-keyring on bookworm already ships the trixie keys.
MIRROR=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
mkdir -p "$WORK"/{lists/partial,cache/archives/partial,parts,src}
echo "deb-src [signed-by=$KEYRING] $MIRROR trixie main" >"$WORK/sources.list"
cat >"$WORK/apt.conf" <<EOF
Dir::Etc::SourceList "$WORK/sources.list";
Dir::Etc::SourceParts "$WORK/parts";
Dir::State::Lists "$WORK/lists";
Dir::Cache "$WORK/cache";
// The temp dir is root-only; don't drop to _apt for downloads.
APT::Sandbox::User "root";
EOF
log "fetching pgvector source from $MIRROR trixie"
apt-get -c "$WORK/apt.conf" update -q </dev/null
(cd "$WORK" && apt-get -c "$WORK/apt.conf" source -q --download-only pgvector </dev/null)

# Upstream tarball is all we need (apt already verified its checksum against
# the signed Sources index); the Debian packaging is not used.
ORIG=$(ls "$WORK"/pgvector_*.orig.tar.* | head -1)
log "building $(basename "$ORIG")"
tar -xf "$ORIG" -C "$WORK/src" --strip-components=1

# 3. Build: no LLVM bitcode (avoids needing a matching clang/llvm), no
#    -march=native (OPTFLAGS="") so the binary is portable.
make -C "$WORK/src" PG_CONFIG="$PG_CONFIG" with_llvm=no OPTFLAGS="" >"$WORK/build.log" 2>&1 \
  || { tail -30 "$WORK/build.log" >&2; die "make failed"; }
make -C "$WORK/src" PG_CONFIG="$PG_CONFIG" with_llvm=no OPTFLAGS="" install >>"$WORK/build.log" 2>&1 \
  || { tail -30 "$WORK/build.log" >&2; die "make install failed"; }

# 4. Verify in a scratch database so no real database is modified. As the postgres OS user over
#    the Unix socket: peer authentication works whatever pg_hba.conf says for TCP.
PSQL=(runuser -u postgres -- psql -p "${PGPORT:-5432}" -v ON_ERROR_STOP=1 -qAt)
DB=pgvector_check_$$
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB"
trap '"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
"${PSQL[@]}" -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS vector"
VERSION=$("${PSQL[@]}" -d "$DB" -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
"${PSQL[@]}" -d "$DB" -c "SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector" >/dev/null
log "pgvector $VERSION installed into PostgreSQL $PG_MAJOR and verified"
