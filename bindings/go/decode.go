package vdksecrets

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// The decoder of the JSON the library returns (reads, GetAll, Get), in place of encoding/json.
//
// The library hands out canonical JSON (README, "Canonical JSON"): compact, keys sorted, no
// escapes but the seven short ones and \u00XX for other control characters, and it has already
// checked that the text is valid UTF-8 with no raw control character inside strings. So this
// decoder finds the end of a string with a vectorised search for the quote (bytes.IndexByte)
// and takes its bytes as they are, instead of running encoding/json's byte-at-a-time scanner
// and then a second pass to convert json.Number values. It still checks the structure fully
// (any malformed input is errMalformed, never a panic), accepts whitespace and every JSON
// escape (surrogate pairs included; a lone surrogate becomes U+FFFD, as encoding/json does),
// and gives numbers the package's types: int64, uint64 above math.MaxInt64, float64 for a
// fraction or an exponent, json.Number for what fits none of them.
//
// It reads the library's string in C memory directly: no copy of the whole document is made
// in Go memory. The one buffer of its own, for strings with escapes, is wiped when done.

// decoder walks one JSON text.
type decoder struct {
	b       []byte
	i       int
	scratch []byte // unescaped string bytes, reused; wiped by finish
}

// maxDecodeDepth bounds recursion on input that is not the library's (which refuses more
// than 128 levels).
const maxDecodeDepth = 10000

// decodeJSON decodes one JSON value that makes up all of b.
func decodeJSON(b []byte) (any, error) {
	d := decoder{b: b}
	defer d.finish()
	d.skipSpace()
	v, ok := d.value(0)
	if !ok {
		return nil, errMalformed
	}
	d.skipSpace()
	if d.i != len(d.b) {
		return nil, errMalformed
	}
	return v, nil
}

func (d *decoder) finish() {
	wipe(d.scratch[:cap(d.scratch)])
}

func (d *decoder) skipSpace() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) value(depth int) (any, bool) {
	if d.i >= len(d.b) || depth > maxDecodeDepth {
		return nil, false
	}
	switch c := d.b[d.i]; c {
	case '{':
		return d.object(depth)
	case '[':
		return d.array(depth)
	case '"':
		s, ok := d.str()
		return s, ok
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return d.number()
		}
		return nil, false
	}
}

func (d *decoder) literal(word string) bool {
	if len(d.b)-d.i < len(word) || string(d.b[d.i:d.i+len(word)]) != word {
		return false
	}
	d.i += len(word)
	return true
}

func (d *decoder) object(depth int) (any, bool) {
	d.i++ // '{'
	m := map[string]any{}
	d.skipSpace()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return m, true
	}
	for {
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return nil, false
		}
		key, ok := d.str()
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return nil, false
		}
		d.i++
		d.skipSpace()
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		m[key] = v
		if done, ok := d.afterElement('}'); !ok {
			return nil, false
		} else if done {
			return m, true
		}
	}
}

// afterElement consumes what follows an object member or an array element: a comma (more to
// come, done false) or the closer (done true). Anything else is malformed (ok false).
func (d *decoder) afterElement(closer byte) (done, ok bool) {
	d.skipSpace()
	if d.i >= len(d.b) {
		return false, false
	}
	switch d.b[d.i] {
	case ',':
		d.i++
		d.skipSpace()
		return false, true
	case closer:
		d.i++
		return true, true
	}
	return false, false
}

func (d *decoder) array(depth int) (any, bool) {
	d.i++ // '['
	a := []any{}
	d.skipSpace()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return a, true
	}
	for {
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if done, ok := d.afterElement(']'); !ok {
			return nil, false
		} else if done {
			return a, true
		}
	}
}

// str decodes the string starting at d.b[d.i] == '"'.
func (d *decoder) str() (string, bool) {
	start := d.i + 1
	end := bytes.IndexByte(d.b[start:], '"')
	if end < 0 {
		return "", false
	}
	end += start
	if bytes.IndexByte(d.b[start:end], '\\') < 0 {
		d.i = end + 1
		return string(d.b[start:end]), true
	}
	return d.escaped(start)
}

