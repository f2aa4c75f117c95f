package vdksecrets_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

// readBack writes values to a new job and reads them back through the Control Service.
func readBack(t *testing.T, values map[string]any) (vdk.Secrets, *vdk.Client, string) {
	t.Helper()
	c := newClient(t)
	job := uniqueJob("getters")
	if err := c.WriteSecrets(ctx, job, team, values); err != nil {
		t.Fatalf("WriteSecrets: %v", err)
	}
	s, err := c.ReadSecrets(ctx, job, team)
	if err != nil {
		t.Fatalf("ReadSecrets: %v", err)
	}
	return s, c, job
}

func TestSecretsTypedGetters(t *testing.T) {
	s, _, _ := readBack(t, map[string]any{
		"str":     "sk-abc123",
		"int":     int64(1) << 60,
		"min":     int64(math.MinInt64),
		"big":     uint64(math.MaxUint64),
		"float":   2.5,
		"integer": 2.0, // sent as 2.0: a float
		"bool":    true,
		"null":    nil,
		"obj":     map[string]any{"user": "u", "password": "p"},
		"list":    []any{"a", int64(1)},
	})
	if got, err := s.GetString("str"); err != nil || got != "sk-abc123" {
		t.Errorf("GetString = %q, %v", got, err)
	}
	if got, err := s.GetInt64("int"); err != nil || got != 1<<60 {
		t.Errorf("GetInt64 = %d, %v", got, err)
	}
	if got, err := s.GetInt64("min"); err != nil || got != math.MinInt64 {
		t.Errorf("GetInt64(min) = %d, %v", got, err)
	}
	if got, err := s.GetFloat64("float"); err != nil || got != 2.5 {
		t.Errorf("GetFloat64 = %v, %v", got, err)
	}
	if got, err := s.GetFloat64("int"); err != nil || got != float64(1<<60) {
		t.Errorf("GetFloat64 of an integer = %v, %v", got, err)
	}
	if got, err := s.GetFloat64("big"); err != nil || got != float64(math.MaxUint64) {
		t.Errorf("GetFloat64 of a uint64 = %v, %v", got, err)
	}
	if got, err := s.GetBool("bool"); err != nil || !got {
		t.Errorf("GetBool = %v, %v", got, err)
	}
	if got, err := s.GetJSON("obj"); err != nil || string(got) != `{"password":"p","user":"u"}` {
		t.Errorf("GetJSON(obj) = %s, %v", got, err)
	}
	if got, err := s.GetJSON("integer"); err != nil || string(got) != `2.0` {
		t.Errorf("GetJSON(integer) = %s, %v (a float stays a float)", got, err)
	}
	if got, err := s.GetJSON("null"); err != nil || string(got) != `null` {
		t.Errorf("GetJSON(null) = %s, %v", got, err)
	}

	// Wrong types: a *TypeError naming the secret and both types, never the value.
	for _, c := range []struct {
		name string
		get  func() error
		want string
	}{
		{"int", func() error { _, err := s.GetString("int"); return err }, `secret "int" is an integer, not a string`},
		{"str", func() error { _, err := s.GetInt64("str"); return err }, `secret "str" is a string, not an integer`},
		{"integer", func() error { _, err := s.GetInt64("integer"); return err }, `secret "integer" is a float, not an integer`},
		{"big", func() error { _, err := s.GetInt64("big"); return err }, `is an integer above math.MaxInt64, not an integer in the int64 range`},
		{"bool", func() error { _, err := s.GetFloat64("bool"); return err }, `secret "bool" is a boolean, not a number`},
		{"null", func() error { _, err := s.GetBool("null"); return err }, `secret "null" is null, not a boolean`},
		{"obj", func() error { _, err := s.GetString("obj"); return err }, `secret "obj" is an object, not a string`},
		{"list", func() error { _, err := s.GetString("list"); return err }, `secret "list" is an array, not a string`},
	} {
		err := c.get()
		var te *vdk.TypeError
		if !errors.As(err, &te) || te.Name != c.name || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want a *TypeError containing %q", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "sk-abc123") {
			t.Errorf("%s: the error shows a value: %v", c.name, err)
		}
	}

	// Not set: ErrNotSet from every getter.
	for getter, err := range map[string]error{
		"GetString":  func() error { _, err := s.GetString("missing"); return err }(),
		"GetInt64":   func() error { _, err := s.GetInt64("missing"); return err }(),
		"GetFloat64": func() error { _, err := s.GetFloat64("missing"); return err }(),
		"GetBool":    func() error { _, err := s.GetBool("missing"); return err }(),
		"GetJSON":    func() error { _, err := s.GetJSON("missing"); return err }(),
	} {
		if !errors.Is(err, vdk.ErrNotSet) || !strings.Contains(err.Error(), `"missing"`) {
			t.Errorf("%s of an absent secret: %v, want ErrNotSet naming it", getter, err)
		}
	}

	// Names, Len, Has, Lookup.
	wantNames := []string{"big", "bool", "float", "int", "integer", "list", "min", "null", "obj", "str"}
	if got := s.Names(); !reflect.DeepEqual(got, wantNames) {
		t.Errorf("Names = %v, want %v", got, wantNames)
	}
	if s.Len() != len(wantNames) || !s.Has("null") || s.Has("missing") {
		t.Errorf("Len = %d, Has(null) = %v, Has(missing) = %v", s.Len(), s.Has("null"), s.Has("missing"))
	}
	if v, ok := s.Lookup("null"); !ok || v != nil {
		t.Errorf("Lookup(null) = %v, %v: a null secret is set", v, ok)
	}
	if v, ok := s.Lookup("missing"); ok || v != nil {
		t.Errorf("Lookup(missing) = %v, %v", v, ok)
	}
	obj, _ := s.Lookup("obj")
	obj.(map[string]any)["password"] = "changed"
	list, _ := s.Lookup("list")
	list.([]any)[0] = "changed"
	if got, _ := s.GetJSON("obj"); string(got) != `{"password":"p","user":"u"}` {
		t.Errorf("changing what Lookup returned changed the Secrets: %s", got)
	}
	if got, _ := s.GetJSON("list"); string(got) != `["a",1]` {
		t.Errorf("changing what Lookup returned changed the Secrets: %s", got)
	}
}

