package vdksecrets_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

// Compiled, not run (no Output comment): it needs a Control Service.

func ExampleNewClient() {
	client, err := vdk.NewClient(vdk.Config{
		RestAPIURL:               "http://localhost:8092",
		APIToken:                 "my-refresh-token",
		APITokenAuthorizationURL: "http://localhost:8092/oauth/token",
		Deadline:                 time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.WriteSecrets(ctx, "my-job", "my-team", map[string]any{"api-key": "sk-abc123"}); err != nil {
		log.Fatal(err)
	}
	secrets, err := client.ReadSecrets(ctx, "my-job", "my-team")
	switch {
	case errors.Is(err, vdk.ErrNotFound):
		log.Fatal("no such job")
	case err != nil:
		var e *vdk.Error
		if errors.As(err, &e) {
			log.Printf("what to do: %s", e.Countermeasures)
		}
		log.Fatal(err)
	}
	// Printing or logging secrets shows names only: map[api-key:***].
	log.Printf("read %v", secrets)
	apiKey, err := secrets.GetString("api-key")
	if err != nil { // vdk.ErrNotSet, or a *vdk.TypeError when it is not a string
		log.Fatal(err)
	}
	fmt.Println(len(apiKey))
}

func ExampleJobSecrets() {
	secrets, err := vdk.NewJobSecretsFromEnv("my-job", "my-team") // VDK_* variables
	if err != nil {
		log.Fatal(err)
	}
	defer secrets.Close()

	ctx := context.Background()
	if err := secrets.Set(ctx, "db-password", "hunter2"); err != nil {
		log.Fatal(err)
	}
	value, ok, err := secrets.Get(ctx, "db-password") // from the cache
	if err != nil {
		log.Fatal(err)
	}
	if password, isString := value.(string); ok && isString {
		fmt.Println(len(password))
	}
}
