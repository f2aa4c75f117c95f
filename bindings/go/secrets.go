package vdksecrets

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sort"
	"strings"
)

// Secrets is a job's secrets as reads return them (Client.ReadSecrets, JobSecrets.GetAll):
// secret names and their values, read-only. The zero Secrets is empty.
//
// Printing never shows a value. Every fmt verb (%v, %+v, %#v, %s, %q, %x, ...), also when the
// Secrets sits in a struct, slice, map or pointer, slog (LogValue) and json.Marshal show the
// names with every value replaced by "***": {"api-key": "sk-1", "db": {"password": "pw"},
// "hosts": ["a", "b"]} prints as
//
//	map[api-key:*** db:map[password:***] hosts:[*** ***]]
//
// Names, the names inside nested objects and the length of arrays are shown, since they are
// not secret and they make logs useful; every string, number, boolean and null is masked, at
// any depth.
//
// json.Marshal masks too, on purpose: structured loggers and error reporters (logrus, zap's
// reflection fallback, slog handlers given a plain value, crash reporters) serialise the
// values they are handed with encoding/json, so an unmasked MarshalJSON would put secrets in
// logs one careless field away. To serialise the values, ask for them explicitly: Map (then
// json.Marshal that), GetJSON for one value, or Client.ReadSecretsJSON. The binding's own
// writes (WriteSecrets, SetAll, Set) encode a Secrets found among their values in full.
//
// Values are reached through typed getters: GetString, GetInt64, GetFloat64, GetBool and
// GetJSON return an error matching ErrNotSet when the name is not set, and a *TypeError when
// the value has another type; Lookup returns any value as the package decodes values
// (string, bool, nil, int64, uint64, float64, map[string]any, []any), as a copy. Names, Len
// and Has describe the map.
type Secrets struct {
	// The values are reachable only through a closure. Reflection cannot look inside a func,
	// so code that prints by reflection without calling our methods (fmt on an unexported
	// struct field, go-spew and the assertion libraries built on it, %!verb(...) fallbacks)
	// sees a function pointer, never the map.
	values func() map[string]any
}

// newSecrets adopts m, which nobody else references.
func newSecrets(m map[string]any) Secrets {
	return Secrets{values: func() map[string]any { return m }}
}

func (s Secrets) m() map[string]any {
	if s.values == nil {
		return nil
	}
	return s.values()
}

// Len returns the number of secrets.
func (s Secrets) Len() int { return len(s.m()) }

// Names returns the names of the secrets, sorted.
func (s Secrets) Names() []string {
	m := s.m()
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Has reports whether secret name is set (to any value, null included).
func (s Secrets) Has(name string) bool {
	_, ok := s.m()[name]
	return ok
}

// Lookup returns a copy of the value of secret name and true, or nil and false when it is not
// set. A secret set to JSON null returns nil and true. Types as the package documentation
// describes: string, bool, nil, int64, uint64, float64, map[string]any, []any. The value is
// the caller's, and it prints as any Go value does: unmasked.
func (s Secrets) Lookup(name string) (any, bool) {
	v, ok := s.m()[name]
	if !ok {
		return nil, false
	}
	return deepCopy(v), true
}

// GetString returns the value of secret name, which must be a JSON string.
func (s Secrets) GetString(name string) (string, error) {
	v, err := s.get(name)
	if err != nil {
		return "", err
	}
	str, ok := v.(string)
	if !ok {
		return "", typeError(name, "a string", v)
	}
	return str, nil
}

// GetInt64 returns the value of secret name, which must be a JSON integer in the int64 range
// (a number with a fraction or an exponent, such as 2.0, is a float and refused).
func (s Secrets) GetInt64(name string) (int64, error) {
	v, err := s.get(name)
	if err != nil {
		return 0, err
	}
	switch n := v.(type) {
	case int64:
		return n, nil
	case uint64:
		return 0, &TypeError{Name: name, Want: "an integer in the int64 range", Got: "an integer above math.MaxInt64"}
	default:
		return 0, typeError(name, "an integer", v)
	}
}

// GetFloat64 returns the value of secret name, which must be a JSON number. Integers are
// converted; those beyond 2^53 may lose precision, as float64(n) does.
func (s Secrets) GetFloat64(name string) (float64, error) {
	v, err := s.get(name)
	if err != nil {
		return 0, err
	}
	switch n := v.(type) {
	case float64:
		return n, nil
	case int64:
		return float64(n), nil
	case uint64:
		return float64(n), nil
	default:
		return 0, typeError(name, "a number", v)
	}
}

// GetBool returns the value of secret name, which must be a JSON boolean.
func (s Secrets) GetBool(name string) (bool, error) {
	v, err := s.get(name)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, typeError(name, "a boolean", v)
	}
	return b, nil
}