func TestZeroSecretsIsEmpty(t *testing.T) {
	var s vdk.Secrets
	if s.Len() != 0 || len(s.Names()) != 0 || s.Has("x") || len(s.Map()) != 0 || s.String() != "map[]" {
		t.Errorf("zero Secrets: Len %d, Names %v, String %q", s.Len(), s.Names(), s.String())
	}
	if _, err := s.GetString("x"); !errors.Is(err, vdk.ErrNotSet) {
		t.Errorf("GetString on the zero Secrets: %v", err)
	}
	if b, err := json.Marshal(s); err != nil || string(b) != "{}" {
		t.Errorf("json.Marshal(zero) = %s, %v", b, err)
	}
}

// Masking is for printing only: handing a Secrets back to the binding writes its values.
func TestWritingSecretsStoresValuesNotMasks(t *testing.T) {
	values := map[string]any{"key": "sk-abc123", "obj": map[string]any{"password": "p"}, "n": int64(7)}
	s, c, job := readBack(t, values)
	other := uniqueJob("copy")
	if err := c.WriteSecrets(ctx, other, team, s.Map()); err != nil {
		t.Fatal(err)
	}
	js := newJobSecrets(t, other, controlServiceConfig())
	if err := js.Set(ctx, "nested-copy", s); err != nil {
		t.Fatal(err)
	}
	if err := js.Set(ctx, "pointer-copy", &s); err != nil {
		t.Fatal(err)
	}
	raw, err := c.ReadSecretsJSON(ctx, other, team)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "***") {
		t.Fatalf("a write stored masks: %s", raw)
	}
	all, err := js.GetAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"nested-copy", "pointer-copy"} {
		if got, err := all.GetJSON(name); err != nil || string(got) != `{"key":"sk-abc123","n":7,"obj":{"password":"p"}}` {
			t.Errorf("%s = %s, %v", name, got, err)
		}
	}
	_ = job

	// Equal: same names and values; the copy written and read back equals the source.
	source, err := c.ReadSecrets(ctx, job, team)
	if err != nil {
		t.Fatal(err)
	}
	copied, err := c.ReadSecrets(ctx, other, team)
	if err != nil {
		t.Fatal(err)
	}
	if !source.Equal(s) || source.Equal(copied) || !source.Equal(newSecretsFrom(t, c, source.Map())) {
		t.Errorf("Equal: source/s %v, source/copied (which has more secrets) %v", source.Equal(s), source.Equal(copied))
	}
	changed := source.Map()
	changed["n"] = 7.0 // same number, another type
	if source.Equal(newSecretsFrom(t, c, changed)) {
		t.Errorf("Equal ignores the type of a value")
	}
	var zero vdk.Secrets
	empty, _ := c.ReadSecrets(ctx, uniqueJob("empty"), team)
	if !zero.Equal(empty) || zero.Equal(s) {
		t.Errorf("Equal of empty Secrets")
	}
}

// newSecretsFrom writes values to a new job and reads them back.
func newSecretsFrom(t *testing.T, c *vdk.Client, values map[string]any) vdk.Secrets {
	t.Helper()
	job := uniqueJob("equal")
	if err := c.WriteSecrets(ctx, job, team, values); err != nil {
		t.Fatal(err)
	}
	s, err := c.ReadSecrets(ctx, job, team)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
