# Sourced by benches/run.sh and benches/matrix.sh: one nginx serving the local service's own
# answer for PATH as a static file at the same path (keep-alive, 1 worker, no access log), the
# bare baseline a client can be compared with on a second server.
#
#   start_nginx WORK PATH SERVICE_URL    sets nginx_url and nginx_pid (the caller stops it)
#
# Installs Debian's nginx-light when missing.

start_nginx() {
  local work=$1 path=$2 svc=$3
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] ||
    { apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; }
  local bin ngx port
  bin=$(command -v nginx || echo /usr/sbin/nginx)
  ngx=$work/nginx
  mkdir -p "$ngx/www$(dirname "$path")" "$ngx/tmp"
  curl -sf "$svc$path" >"$ngx/www$path" # the service's own answer, byte for byte
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$ngx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  keepalive_timeout 65;
  keepalive_requests 100000000;
  client_body_temp_path $ngx/tmp/body;
  proxy_temp_path $ngx/tmp/proxy;
  fastcgi_temp_path $ngx/tmp/fastcgi;
  uwsgi_temp_path $ngx/tmp/uwsgi;
  scgi_temp_path $ngx/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    root $ngx/www;
  }
}
CONF
  chmod a+x "$work"
  chmod -R a+rX "$ngx"
  "$bin" -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log" &
  nginx_pid=$!
  nginx_url=http://127.0.0.1:$port
  for _ in $(seq 1 100); do curl -sf "$nginx_url$path" >/dev/null && break; sleep 0.1; done
  cmp -s <(curl -sf "$nginx_url$path") <(curl -sf "$svc$path") ||
    { echo "nginx does not serve the same answer" >&2; return 1; }
}
