# Sourced by the bench scripts that time wrk beside the library: wrk's -d takes whole seconds
# only ("-d0.5s" is refused after the library's half of a round has already run), so the
# length of a run is checked once, up front.
#
#   S=$(wrk_seconds VDK_BENCH_SECONDS 2)    the variable's value, or the default when unset;
#                                           fails (exit 2, with a message) on anything else
wrk_seconds() {
  local value=${!1:-$2}
  if [[ ! $value =~ ^[1-9][0-9]*$ ]]; then
    echo "$1=$value: give whole seconds (wrk takes no fractions)" >&2
    exit 2
  fi
  echo "$value"
}