// GetJSON returns the value of secret name as compact JSON (object keys sorted, floats with a
// fraction or an exponent), whatever its type. The slice is the caller's.
func (s Secrets) GetJSON(name string) (json.RawMessage, error) {
	v, err := s.get(name)
	if err != nil {
		return nil, err
	}
	b, err := appendJSON(nil, v, 0)
	if err != nil {
		// Decoded values always encode; this would be a bug in the package.
		return nil, &TypeError{Name: name, Want: "a value that encodes as JSON", Got: "one that does not"}
	}
	return b, nil
}

// Map returns an unmasked copy of all secrets: a plain map[string]any that prints, logs and
// marshals every value as is. Use it to hand the values to code that needs a map; never log it.
func (s Secrets) Map() map[string]any {
	m := s.m()
	out := make(map[string]any, len(m))
	for name, v := range m {
		out[name] = deepCopy(v)
	}
	return out
}

// Equal reports whether s and other hold the same names with the same values (and types:
// int64(2) differs from 2.0). A Secrets cannot be compared with == or reflect.DeepEqual, which
// see only its closure; go-cmp uses this method.
func (s Secrets) Equal(other Secrets) bool {
	if s.Len() == 0 || other.Len() == 0 {
		return s.Len() == other.Len()
	}
	return reflect.DeepEqual(s.m(), other.m())
}

func (s Secrets) get(name string) (any, error) {
	v, ok := s.m()[name]
	if !ok {
		return nil, &notSetError{name: name}
	}
	return v, nil
}

// ErrNotSet is matched (errors.Is) by the error a Secrets getter returns for a name that is
// not set.
var ErrNotSet = errors.New("vdksecrets: secret not set")

type notSetError struct{ name string }

func (e *notSetError) Error() string        { return fmt.Sprintf("vdksecrets: secret %q is not set", e.name) }
func (e *notSetError) Is(target error) bool { return target == ErrNotSet }

// TypeError is the error a Secrets getter returns when the secret holds a value of another
// type. It names the secret and the types, never the value.
type TypeError struct {
	Name string // the secret
	Want string // what the getter returns, e.g. "a string"
	Got  string // what the secret holds, e.g. "a number"
}

func (e *TypeError) Error() string {
	return fmt.Sprintf("vdksecrets: secret %q is %s, not %s", e.Name, e.Got, e.Want)
}

func typeError(name, want string, v any) *TypeError {
	return &TypeError{Name: name, Want: want, Got: kindOf(v)}
}

// kindOf names the JSON kind of a decoded value, for error texts.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, uint64:
		return "an integer"
	case float64:
		return "a float"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	default:
		return "a number"
	}
}

// deepCopy copies the maps and slices of a decoded value, so the caller cannot change the
// Secrets through them.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}

// mask is the masked shape of a decoded value: objects keep their keys, arrays their length,
// every other value becomes "***".
func mask(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = mask(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = mask(e)
		}
		return out
	default:
		return masked
	}
}

const masked = "***"

func (s Secrets) masked() map[string]any {
	m := s.m()
	out := make(map[string]any, len(m))
	for name, v := range m {
		out[name] = mask(v)
	}
	return out
}

// String returns the names with every value masked, as %v prints them.
func (s Secrets) String() string { return fmt.Sprint(s.masked()) }

// GoString returns the masked form as %#v prints it.
func (s Secrets) GoString() string {
	return "vdksecrets.Secrets(" + fmt.Sprintf("%#v", s.masked()) + ")"
}

// Format prints the masked form for every verb, so that no verb (%x, %q, %d, width and
// precision included) reaches a value.
func (s Secrets) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	if !strings.ContainsRune("vsqxX", verb) {
		verb = 'v' // %d, %f, ... would print %!d(string=***) for every entry
	}
	// Rebuild the verb with its flags, width and precision, and apply it to the masked map.
	var spec strings.Builder
	spec.WriteByte('%')
	for _, flag := range "+-# 0" {
		if f.Flag(int(flag)) {
			spec.WriteRune(flag)
		}
	}
	if w, ok := f.Width(); ok {
		fmt.Fprint(&spec, w)
	}
	if p, ok := f.Precision(); ok {
		fmt.Fprintf(&spec, ".%d", p)
	}
	spec.WriteRune(verb)
	fmt.Fprintf(f, spec.String(), s.masked())
}

// LogValue makes slog log the names with masked values: a group of name=*** attributes
// (nested objects as nested groups).
func (s Secrets) LogValue() slog.Value { return logValue(s.masked()) }

func logValue(v any) slog.Value {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		attrs := make([]slog.Attr, 0, len(x))
		for _, k := range keys {
			attrs = append(attrs, slog.Attr{Key: k, Value: logValue(x[k])})
		}
		return slog.GroupValue(attrs...)
	case []any:
		return slog.AnyValue(x) // only "***" strings, nested maps and slices of them
	default:
		return slog.StringValue(masked)
	}
}

// MarshalJSON encodes the names with masked values ({"api-key":"***"}); see the type's
// documentation for why. Map or GetJSON give the values.
func (s Secrets) MarshalJSON() ([]byte, error) {
	return appendJSON(nil, s.masked(), 0)
}
