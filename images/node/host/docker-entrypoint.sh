#!/bin/sh
# As the official node images' entrypoint: `docker run IMAGE -e '…'` or `docker run IMAGE app.js` runs
# node with those arguments; a command (`node …`, `bash`, `npm …`) runs as it is.
set -e
case "${1:-}" in
  -*) set -- node "$@" ;;
  *)
    if [ -z "$(command -v "${1:-}")" ] || { [ -f "$1" ] && [ ! -x "$1" ]; }; then
      set -- node "$@"
    fi
    ;;
esac
exec "$@"
