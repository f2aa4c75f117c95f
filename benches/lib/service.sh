# Sourced by the bench scripts that start the local Control Service in the background with its
# output in a file: waits for its "listening on URL" line.
#
#   url=$(service_url FILE)    prints the URL; fails (exit 1, with a message) after 10 s
service_url() {
  local _
  for _ in $(seq 1 100); do
    if grep -q '^listening on ' "$1"; then
      sed -n 's/^listening on //p' "$1"
      return 0
    fi
    sleep 0.1
  done
  echo "the local Control Service did not start (no 'listening on' in $1):" >&2
  cat "$1" >&2
  return 1
}
