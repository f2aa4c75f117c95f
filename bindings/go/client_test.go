package vdksecrets_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

var ctx = context.Background()

func TestVersion(t *testing.T) {
	if v := vdk.Version(); !strings.HasPrefix(v, "vdk-secrets ") {
		t.Fatalf("Version() = %q", v)
	}
}

// sample holds every kind of value, with the Go types they decode to.
func sample() map[string]any {
	return map[string]any{
		"api-key":      "sk-abc123",
		"unicode":      "ünïcödé – 日本語 – 🔑 – \u2028",
		"ключ-日本":      "значение",
		"escapes":      "quote \" backslash \\ newline \n tab \t ctl \x01 nul \x00 end",
		"empty":        "",
		"two-pow-60":   int64(1) << 60,
		"min-int64":    int64(math.MinInt64),
		"max-int64":    int64(math.MaxInt64),
		"max-uint64":   uint64(math.MaxUint64),
		"zero":         int64(0),
		"negative":     int64(-42),
		"float-int":    2.0,
		"float":        3.141592653589793,
		"tenth":        0.1,
		"neg-zero":     math.Copysign(0, -1),
		"tiny":         5e-324,
		"small":        1e-300,
		"huge":         1.7976931348623157e308,
		"exp":          1e21,
		"big-mantissa": 9007199254740993.0,
		"true":         true,
		"false":        false,
		"null":         nil,
		"empty-object": map[string]any{},
		"empty-list":   []any{},
		"nested": map[string]any{
			"list": []any{int64(1), 2.5, "three", nil, true, []any{map[string]any{"deep": int64(1) << 60}}},
			"map":  map[string]any{"a": map[string]any{"b": map[string]any{"c": "d"}}},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	c := newClient(t)
	job := uniqueJob("roundtrip")
	want := sample()
	if err := c.WriteSecrets(ctx, job, team, want); err != nil {
		t.Fatalf("WriteSecrets: %v", err)
	}
	got, err := c.ReadSecrets(ctx, job, team)
	if err != nil {
		t.Fatalf("ReadSecrets: %v", err)
	}
	assertSameValues(t, got.Map(), want)

	// The same values through the job layer, key by key.
	s := newJobSecrets(t, job, controlServiceConfig())
	for name, v := range want {
		value, ok, err := s.Get(ctx, name)
		if err != nil || !ok {
			t.Fatalf("Get(%q) = %v, %v, %v", name, value, ok, err)
		}
		assertSameValues(t, map[string]any{name: value}, map[string]any{name: v})
	}
	all, err := s.GetAll(ctx)
	if err != nil {
		t.Fatalf("GetAll: %v", err)
	}
	assertSameValues(t, all.Map(), want)

	// The raw JSON is the library's canonical form.
	raw, err := c.ReadSecretsJSON(ctx, job, team)
	if err != nil {
		t.Fatalf("ReadSecretsJSON: %v", err)
	}
	for _, fragment := range []string{`"two-pow-60":1152921504606846976`, `"float-int":2.0`, `"max-uint64":18446744073709551615`} {
		if !strings.Contains(string(raw), fragment) {
			t.Errorf("raw JSON lacks %s", fragment)
		}
	}
}

// assertSameValues compares exactly: types included (int64 is not float64), floats bit for
// bit (so -0.0 differs from 0.0).
func assertSameValues(t *testing.T, got, want map[string]any) {
	t.Helper()
	var diffs []string
	var walk func(path string, g, w any)
	walk = func(path string, g, w any) {
		if reflect.TypeOf(g) != reflect.TypeOf(w) {
			diffs = append(diffs, path+": got "+describe(g)+", want "+describe(w))
			return
		}
		switch w := w.(type) {
		case float64:
			if math.Float64bits(g.(float64)) != math.Float64bits(w) {
				diffs = append(diffs, path+": got "+describe(g)+", want "+describe(w))
			}
		case map[string]any:
			gm := g.(map[string]any)
			if len(gm) != len(w) {
				diffs = append(diffs, path+": got keys "+keys(gm)+", want "+keys(w))
			}
			for k := range w {
				walk(path+"."+k, gm[k], w[k])
			}
		case []any:
			gl := g.([]any)
			if len(gl) != len(w) {
				diffs = append(diffs, path+": length differs")
				return
			}
			for i := range w {
				walk(path+"["+string(rune('0'+i))+"]", gl[i], w[i])
			}
		default:
			if !reflect.DeepEqual(g, w) {
				diffs = append(diffs, path+": got "+describe(g)+", want "+describe(w))
			}
		}
	}
	walk("$", got, want)
	for _, d := range diffs {
		t.Error(d)
	}
}

func describe(v any) string {
	b, _ := json.Marshal(v)
	return reflect.TypeOf(v).String() + " " + string(b)
}

func keys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func TestWriteAcceptsGoTypes(t *testing.T) {
	c := newClient(t)
	job := uniqueJob("gotypes")
	type point struct {
		X int     `json:"x"`
		Y float64 `json:"y"`
	}
	in := map[string]any{
		"int":     42,
		"int8":    int8(-8),
		"uint16":  uint16(16),
		"float32": float32(1.5),
		"f32int":  float32(3),
		"number":  json.Number("12345678901234567890"),
		"raw":     json.RawMessage(`{"k":[1,2.0]}`),
		"strmap":  map[string]string{"a": "b"},
		"strs":    []string{"x", "y"},
		"struct":  point{X: 1, Y: 2.5},
		"pointer": &point{X: 3},
	}
	if err := c.WriteSecrets(ctx, job, team, in); err != nil {
		t.Fatalf("WriteSecrets: %v", err)
	}
	got, err := c.ReadSecrets(ctx, job, team)
	if err != nil {
		t.Fatal(err)
	}
	assertSameValues(t, got.Map(), map[string]any{
		"int":     int64(42),
		"int8":    int64(-8),
		"uint16":  int64(16),
		"float32": 1.5,
		"f32int":  3.0,
		"number":  uint64(12345678901234567890),
		"raw":     map[string]any{"k": []any{int64(1), 2.0}},
		"strmap":  map[string]any{"a": "b"},
		"strs":    []any{"x", "y"},
		"struct":  map[string]any{"x": int64(1), "y": 2.5},
		"pointer": map[string]any{"x": int64(3), "y": int64(0)}, // encoding/json's rules: 0.0 is sent as 0
	})
}

func TestWriteRefusesUnencodableValues(t *testing.T) {
	c := newClient(t)
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	for name, v := range map[string]any{
		"nan":          math.NaN(),
		"inf":          math.Inf(1),
		"invalid-utf8": "\xff\xfe",
		"cyclic":       cyclic,
		"channel":      make(chan int),
		"bad-number":   json.Number("12abc"),
		"bad-raw":      json.RawMessage(`{"a":`),
	} {
		err := c.WriteSecrets(ctx, uniqueJob("unencodable"), team, map[string]any{"v": v})
		if !isStatus(err, vdk.ErrInvalidArgument) {
			t.Errorf("%s: got %v, want ErrInvalidArgument", name, err)
		}
	}
	// Invalid UTF-8 in a key, too.
	if err := c.WriteSecrets(ctx, uniqueJob("unencodable"), team, map[string]any{"\xff": 1}); !isStatus(err, vdk.ErrInvalidArgument) {
		t.Errorf("invalid UTF-8 key: got %v", err)
	}
}

func TestWriteSecretsJSON(t *testing.T) {
	c := newClient(t)
	job := uniqueJob("rawjson")
	if err := c.WriteSecretsJSON(ctx, job, team, []byte(`{"b": 1, "a": [true, null, 1.0]}`)); err != nil {
		t.Fatal(err)
	}
	raw, err := c.ReadSecretsJSON(ctx, job, team)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"a":[true,null,1.0],"b":1}` {
		t.Errorf("ReadSecretsJSON = %s", raw)
	}
	for _, bad := range []string{`[1]`, `{"a":`, "{\"a\":1}\x00"} {
		if err := c.WriteSecretsJSON(ctx, job, team, []byte(bad)); !isStatus(err, vdk.ErrInvalidArgument) {
			t.Errorf("WriteSecretsJSON(%q): got %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestEmptyAndNilMaps(t *testing.T) {
	c := newClient(t)
	job := uniqueJob("empty")
	got, err := c.ReadSecrets(ctx, job, team)
	if err != nil || got.Len() != 0 {
		t.Fatalf("ReadSecrets of a new job = %v, %v; want an empty map", got, err)
	}
	if err := c.WriteSecrets(ctx, job, team, map[string]any{"a": "b"}); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteSecrets(ctx, job, team, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := c.ReadSecrets(ctx, job, team); err != nil || got.Len() != 0 {
		t.Fatalf("after writing nil: %v, %v", got, err)
	}
}

func TestTokenRevocationIsRecovered(t *testing.T) {
	c := newClient(t)
	if _, err := c.ReadSecrets(ctx, uniqueJob("warm"), team); err != nil {
		t.Fatal(err)
	}
	// The first request of a fault-revoke job revokes every token; the client refreshes its
	// token once and succeeds.
	if _, err := c.ReadSecrets(ctx, uniqueJob("fault-revoke"), team); err != nil {
		t.Fatalf("ReadSecrets after revocation: %v", err)
	}
}

func TestConfigKeysMatchREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skip("README.md not found:", err)
	}
	section := string(readme)
	if i := strings.Index(section, "## Configuration"); i >= 0 {
		section = section[i:]
	}
	if i := strings.Index(section[3:], "\n## "); i >= 0 {
		section = section[:i+3]
	}
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(section, -1) {
		documented = append(documented, m[1])
	}
	sort.Strings(documented)
	got := vdk.ConfigKeysForTest()
	sort.Strings(got)
	if !reflect.DeepEqual(got, documented) {
		t.Fatalf("Config covers keys\n%v\nbut the README's table lists\n%v", got, documented)
	}
}

func TestConfigEveryFieldIsAccepted(t *testing.T) {
	dir := t.TempDir()
	bundle := dir + "/ca.pem"
	// An empty bundle adds no CA; the library must still accept the key.
	if err := os.WriteFile(bundle, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := vdk.Config{
		RestAPIURL:               service.url,
		APIToken:                 service.token,
		APITokenAuthorizationURL: service.url + "/oauth/token",
		InsecureSkipVerify:       true,
		CABundle:                 bundle,
		TotalRetries:             3,
		ConnectRetries:           2,
		ReadRetries:              -1,
		ConnectTimeout:           5 * time.Second,
		ReadTimeout:              10 * time.Second,
		BackoffFactor:            -1,
		BackoffMax:               1500 * time.Millisecond,
		Deadline:                 20 * time.Second,
		MaxResponseBytes:         1 << 20,
		UserAgent:                "vdk-secrets-go-test",
		OpIDOverride:             "0123456789abcdef",
		DeploymentID:             "go-test",
		SecretsDefaultType:       "control-service",
		SecretsCacheTTL:          250 * time.Millisecond,
	}
	if got, want := len(vdk.ConfigMapForTest(&cfg)), len(vdk.ConfigKeysForTest()); got != want {
		t.Fatalf("a Config with every field set sets %d keys, want %d", got, want)
	}
	c, err := vdk.NewClient(cfg)
	if err != nil {
		// With an empty bundle some TLS stacks refuse: only CONFIGURATION is acceptable then.
		if !isStatus(err, vdk.ErrConfiguration) {
			t.Fatalf("NewClient with every key: %v", err)
		}
		cfg.CABundle = ""
		if c, err = vdk.NewClient(cfg); err != nil {
			t.Fatalf("NewClient with every key but the CA bundle: %v", err)
		}
	}
	defer c.Close()
	job := uniqueJob("allkeys")
	if err := c.WriteSecrets(ctx, job, team, map[string]any{"k": "v"}); err != nil {
		t.Fatalf("WriteSecrets with every key set: %v", err)
	}
	s, err := vdk.NewJobSecrets(job, team, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Backend() != "control-service" {
		t.Errorf("Backend() = %q", s.Backend())
	}
	if v, ok, err := s.Get(ctx, "k"); err != nil || !ok || v != "v" {
		t.Errorf("Get = %v, %v, %v", v, ok, err)
	}
}

func TestConfigZeroValuesAreOmitted(t *testing.T) {
	if m := vdk.ConfigMapForTest(&vdk.Config{}); len(m) != 0 {
		t.Fatalf("the zero Config sets %v", m)
	}
	m := vdk.ConfigMapForTest(&vdk.Config{TotalRetries: -1, BackoffFactor: -1, InsecureSkipVerify: true, Deadline: 1500 * time.Millisecond})
	want := map[string]any{
		"control_http_total_retries":          0,
		"control_http_backoff_factor_seconds": 0,
		"control_http_verify_ssl":             false,
		"control_http_deadline_seconds":       1.5,
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("configMap = %#v, want %#v", m, want)
	}
}

func TestFromEnvironment(t *testing.T) {
	t.Setenv("VDK_CONTROL_SERVICE_REST_API_URL", service.url)
	t.Setenv("VDK_API_TOKEN", service.token)
	t.Setenv("vdk_api_token_authorization_url", service.url+"/oauth/token")
	t.Setenv("VDK_SECRETS_DEFAULT_TYPE", "control-service")
	c, err := vdk.NewClientFromEnv()
	if err != nil {
		t.Fatalf("NewClientFromEnv: %v", err)
	}
	defer c.Close()
	job := uniqueJob("fromenv")
	if err := c.WriteSecrets(ctx, job, team, map[string]any{"from": "env"}); err != nil {
		t.Fatal(err)
	}
	s, err := vdk.NewJobSecretsFromEnv(job, team)
	if err != nil {
		t.Fatalf("NewJobSecretsFromEnv: %v", err)
	}
	defer s.Close()
	if s.Backend() != "control-service" {
		t.Errorf("Backend() = %q", s.Backend())
	}
	if v, ok, err := s.Get(ctx, "from"); err != nil || !ok || v != "env" {
		t.Errorf("Get = %v, %v, %v", v, ok, err)
	}

	os.Unsetenv("VDK_CONTROL_SERVICE_REST_API_URL")
	if _, err := vdk.NewClientFromEnv(); !isStatus(err, vdk.ErrConfiguration) {
		t.Errorf("NewClientFromEnv without a URL: %v, want ErrConfiguration", err)
	}
}