// escaped decodes a string holding escapes, from its first byte at start, through scratch.
func (d *decoder) escaped(start int) (string, bool) {
	d.scratch = d.scratch[:0]
	i := start
	quote := -1 // the next quote at or after i: the string's end unless escaped
	for {
		if quote < i {
			q := bytes.IndexByte(d.b[i:], '"')
			if q < 0 {
				return "", false
			}
			quote = i + q
		}
		bs := bytes.IndexByte(d.b[i:quote], '\\')
		if bs < 0 {
			d.put(d.b[i:quote]...)
			d.i = quote + 1
			return string(d.scratch), true
		}
		j := i + bs
		d.put(d.b[i:j]...)
		// d.b[j] is a backslash before the quote, so d.b[j+1] exists.
		i = j + 2
		switch d.b[j+1] {
		case '"', '\\', '/':
			d.put(d.b[j+1])
		case 'b':
			d.put('\b')
		case 'f':
			d.put('\f')
		case 'n':
			d.put('\n')
		case 'r':
			d.put('\r')
		case 't':
			d.put('\t')
		case 'u':
			r, ok := hex4(d.b[i:])
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				// A pair makes one rune; anything else leaves U+FFFD, as encoding/json does.
				r2, ok2 := rune(-1), false
				if len(d.b)-i >= 6 && d.b[i] == '\\' && d.b[i+1] == 'u' {
					r2, ok2 = hex4(d.b[i+2:])
				}
				if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			var enc [utf8.UTFMax]byte
			d.put(enc[:utf8.EncodeRune(enc[:], r)]...)
		default:
			return "", false
		}
	}
}

// put appends to scratch. It grows scratch itself, so that no outgrown buffer holding secret
// bytes is left to the garbage collector unwiped.
func (d *decoder) put(p ...byte) {
	if len(d.scratch)+len(p) > cap(d.scratch) {
		grown := make([]byte, len(d.scratch), 2*cap(d.scratch)+len(p)+64)
		copy(grown, d.scratch)
		wipe(d.scratch[:cap(d.scratch)])
		d.scratch = grown
	}
	d.scratch = append(d.scratch, p...)
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number decodes a JSON number (checking its grammar) into the package's number types.
func (d *decoder) number() (any, bool) {
	b, start := d.b, d.i
	i := start
	neg := b[i] == '-'
	if neg {
		i++
	}
	// Integer part: 0, or a digit 1-9 followed by digits. Accumulate it while it fits.
	digitsStart := i
	var u uint64
	fits := true
	if i < len(b) && b[i] == '0' {
		i++
	} else {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if u > (1<<64-1)/10 || u*10 > 1<<64-1-uint64(b[i]-'0') {
				fits = false
			}
			u = u*10 + uint64(b[i]-'0')
			i++
		}
		if i == digitsStart {
			return nil, false
		}
	}
	isFloat := false
	if i < len(b) && b[i] == '.' {
		isFloat = true
		i++
		n := i
		if i = digitsEnd(b, i); i == n {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isFloat = true
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		n := i
		if i = digitsEnd(b, i); i == n {
			return nil, false
		}
	}
	d.i = i
	text := b[start:i]
	if isFloat {
		// The text is only read during the call (on success ParseFloat keeps nothing).
		if f, err := strconv.ParseFloat(unsafe.String(&text[0], len(text)), 64); err == nil {
			return f, true
		}
		return json.Number(string(text)), true
	}
	switch {
	case !fits:
	case !neg && u <= 1<<63-1:
		return int64(u), true
	case !neg:
		return u, true
	case u <= 1<<63:
		return -int64(u-1) - 1, true
	}
	return json.Number(string(text)), true
}

// digitsEnd is the index after the run of ASCII digits that starts at i.
func digitsEnd(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
