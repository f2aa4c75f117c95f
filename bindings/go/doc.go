// Package vdksecrets reads and writes the secrets of Versatile Data Kit data jobs in the VDK
// Control Service, through the vdk-secrets Rust library and its C ABI (cgo, static linking).
//
// Two levels, as in the C ABI:
//
//   - Client: the Control Service secrets API, ReadSecrets and WriteSecrets of a job's whole
//     map. Created from a Config (NewClient) or from VDK_* environment variables
//     (NewClientFromEnv).
//   - JobSecrets: one job's secrets as data-job code sees them (Get, GetAll, Set, SetAll,
//     Delete, Refresh), with a read cache, through the backend the configuration picks:
//     the Control Service or an in-process "memory" store.
//
// Both are safe for concurrent use; share one per process rather than creating one per call.
//
// # Contexts
//
// Every call takes a context. A context that is already done is refused before the library
// is called (the error wraps ctx.Err()). A context deadline bounds the call inside the
// library, retries and token exchange included: the remaining time, rounded up to the next
// millisecond, replaces control_http_deadline_seconds for that call; such a call that runs
// out of time fails with StatusNetwork and its error also matches context.DeadlineExceeded.
// Cancellation without a deadline cannot interrupt a call that has started: give contexts a
// deadline to bound calls.
//
// # Values
//
// Values cross the C ABI as JSON and come back exactly:
//
//   - strings, booleans and null decode to string, bool and nil;
//   - integers decode to int64 (uint64 above math.MaxInt64), so 1<<60 stays exact;
//   - numbers with a fraction or an exponent decode to float64; float32 and float64 values
//     are always sent with a fraction or an exponent (2.0 as 2.0), so floats stay floats;
//   - objects decode to map[string]any and arrays to []any, at any depth.
//
// Whole maps come back as Secrets (ReadSecrets, GetAll), a read-only type that never prints a
// value: fmt (every verb, also nested in structs, slices and maps), slog and json.Marshal show
// the names with "***" for every value, at any depth. Values are read with its typed getters
// (GetString, GetInt64, GetFloat64, GetBool, GetJSON, Lookup); Map returns an unmasked copy.
// See Secrets for why json.Marshal masks too. JobSecrets.Get returns one value as a plain Go
// value: the caller asked for that value, and it prints as any Go value does.
//
// Set, SetAll and WriteSecrets accept these types, every Go integer and float type,
// json.Number, json.RawMessage, map[string]string, []string, and anything else encoding/json
// encodes (structs, typed maps and slices, json.Marshaler), with encoding/json's rules for the
// latter. Strings must be valid UTF-8 (refused otherwise, since JSON could not carry them
// unchanged); NaN and infinities are refused. Job, team and secret names are C strings: a name
// holding a NUL byte is refused with StatusInvalidArgument before the library is called.
// Values may hold NUL bytes.
//
// # Errors
//
// Failures are *Error values carrying the library's status, HTTP status, retryability and
// the what / why / consequences / countermeasures texts. Test them with errors.Is and the
// sentinels (ErrNotFound, ErrNetwork, ...; ErrClosed for a closed Client or JobSecrets). No
// error text holds a secret value or a token.
//
// # Memory
//
// Close releases a Client or JobSecrets; it is idempotent and never waits: the library object
// is freed when the last call in flight returns, and later calls fail with ErrClosed. A value
// dropped without Close is released by the garbage collector as a safety net. Buffers this
// package builds to carry secret values or the API token are wiped after use, and the
// library wipes the strings it returns when they are released; Go strings (the secret values
// the caller passes in or gets back) cannot be wiped.
package vdksecrets
