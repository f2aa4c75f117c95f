package vdksecrets

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// referenceDecode is what the binding did before decode.go: encoding/json with UseNumber, then
// the package's number types. decodeJSON must agree with it on every input it accepts.
func referenceDecode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errMalformed
	}
	return referenceNumbers(v), nil
}

func referenceNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if strings.ContainsAny(s, ".eE") {
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				return f
			}
			return x
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = referenceNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = referenceNumbers(e)
		}
	}
	return v
}

// What the decoder leaves to the library's own checks: raw control characters inside strings
// (refused by encoding/json) and invalid UTF-8 (replaced by encoding/json). Inputs holding
// either are compared only for not panicking.
func libraryWouldRefuse(b []byte) bool {
	if !utf8.Valid(b) {
		return true
	}
	for _, c := range b {
		if c < 0x20 && c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	// Whitespace characters inside strings are raw control characters too.
	inString := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '\\' && inString:
			i++
		case c == '"':
			inString = !inString
		case inString && c < 0x20:
			return true
		}
	}
	return false
}

var decodeCorpus = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1`, `-1`, `0.5`, `-0.0`, `1e3`, `1E+3`, `2.5e-3`, `5e-324`, `1.8e308`,
	`1e400`, `-1e400`, `9223372036854775807`, `-9223372036854775808`, `9223372036854775808`,
	`-9223372036854775809`, `18446744073709551615`, `18446744073709551616`, `123456789012345678901234567890`,
	`true`, `false`, `null`, `"a"`, `"\"\\\/\b\f\n\r\t"`, `"\u0000\u001f\u00e9\u20ac"`, `"\ud83d\ude00"`,
	`"\ud83d"`, `"\ude00"`, `"\ud83dx"`, `"\ud83d\u0041"`, `"\uD83D\uDE00"`, `"ünï €"`, `"😀"`,
	`{"a":1,"b":[true,false,null,"x",{"c":{}}],"d":{"e":[]}}`, ` { "a" : [ 1 , 2 ] } `, "\t\n\r[1]\n",
	`{"a":1,"a":2}`, `{"":""}`, `[[[[[[]]]]]]`,
	// malformed
	``, ` `, `{`, `}`, `[`, `]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[,1]`, `{,}`, `{"a":1 "b":2}`,
	`{a:1}`, `{"a":1} x`, `tru`, `nul`, `falsey`, `"unterminated`, `"\`, `"\x"`, `"\u12"`, `"\u12g4"`,
	`01`, `-`, `-a`, `1.`, `.5`, `1e`, `1e+`, `+1`, `0x10`, `--1`, `1.5.5`, `[1 2]`, `"a" "b"`,
	`{"a":[1,{"b":2]}`, `NaN`, `Infinity`,
}

func checkDecodeAgrees(t *testing.T, in []byte) {
	t.Helper()
	got, err := decodeJSON(in)
	if libraryWouldRefuse(in) {
		return
	}
	want, wantErr := referenceDecode(in)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("decodeJSON(%q): error %v, encoding/json: %v", in, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeJSON(%q) = %#v, encoding/json gives %#v", in, got, want)
	}
}

func TestDecodeAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range decodeCorpus {
		checkDecodeAgrees(t, []byte(in))
	}
}

// randomJSON writes a random document in random dress (whitespace, escapes, number forms).
func randomJSON(r *rand.Rand, depth int) string {
	space := func() string { return []string{"", "", "", " ", "\n", "\t "}[r.Intn(6)] }
	switch k := r.Intn(10); {
	case depth < 4 && k < 2:
		n := r.Intn(5)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = space() + randomString(r) + space() + ":" + space() + randomJSON(r, depth+1) + space()
		}
		return "{" + space() + strings.Join(parts, ",") + "}"
	case depth < 4 && k < 4:
		n := r.Intn(5)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = space() + randomJSON(r, depth+1) + space()
		}
		return "[" + space() + strings.Join(parts, ",") + "]"
	case k < 7:
		return randomString(r)
	case k < 9:
		return []string{"0", "-0", "7", "-42", "3.25", "-1e-7", "6.02E+23", "1e309", "9223372036854775807",
			"9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551616",
			strconv.FormatInt(r.Int63()-r.Int63(), 10), strconv.FormatFloat(r.NormFloat64()*1e10, 'g', -1, 64),
			strconv.FormatFloat(r.ExpFloat64(), 'e', -1, 64)}[r.Intn(16)]
	default:
		return []string{"true", "false", "null"}[r.Intn(3)]
	}
}

func randomString(r *rand.Rand) string {
	pieces := []string{"a", "key", "ü", "€", "😀", `\"`, `\\`, `\/`, `\n`, `\t`, `\u0000`, `\u00e9`, `\u20AC`,
		`\ud83d\ude00`, `\ud800`, " ", "x y"}
	var b strings.Builder
	b.WriteByte('"')
	for n := r.Intn(6); n > 0; n-- {
		b.WriteString(pieces[r.Intn(len(pieces))])
	}
	b.WriteByte('"')
	return b.String()
}

