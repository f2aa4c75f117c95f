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
// is called (the error wraps ctx.Err()).
//
// Cancelling the context ends a call in flight at once: the call goes through the library's
// asynchronous C ABI, the binding cancels it when ctx is done and waits for the cancelled
// completion, so the request is dropped (its connection closed), no retry is sent, and
// nothing is left behind. The error has StatusCancelled and matches both ErrCancelled and
// context.Canceled. A cancelled write may or may not have been applied by the service.
//
// A context that can never end (context.Background) has nothing to cancel: job-layer calls
// then block in C (a cached Get costs well under a microsecond), and Client calls too when no
// other Client call is in flight; with others in flight they go asynchronous, so that many
// concurrent calls do not each hold an OS thread.
//
// A context deadline bounds the call inside the library, retries and token exchange
// included: the remaining time, rounded up to the next millisecond, replaces
// control_http_deadline_seconds for that call; such a call that runs out of time fails with
// StatusNetwork and its error also matches context.DeadlineExceeded.
//
// A context that can never end (Done returns nil, as for context.Background) has nothing to
// cancel and makes the cheaper blocking call instead: a cached JobSecrets.Get costs well under
// a microsecond that way, tens of microseconds through the asynchronous path.
//
// # Logs
//
// SetLogger routes the library's log records to a log/slog Logger, process-wide.
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
// sentinels (ErrNotFound, ErrNetwork, ...; ErrClosed for a closed Client or JobSecrets). OpID
// and Attempts tell which operation id the call sent as X-OPID and how many requests it made,
// to find the failure in the Control Service's logs. No error text holds a secret value or a
// token.
//
// # Memory
//
// Close releases a Client or JobSecrets; it is idempotent and never waits: calls in flight
// finish, the library object is freed once no call is inside the C library with it, and later
// calls fail with ErrClosed. A value
// dropped without Close is released by the garbage collector as a safety net. Buffers this
// package builds to carry secret values or the API token are wiped after use, and the
// library wipes the strings it returns when they are released; Go strings (the secret values
// the caller passes in or gets back) cannot be wiped.
package vdksecrets
