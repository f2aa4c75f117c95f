package vdksecrets_test

import (
	"bytes"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"strconv"
	"strings"
	"testing"
)

// canaries are values that must never appear in printed output, in any of the forms a
// formatting verb could turn them into (as is, quoted, hexadecimal).
type canaries []string

func newCanaries(values ...string) canaries {
	var all canaries
	for _, v := range values {
		all = append(all, v, strconv.Quote(v)[1:len(strconv.Quote(v))-1], hex.EncodeToString([]byte(v)),
			strings.ToUpper(hex.EncodeToString([]byte(v))))
	}
	return all
}

func (c canaries) check(t *testing.T, how, text string) {
	t.Helper()
	for _, v := range c {
		if strings.Contains(text, v) {
			t.Errorf("%s shows a secret value (%q):\n%s", how, v, text)
			return
		}
	}
}

// maskedSample holds a canary at every depth and in every container kind; the numbers and the
// boolean are canaries too, as printed by Go.
func maskedSample(canary string) map[string]any {
	return map[string]any{
		"top":    canary + "-top",
		"nested": map[string]any{"deep": map[string]any{"password": canary + "-deep"}},
		"list":   []any{canary + "-list", map[string]any{"key": canary + "-in-list"}, []any{canary + "-inner"}},
		"number": int64(987654321123),
		"float":  31415.9265358,
		"multi":  "-----BEGIN KEY-----\n" + canary + "-pem\n-----END KEY-----\n",
	}
}

// printAll prints v every way a program could print or log it: every fmt verb, nested in
// structs (exported and unexported fields), slices, maps and pointers, the log package, and
// slog's text and JSON handlers.
func printAll(v any) map[string]string {
	out := map[string]string{}
	type exported struct{ Secrets any }
	type unexported struct{ secrets any }
	holders := map[string]any{
		"value":              v,
		"pointer":            &v,
		"exported field":     exported{v},
		"unexported field":   unexported{v},
		"pointer to struct":  &exported{v},
		"slice":              []any{v},
		"map":                map[string]any{"s": v},
		"struct in slice":    []unexported{{v}},
		"anonymous struct":   struct{ A, b any }{v, v},
		"unexported pointer": unexported{&v},
	}
	for name, h := range holders {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%p", "%T", "%10.3v"} {
			out[name+" "+verb] = fmt.Sprintf(verb, h)
		}
		out[name+" Sprint"] = fmt.Sprint(h)
		out[name+" Sprintln"] = fmt.Sprintln("secrets:", h)
	}
	var buf bytes.Buffer
	logger := log.New(&buf, "", 0)
	logger.Printf("read %v", v)
	logger.Println(v)
	out["log"] = buf.String()
	for _, handler := range []string{"text", "json"} {
		var buf bytes.Buffer
		var h slog.Handler = slog.NewTextHandler(&buf, nil)
		if handler == "json" {
			h = slog.NewJSONHandler(&buf, nil)
		}
		l := slog.New(h)
		l.Info("read", "secrets", v)
		l.Info("read", slog.Any("secrets", v), slog.Group("g", "secrets", v))
		l.With("secrets", v).Info("with")
		out["slog "+handler] = buf.String()
	}
	return out
}

func TestReadSecretsNeverPrintValues(t *testing.T) {
	c := newClient(t)
	job := uniqueJob("masked")
	canary := "canary-" + randomHex(6)
	if err := c.WriteSecrets(ctx, job, team, maskedSample(canary)); err != nil {
		t.Fatalf("WriteSecrets: %v", err)
	}
	forbidden := newCanaries(canary, "987654321123", "31415.9265358", "3.14159265358e+04")
	got, err := c.ReadSecrets(ctx, job, team)
	if err != nil {
		t.Fatalf("ReadSecrets: %v", err)
	}
	s := newJobSecrets(t, job, controlServiceConfig())
	all, err := s.GetAll(ctx)
	if err != nil {
		t.Fatalf("GetAll: %v", err)
	}
	for source, secrets := range map[string]any{"ReadSecrets": got, "GetAll": all} {
		texts := printAll(secrets)
		for how, text := range texts {
			forbidden.check(t, source+": "+how, text)
		}
		// The names are not secret, and printing shows them, so that logs stay useful.
		if v := texts["value %v"]; !strings.Contains(v, "top:***") || !strings.Contains(v, "password:***") {
			t.Errorf("%s: %%v = %s, want the names with masked values", source, v)
		}
	}
}

// json.Marshal masks as fmt does: structured loggers and error reporters serialise fields with
// encoding/json, so an unmasked MarshalJSON would be a leak one step away from every log call.
func TestReadSecretsMarshalJSONMasks(t *testing.T) {
	c := newClient(t)
	job := uniqueJob("masked-json")
	canary := "canary-" + randomHex(6)
	if err := c.WriteSecrets(ctx, job, team, maskedSample(canary)); err != nil {
		t.Fatalf("WriteSecrets: %v", err)
	}
	got, err := c.ReadSecrets(ctx, job, team)
	if err != nil {
		t.Fatalf("ReadSecrets: %v", err)
	}
	forbidden := newCanaries(canary, "987654321123", "31415.9265358")
	for how, v := range map[string]any{"value": got, "pointer": &got, "in a struct": struct{ S any }{got}, "in a slice": []any{got}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%s): %v", how, err)
		}
		forbidden.check(t, "json.Marshal "+how, string(b))
	}
	// encoding/gob refuses it (no exported fields) rather than carrying the values anywhere.
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(got); err == nil {
		t.Errorf("gob encoded a read's secrets")
	}
	forbidden.check(t, "gob", buf.String())
	b, _ := json.Marshal(got)
	if !strings.Contains(string(b), `"top":"***"`) || !strings.Contains(string(b), `"password":"***"`) {
		t.Errorf("json.Marshal = %s, want the names with masked values", b)
	}
}
