// Command example sets and reads a data job's secrets with the vdk-secrets Go binding.
//
// It talks to the Control Service at $VDK_CONTROL_SERVICE_REST_API_URL (other VDK_* variables,
// e.g. VDK_API_TOKEN and VDK_API_TOKEN_AUTHORIZATION_URL, are honoured too). Against a local
// service:
//
//	cargo build --release -p vdk-secrets -p vdk-control-service     # in the repository root
//	target/release/vdk-control-service --listen 127.0.0.1:8092 &
//	cd examples/go && VDK_CONTROL_SERVICE_REST_API_URL=http://127.0.0.1:8092 go run .
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	vdksecrets "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

const (
	job  = "example-job"
	team = "example-team"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		var e *vdksecrets.Error
		if errors.As(err, &e) && e.Countermeasures != "" {
			fmt.Fprintln(os.Stderr, "what to do:", e.Countermeasures)
		}
		os.Exit(1)
	}
}

func run() error {
	if os.Getenv("VDK_CONTROL_SERVICE_REST_API_URL") == "" {
		return errors.New("set VDK_CONTROL_SERVICE_REST_API_URL to the Control Service's URL, e.g. http://127.0.0.1:8092")
	}
	fmt.Println("library:", vdksecrets.Version())

	// Every call is bounded by the context's deadline, retries included.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The Control Service client: whole maps.
	client, err := vdksecrets.NewClientFromEnv()
	if err != nil {
		return err
	}
	defer client.Close()

	err = client.WriteSecrets(ctx, job, team, map[string]any{
		"api-key":  "sk-example-123",
		"db":       map[string]any{"user": "etl", "password": "hunter2", "port": 5432},
		"big":      int64(1) << 60,
		"ratio":    0.75,
		"features": []any{"a", "b"},
	})
	if err != nil {
		return fmt.Errorf("writing secrets: %w", err)
	}
	secrets, err := client.ReadSecrets(ctx, job, team)
	if err != nil {
		return fmt.Errorf("reading secrets: %w", err)
	}
	// Printing or logging the secrets shows names only; values are read with typed getters.
	fmt.Printf("%s/%s holds %d secrets: %v\n", team, job, secrets.Len(), secrets)
	db, err := secrets.GetJSON("db")
	if err != nil {
		return err
	}
	apiKey, err := secrets.GetString("api-key")
	if err != nil { // vdksecrets.ErrNotSet, or a *vdksecrets.TypeError for another type
		return err
	}
	ratio, err := secrets.GetFloat64("ratio")
	if err != nil {
		return err
	}
	fmt.Printf("api-key: string of %d bytes; db: JSON of %d bytes; ratio > 0: %v\n", len(apiKey), len(db), ratio > 0)
	if _, err := secrets.GetInt64("api-key"); err != nil {
		fmt.Println("asking for the wrong type names the types, never the value:", err)
	}
	show(secrets)

	// The job secrets layer: one job, cached reads, single-secret updates.
	js, err := vdksecrets.NewJobSecretsFromEnv(job, team)
	if err != nil {
		return err
	}
	defer js.Close()
	if err := js.Set(ctx, "token", "t-456"); err != nil {
		return fmt.Errorf("setting a secret: %w", err)
	}
	if err := js.Delete(ctx, "features"); err != nil {
		return fmt.Errorf("deleting a secret: %w", err)
	}
	value, ok, err := js.Get(ctx, "api-key")
	if err != nil {
		return fmt.Errorf("getting a secret: %w", err)
	}
	fmt.Printf("job layer (backend %q): api-key present: %v, %s\n", js.Backend(), ok, mask(value))
	all, err := js.GetAll(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("after Set and Delete, %d secrets:\n", all.Len())
	show(all)

	// Errors carry a status to test with errors.Is.
	if _, err := client.ReadSecrets(ctx, "", team); errors.Is(err, vdksecrets.ErrInvalidArgument) {
		fmt.Println("an empty job name is refused:", err)
	}
	return nil
}

// show prints names and kinds, never values: secrets do not belong in logs.
func show(secrets vdksecrets.Secrets) {
	for _, name := range secrets.Names() { // sorted
		value, _ := secrets.Lookup(name)
		fmt.Printf("  %-10s %s\n", name, mask(value))
	}
}

// mask describes a value without showing it.
func mask(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("string of %d bytes", len(x))
	case map[string]any:
		return fmt.Sprintf("object of %d keys", len(x))
	case []any:
		return fmt.Sprintf("list of %d values", len(x))
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%T", v) // int64, uint64, float64, bool
	}
}