// 20,000 random documents, each also cut short and mutated at one byte: decodeJSON agrees with
// encoding/json on the value or on refusing, and never panics.
func TestDecodeRandomDocuments(t *testing.T) {
	r := rand.New(rand.NewSource(15))
	alphabet := []byte(`{}[]",:\-+.eE0159tfnu ` + "\x00\n\xff")
	for n := 0; n < 20000; n++ {
		doc := []byte(randomJSON(r, 0))
		checkDecodeAgrees(t, doc)
		if len(doc) > 1 {
			checkDecodeAgrees(t, doc[:r.Intn(len(doc))])
			mutated := append([]byte(nil), doc...)
			mutated[r.Intn(len(mutated))] = alphabet[r.Intn(len(alphabet))]
			checkDecodeAgrees(t, mutated)
		}
	}
}

// The strings of a canonical document are taken as they are, and escapes are decoded through
// a scratch buffer that is wiped afterwards.
func TestDecodeWipesItsScratch(t *testing.T) {
	d := decoder{b: []byte(`"` + strings.Repeat(`secret\n`, 100) + `"`)}
	v, ok := d.value(0)
	if !ok || v != strings.Repeat("secret\n", 100) {
		t.Fatalf("decoded %q, %v", v, ok)
	}
	scratch := d.scratch[:cap(d.scratch)]
	d.finish()
	for _, c := range scratch {
		if c != 0 {
			t.Fatal("the scratch buffer was not wiped")
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, in := range decodeCorpus {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkDecodeAgrees(t, in) })
}

// scalingDocument is a canonical map like benches/c/scaling_bench.c's: n secrets of PEM-like
// values (letters and digits, a "\n" escape every 64 characters).
func scalingDocument(n, valueLen int) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"secret-` + strconv.Itoa(100000 + i)[1:] + `":"`)
		for j := 0; j < valueLen; j++ {
			if j%64 == 63 {
				b.WriteString(`\n`)
			} else {
				b.WriteByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[(i+j)%62])
			}
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return []byte(b.String())
}

// BenchmarkDecode: the package's decoder against encoding/json into a map[string]any, over
// the same bytes (issue 15's comparison, without the call).
func BenchmarkDecode(b *testing.B) {
	for _, size := range []struct {
		name     string
		n, value int
	}{{"300B", 3, 80}, {"10KB", 100, 80}, {"100KB", 1000, 80}, {"1MB", 10000, 80}} {
		doc := scalingDocument(size.n, size.value)
		b.Run(size.name+"/binding", func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for i := 0; i < b.N; i++ {
				if m, err := decodeObject(doc); err != nil || len(m) != size.n {
					b.Fatal(err)
				}
			}
		})
		b.Run(size.name+"/encoding-json", func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for i := 0; i < b.N; i++ {
				var m map[string]any
				if err := json.Unmarshal(doc, &m); err != nil || len(m) != size.n {
					b.Fatal(err)
				}
			}
		})
	}
}
