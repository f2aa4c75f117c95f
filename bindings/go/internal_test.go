package vdksecrets

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

func TestAppendJSON(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{nil, `null`},
		{"a\"b\\c\n\r\t\x00\x1f é 🔑", `"a\"b\\c\n\r\t\u0000\u001f é 🔑"`},
		{true, `true`},
		{int64(1) << 60, `1152921504606846976`},
		{uint64(math.MaxUint64), `18446744073709551615`},
		{int8(-5), `-5`},
		{2.0, `2.0`},
		{-0.0 * -1, `0.0`},
		{math.Copysign(0, -1), `-0.0`},
		{0.1, `0.1`},
		{1e21, `1e+21`},
		{1e20, `100000000000000000000.0`},
		{1e-7, `1e-7`},
		{5e-324, `5e-324`},
		{float32(1.5), `1.5`},
		{float32(3), `3.0`},
		{json.Number("-1.5e3"), `-1.5e3`},
		{json.RawMessage(`{"a":1}`), `{"a":1}`},
		{map[string]any{"b": 1, "a": []any{"x", nil}}, `{"a":["x",null],"b":1}`},
		{map[string]string{"k": "v"}, `{"k":"v"}`},
		{[]string{"a"}, `["a"]`},
		{struct {
			A int `json:"a"`
		}{1}, `{"a":1}`},
	}
	for _, tc := range cases {
		got, err := appendJSON(nil, tc.in, 0)
		if err != nil || string(got) != tc.want {
			t.Errorf("appendJSON(%#v) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
		if !json.Valid(got) {
			t.Errorf("appendJSON(%#v) = %s is not valid JSON", tc.in, got)
		}
	}
	cyclic := map[string]any{}
	cyclic["c"] = cyclic
	for _, bad := range []any{math.NaN(), math.Inf(-1), "\xff", cyclic, json.Number("1e"), json.RawMessage(`{`), make(chan int), complex(1, 2), func() {}} {
		if _, err := appendJSON(nil, bad, 0); err == nil {
			t.Errorf("appendJSON(%T) succeeded", bad)
		}
	}
}

func TestFloatsRoundTripThroughOurCodec(t *testing.T) {
	for _, f := range []float64{0.1, 1.0 / 3, math.Pi, 1e21, 1e-7, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64, -2.5e-300} {
		b, err := appendFloat(nil, f, 64)
		if err != nil {
			t.Fatal(err)
		}
		v, err := decodeValue(b)
		if err != nil || v != f {
			t.Errorf("%v -> %s -> %v (%T), %v", f, b, v, v, err)
		}
	}
}

func TestDecodeValue(t *testing.T) {
	cases := []struct {
		in   string
		want any
	}{
		{`"plain"`, "plain"},
		{`"esc\"aped\u0000"`, "esc\"aped\x00"},
		{`"ünï"`, "ünï"},
		{`true`, true},
		{`false`, false},
		{`null`, nil},
		{`42`, int64(42)},
		{`-9223372036854775808`, int64(math.MinInt64)},
		{`9223372036854775808`, uint64(1) << 63},
		{`18446744073709551616`, json.Number("18446744073709551616")},
		{`2.0`, 2.0},
		{`1e3`, 1000.0},
		{`{"a":[1,2.5,{"b":1152921504606846976}]}`, map[string]any{"a": []any{int64(1), 2.5, map[string]any{"b": int64(1) << 60}}}},
		{`[1,"x"]`, []any{int64(1), "x"}},
	}
	for _, tc := range cases {
		got, err := decodeValue([]byte(tc.in))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("decodeValue(%s) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{``, `{`, `{"a":1} x`, `tru`, `"unterminated`, `01`} {
		if v, err := decodeValue([]byte(bad)); err == nil {
			t.Errorf("decodeValue(%q) = %#v, want an error", bad, v)
		}
	}
	if _, err := decodeObject([]byte(`[1]`)); err == nil {
		t.Error("decodeObject of an array succeeded")
	}
}

func TestTimeoutMillis(t *testing.T) {
	for remaining, want := range map[time.Duration]uint32{
		time.Nanosecond:         1,
		999 * time.Microsecond:  1,
		time.Millisecond:        1,
		time.Millisecond + 1:    2,
		1500 * time.Microsecond: 2,
		250 * time.Millisecond:  250,
		100 * 24 * time.Hour:    math.MaxUint32,
		time.Duration(math.MaxUint32+1) * time.Millisecond: math.MaxUint32,
	} {
		if got := timeoutMillis(remaining); got != want {
			t.Errorf("timeoutMillis(%v) = %d, want %d", remaining, got, want)
		}
	}
}

func TestTimeoutFor(t *testing.T) {
	if ms, err := timeoutFor(context.Background(), "op"); err != nil || ms != 0 {
		t.Errorf("no deadline: %v, %v", ms, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if ms, err := timeoutFor(ctx, "op"); err != nil || ms < 59_000 || ms > 60_000 {
		t.Errorf("a minute: %v, %v", ms, err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 100*24*time.Hour)
	defer cancel()
	if ms, err := timeoutFor(ctx, "op"); err != nil || ms != math.MaxUint32 {
		t.Errorf("100 days: %v, %v", ms, err)
	}
}

func TestHandleFreesOnceAfterTheLastCall(t *testing.T) {
	var frees atomic.Int32
	var inCall atomic.Int32
	h := newHandle(unsafe.Pointer(new(int)), func(unsafe.Pointer) {
		if inCall.Load() != 0 {
			t.Error("freed while a call was in flight")
		}
		frees.Add(1)
	})
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				if _, ok := h.acquire(); !ok {
					return
				}
				inCall.Add(1)
				runtime.Gosched()
				inCall.Add(-1)
				h.release()
			}
		}()
	}
	time.Sleep(time.Millisecond)
	closers := make(chan bool, 4)
	for i := 0; i < 4; i++ {
		go func() { closers <- h.close() }()
	}
	first := 0
	for i := 0; i < 4; i++ {
		if <-closers {
			first++
		}
	}
	wg.Wait()
	if first != 1 {
		t.Errorf("%d closes reported closing the handle", first)
	}
	if frees.Load() != 1 {
		t.Errorf("freed %d times", frees.Load())
	}
	if _, ok := h.acquire(); ok {
		t.Error("acquire after close succeeded")
	}
}

// A Client or JobSecrets dropped without Close is freed by the garbage collector.
func TestDroppedHandlesAreFreed(t *testing.T) {
	c, err := NewClient(Config{RestAPIURL: "http://127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	ch := c.h
	s, err := NewJobSecrets("dropped", "team", Config{SecretsDefaultType: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	sh := s.h
	c, s = nil, nil
	_, _ = c, s
	deadline := time.Now().Add(5 * time.Second)
	for !(ch.freed.Load() && sh.freed.Load()) && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if !ch.freed.Load() || !sh.freed.Load() {
		t.Fatalf("dropped handles not freed: client %v, job secrets %v", ch.freed.Load(), sh.freed.Load())
	}
}

// Close cancels the safety net: the handle is freed by Close, once.
func TestCloseThenGC(t *testing.T) {
	c, err := NewClient(Config{RestAPIURL: "http://127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	h := c.h
	c.Close()
	if !h.freed.Load() {
		t.Fatal("Close did not free an idle client")
	}
	c = nil
	_ = c
	runtime.GC()
	runtime.GC()
}

func TestConfigJSON(t *testing.T) {
	b, err := (&Config{RestAPIURL: "http://x", Deadline: 2500 * time.Millisecond, TotalRetries: -1, MaxResponseBytes: 1 << 40}).configJSON()
	if err != nil {
		t.Fatal(err)
	}
	if b[len(b)-1] != 0 {
		t.Fatal("not NUL-terminated")
	}
	want := `{"control_http_deadline_seconds":2.5,"control_http_max_response_bytes":1099511627776,"control_http_total_retries":0,"control_service_rest_api_url":"http://x"}`
	if got := string(b[:len(b)-1]); got != want {
		t.Fatalf("configJSON = %s\nwant         %s", got, want)
	}
	if _, err := (&Config{APIToken: "\xff"}).configJSON(); err == nil {
		t.Fatal("invalid UTF-8 in the configuration was accepted")
	}
}

// Random floats through the library (JSON text -> Rust -> JSON text), via the memory backend
// (no network): they must come back bit-exact. The library keeps every number's digits as
// sent (serde_json's arbitrary_precision), and this binding's own encoding and decoding are
// exact (TestFloatsRoundTripThroughOurCodec).
func TestRandomFloatsRoundTripThroughTheLibrary(t *testing.T) {
	s, err := NewJobSecrets("floats-"+time.Now().Format("150405.000000000"), "team", Config{SecretsDefaultType: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	rng := uint64(0x9e3779b97f4a7c15)
	values := map[string]any{}
	for i := 0; i < 2000; i++ {
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		f := math.Float64frombits(rng)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		values["f"+strconv.Itoa(i)] = f
		values["g"+strconv.Itoa(i)] = float64(rng>>11) / (1 << 20) // ordinary magnitudes
	}
	if err := s.SetAll(ctx, values); err != nil {
		t.Fatal(err)
	}
	all, err := s.GetAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := all.Map()
	for k, v := range values {
		want := v.(float64)
		g, ok := got[k].(float64)
		if !ok {
			t.Errorf("%s: sent float64 %v, got %T %v", k, want, got[k], got[k])
			continue
		}
		if math.Float64bits(g) != math.Float64bits(want) {
			t.Errorf("%s: sent %v, got %v", k, want, g)
		}
	}
}
