package vdksecrets

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Values cross the C ABI as JSON. This file encodes Go values to JSON and decodes the
// library's JSON back so that values round-trip exactly:
//
//   - integers decode to int64, or uint64 above math.MaxInt64 (2^60 stays an exact integer);
//   - numbers with a fraction or an exponent decode to float64, and float64/float32 values
//     always encode with a fraction or an exponent (2.0 is sent as 2.0, not 2), so floats
//     stay floats;
//   - strings, booleans and null decode to string, bool and nil; objects to map[string]any,
//     arrays to []any, at any depth.
//
// Encoding accepts those types, every Go integer and float type, json.Number,
// json.RawMessage, map[string]string, []string, and, through encoding/json, anything else
// encoding/json accepts (structs, typed maps and slices, json.Marshaler); for the latter,
// encoding/json's rules apply (a float64 field holding 2.0 is sent as 2).

// maxDepth bounds nesting when encoding, so a cyclic map is refused instead of recursing
// forever. The library itself refuses JSON nested deeper than 128 levels.
const maxDepth = 1000

var errDepth = errors.New("nested too deeply (or cyclic)")

// encodeError is a failure to encode a value; its text never holds the value.
type encodeError struct{ why string }

func (e *encodeError) Error() string { return e.why }

// appendJSON appends v as JSON to buf.
func appendJSON(buf []byte, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return buf, errDepth
	}
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		return appendString(buf, x)
	case bool:
		return strconv.AppendBool(buf, x), nil
	case int:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case uint:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(buf, x, 10), nil
	case uintptr:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case float64:
		return appendFloat(buf, x, 64)
	case float32:
		return appendFloat(buf, float64(x), 32)
	case json.Number:
		if !isJSONNumber(string(x)) {
			return buf, &encodeError{"a json.Number is not a valid JSON number"}
		}
		return append(buf, x...), nil
	case json.RawMessage:
		if !json.Valid(x) {
			return buf, &encodeError{"a json.RawMessage is not valid JSON"}
		}
		return append(buf, x...), nil
	case map[string]any:
		return appendObject(buf, sortedKeys(x), func(k string) any { return x[k] }, depth)
	case Secrets:
		// In full: its MarshalJSON masks, and a write must store the values, not "***".
		m := x.m()
		return appendObject(buf, sortedKeys(m), func(k string) any { return m[k] }, depth)
	case *Secrets:
		if x == nil {
			return append(buf, "null"...), nil
		}
		return appendJSON(buf, *x, depth)
	case map[string]string:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return appendObject(buf, keys, func(k string) any { return x[k] }, depth)
	case []any:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = appendJSON(buf, e, depth+1); err != nil {
				return buf, err
			}
		}
		return append(buf, ']'), nil
	case []string:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = appendString(buf, e); err != nil {
				return buf, err
			}
		}
		return append(buf, ']'), nil
	default:
		// Structs, typed maps and slices, pointers, json.Marshaler: encoding/json's rules.
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Func || rv.Kind() == reflect.Chan ||
			rv.Kind() == reflect.Complex64 || rv.Kind() == reflect.Complex128 {
			return buf, &encodeError{"a value of type " + rv.Type().String() + " cannot be encoded as JSON"}
		}
		b, err := json.Marshal(v)
		if err != nil {
			var unsupported *json.UnsupportedValueError
			if errors.As(err, &unsupported) {
				return buf, &encodeError{"a value cannot be encoded as JSON (NaN, infinity or a cycle)"}
			}
			// encoding/json's messages name types, never values.
			return buf, &encodeError{"a value cannot be encoded as JSON: " + typeOnly(err)}
		}
		return append(buf, b...), nil
	}
}

// typeOnly keeps encoding/json's error text only for the error types that name types alone.
func typeOnly(err error) string {
	var ute *json.UnsupportedTypeError
	if errors.As(err, &ute) {
		return ute.Error()
	}
	var me *json.MarshalerError
	if errors.As(err, &me) {
		return "a MarshalJSON method of type " + me.Type.String() + " failed"
	}
	return "encoding/json refused it"
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// appendObject appends a JSON object of the given keys, in their order.
func appendObject(buf []byte, keys []string, get func(string) any, depth int) ([]byte, error) {
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = appendString(buf, k); err != nil {
			return buf, err
		}
		buf = append(buf, ':')
		if buf, err = appendJSON(buf, get(k), depth+1); err != nil {
			return buf, err
		}
	}
	return append(buf, '}'), nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 is refused: encoding/json would
// replace it with U+FFFD, and the value would not round-trip.
func appendString(buf []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return buf, &encodeError{"a string is not valid UTF-8"}
	}
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"'), nil
}

// appendFloat writes a float so that it reads back as a float: with a fraction or an exponent.
func appendFloat(buf []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return buf, &encodeError{"NaN and infinite numbers cannot be encoded as JSON"}
	}
	start := len(buf)
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	buf = strconv.AppendFloat(buf, f, format, -1, bits)
	if format == 'e' {
		// Shorten e-09 to e-9, as encoding/json does.
		n := len(buf)
		if n-start >= 4 && buf[n-4] == 'e' && buf[n-3] == '-' && buf[n-2] == '0' {
			buf[n-2] = buf[n-1]
			buf = buf[:n-1]
		}
		return buf, nil
	}
	if bytes.IndexByte(buf[start:], '.') < 0 {
		buf = append(buf, '.', '0')
	}
	return buf, nil
}

// isJSONNumber reports whether s is a JSON number.
func isJSONNumber(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	if s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// decodeValue decodes one JSON value of the library (decode.go).
func decodeValue(b []byte) (any, error) {
	return decodeJSON(b)
}

// decodeObject decodes a JSON object of the library.
func decodeObject(b []byte) (map[string]any, error) {
	v, err := decodeValue(b)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errMalformed
	}
	return m, nil
}

var errMalformed = errors.New("the library returned malformed JSON")
