package vdksecrets

import (
	"fmt"
	"strconv"
	"strings"
)

// Status is the status of a failed call, with the numbers of the C ABI's VdkStatus.
type Status uint32

// The statuses of the C ABI (VDK_STATUS_*). The numbers are part of the ABI.
const (
	StatusOK              Status = 0
	StatusInvalidArgument Status = 1  // bad argument, bad name, unknown or ill-typed configuration key
	StatusConfiguration   Status = 2  // missing REST API URL, unreadable CA bundle, no or unknown backend
	StatusAuthentication  Status = 3  // 401/403 after one forced token refresh; token exchange rejected
	StatusNotFound        Status = 4  // 404: job or team unknown
	StatusUserError       Status = 5  // any other 4xx, including 413 (too large)
	StatusServiceError    Status = 6  // 5xx (including 501) after retries
	StatusNetwork         Status = 7  // DNS, connect, TLS, timeout, dropped connection, after retries
	StatusProtocol        Status = 8  // malformed or oversized response body
	StatusCancelled       Status = 9  // the context ended the call (a cancelled write may or may not have been applied)
	StatusPanic           Status = 99 // a bug caught at the library's boundary
)

var statusNames = map[Status]string{
	StatusOK:              "OK",
	StatusInvalidArgument: "INVALID_ARGUMENT",
	StatusConfiguration:   "CONFIGURATION",
	StatusAuthentication:  "AUTHENTICATION",
	StatusNotFound:        "NOT_FOUND",
	StatusUserError:       "USER_ERROR",
	StatusServiceError:    "SERVICE_ERROR",
	StatusNetwork:         "NETWORK",
	StatusProtocol:        "PROTOCOL",
	StatusCancelled:       "CANCELLED",
	StatusPanic:           "PANIC",
}

// String returns the C name without its VDK_STATUS_ prefix, e.g. "NOT_FOUND".
func (s Status) String() string {
	if name, ok := statusNames[s]; ok {
		return name
	}
	return "STATUS_" + strconv.FormatUint(uint64(s), 10)
}

// Error is the error of every failed call of this package (context errors aside: a call
// refused because its context was already done returns the context's error, wrapped).
//
// The texts come from the library, which guarantees they hold no secret value and no token;
// this package adds none. Use errors.Is with the sentinels (ErrNotFound, ...) to test the
// status, errors.As to read the details.
type Error struct {
	Status          Status // what kind of failure
	HTTPStatus      int    // HTTP status of the answer that caused it; 0 when there was none
	Retryable       bool   // whether repeating the same call later may succeed
	Message         string // one line, "what: why"
	What            string // what failed
	Why             string // why it failed
	Consequences    string // what the failure means for the caller (was anything written?)
	Countermeasures string // what to do about it
	OpID            string // the operation id the call sent as X-OPID (in the Control Service's logs); "" when it sent no request
	Attempts        int    // requests the call sent, token exchanges and retries included; 0 when it sent none

	closed bool  // the handle was closed: errors.Is(err, ErrClosed)
	cause  error // the context's error when the context ended during the call
}

// Error returns the status and the library's one-line message, e.g.
// "vdksecrets: NOT_FOUND (HTTP 404): Failed to read secrets: ...".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("vdksecrets: ")
	b.WriteString(e.Status.String())
	if e.HTTPStatus != 0 {
		b.WriteString(" (HTTP ")
		b.WriteString(strconv.Itoa(e.HTTPStatus))
		b.WriteString(")")
	}
	msg := e.Message
	if msg == "" && (e.What != "" || e.Why != "") {
		msg = e.What + ": " + e.Why
	}
	if msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	return b.String()
}

// Is reports whether target is the sentinel of e's status (or ErrClosed for a closed handle).
func (e *Error) Is(target error) bool {
	s, ok := target.(*sentinel)
	if !ok {
		return false
	}
	if s == ErrClosed {
		return e.closed
	}
	return s.status == e.Status
}

// Unwrap returns the context's error (context.DeadlineExceeded or context.Canceled) when the
// context ended while the call was running, so errors.Is(err, context.Canceled) holds for a
// cancelled call and errors.Is(err, context.DeadlineExceeded) for one cut short by its
// deadline; nil otherwise.
func (e *Error) Unwrap() error { return e.cause }

// sentinel is the type of ErrNotFound and the others: a status to compare against, never
// returned itself.
type sentinel struct {
	status Status
	text   string
}

func (s *sentinel) Error() string { return s.text }

// Sentinels for errors.Is: errors.Is(err, ErrNotFound) holds when err is an *Error of status
// StatusNotFound, and so on for every status.
var (
	ErrInvalidArgument error = &sentinel{StatusInvalidArgument, "vdksecrets: invalid argument"}
	ErrConfiguration   error = &sentinel{StatusConfiguration, "vdksecrets: configuration error"}
	ErrAuthentication  error = &sentinel{StatusAuthentication, "vdksecrets: authentication failed"}
	ErrNotFound        error = &sentinel{StatusNotFound, "vdksecrets: not found"}
	ErrUserError       error = &sentinel{StatusUserError, "vdksecrets: user error"}
	ErrServiceError    error = &sentinel{StatusServiceError, "vdksecrets: service error"}
	ErrNetwork         error = &sentinel{StatusNetwork, "vdksecrets: network error"}
	ErrProtocol        error = &sentinel{StatusProtocol, "vdksecrets: protocol error"}
	ErrCancelled       error = &sentinel{StatusCancelled, "vdksecrets: call cancelled"}
	ErrPanic           error = &sentinel{StatusPanic, "vdksecrets: internal error in the library"}

	// ErrClosed: the Client or JobSecrets was closed. Such errors are *Error values of status
	// StatusInvalidArgument, so errors.Is(err, ErrInvalidArgument) holds for them too.
	ErrClosed error = &sentinel{StatusInvalidArgument, "vdksecrets: use of a closed handle"}
)

// invalidArgument builds the binding's own argument errors, in the library's style. The texts
// name the argument and never quote its value.
func invalidArgument(what, why string) *Error {
	return &Error{
		Status:          StatusInvalidArgument,
		Message:         what + ": " + why,
		What:            what,
		Why:             why,
		Consequences:    "Nothing was sent to the Control Service.",
		Countermeasures: "Fix the argument and call again.",
	}
}

func closedError(op, kind string) *Error {
	e := invalidArgument("Cannot "+op, "the "+kind+" was closed")
	e.Countermeasures = "Create a new " + kind + "; Close only after the last call."
	e.closed = true
	return e
}

// contextError wraps the error of a context that was done before the call started.
func contextError(op string, err error) error {
	return fmt.Errorf("vdksecrets: %s refused before calling the library: %w", op, err)
}
