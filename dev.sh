#!/usr/bin/env bash
# Handoff developer entry point.
#   ./dev.sh        set up .venv, build the admin app and the widget when stale, migrate, run on $HOST:$PORT
#   ./dev.sh test   install dev dependencies (and Debian's chromium when missing, as root), run every test
set -euo pipefail
cd "$(dirname "$0")"

if [ -f .env ]; then set -a; . ./.env; set +a; fi
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
PYTHON=${PYTHON:-python3}

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

# Install a requirements file into .venv only when it changed since the last install.
ensure_venv() {
  local reqs=$1 stamp=".venv/.installed-$(basename "$1")"
  [ -x .venv/bin/python ] || { log "creating .venv"; "$PYTHON" -m venv .venv; }
  local want; want=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing $reqs"
    .venv/bin/python -m pip install -q --disable-pip-version-check -r "$reqs"
    echo "$want" > "$stamp"
  fi
  # shellcheck disable=SC1091
  . .venv/bin/activate
}

# Install a Node project's packages when node_modules is missing or older than its package-lock.json.
npm_deps() {
  (cd "$1" && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; })
}

# Rebuild admin-frontend/dist when it is missing or older than any of its sources.
build_frontend() {
  [ -f admin-frontend/package.json ] || return 0
  command -v npm >/dev/null || { echo "npm is required to build the admin app (install Node.js 20+)" >&2; exit 1; }
  local dist=admin-frontend/dist/index.html
  if [ -f "$dist" ] && [ -z "$(find admin-frontend -path admin-frontend/node_modules -prune -o -path admin-frontend/dist -prune \
        -o -type f -newer "$dist" -print -quit)" ]; then
    return 0
  fi
  log "building the admin app"
  npm_deps admin-frontend
  (cd admin-frontend && npm run build)
}

# Rebuild widget/handoff.js (and its .gz/.br) when it is missing or older than its sources. The built files are
# committed, so a checkout serves the widget without Node; this keeps them current while you edit widget/src.
build_widget() {
  [ -f widget/package.json ] || return 0
  local out=widget/handoff.js
  if [ -f "$out" ] && [ -z "$(find widget/src widget/build.mjs widget/package-lock.json -type f -newer "$out" -print -quit)" ]; then
    return 0
  fi
  command -v npm >/dev/null || { echo "npm is required to build the widget (install Node.js 20+)" >&2; exit 1; }
  log "building the widget"
  npm_deps widget
  (cd widget && npm run build)
}

ensure_chromium() {
  command -v chromium >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: install Debian's 'chromium' package to run the browser tests" >&2
    exit 1
  fi
}

run() {
  ensure_venv requirements.txt
  build_frontend
  build_widget
  python migrate_schema.py
  local base="http://$HOST:$PORT"
  log "admin app:   $base/admin-app/"
  log "widget demo: $base/widget/demo"
  log "API docs:    $base/docs"
  exec uvicorn server:app --host "$HOST" --port "$PORT" --ws-per-message-deflate false --ws-max-size 65536
}

test_all() {
  ensure_venv requirements-dev.txt
  ensure_chromium
  build_frontend
  log "lint"
  ruff check .
  ruff format --check .
  log "type check"
  mypy
  if [ -f admin-frontend/package.json ]; then
    log "front-end tests"
    (cd admin-frontend && npm test)
  fi
  if [ -f widget/package.json ]; then
    log "widget tests"
    npm_deps widget
    (cd widget && npm test)
  fi
  if [ -f widget/size_check.py ]; then
    log "widget size"
    python widget/size_check.py
  fi
  # after the check, which must see the committed handoff.js: building first would hide a stale one
  build_widget
  log "python and browser tests"
  # The tests mostly wait (on servers, sockets, fsyncs, retries), so several run at once: each worker takes
  # whole files (module-scoped servers stay shared). PYTEST_WORKERS=0 runs them one by one.
  python -m pytest -n "${PYTEST_WORKERS:-4}" --dist loadfile "$@"
}

case "${1:-run}" in
  run) run ;;
  test) shift; test_all "$@" ;;
  *) echo "usage: ./dev.sh [run|test [pytest args]]" >&2; exit 2 ;;
esac
