// Command scaling is the Go binding's part of benches/scaling.sh (issue 15): sequential reads
// and writes of the maps benches/c/scaling_bench.c seeds (jobs scale-SIZE), and Go's own
// decoding of the same bytes, to show what the binding costs above the C ABI. Prints
// `RESULT client=.. op=.. size=.. calls=.. cpu=.. wall=..` (µs per call; process CPU from
// getrusage), after a warm-up of calls/5.
//
//	go run ./bench/scaling -url URL -op read|read-json|write|decode -size 1MB -calls 50
//
// read: ReadSecrets (a Secrets map); read-json: ReadSecretsJSON (the bytes); write:
// WriteSecrets of the map as encoding/json decodes it, to scale-write-go-SIZE; decode: encoding/json of the read bytes into a
// map[string]any, no call.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"syscall"
	"time"

	vdksecrets "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

func cpuTime() time.Duration {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

func main() {
	url := flag.String("url", "", "Control Service URL")
	op := flag.String("op", "read", "read, read-json, write or decode")
	size := flag.String("size", "300B", "300B, 10KB, 100KB or 1MB")
	calls := flag.Int("calls", 100, "calls to time")
	flag.Parse()
	client, err := vdksecrets.NewClient(vdksecrets.Config{RestAPIURL: *url})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	job, team := "scale-"+*size, "bench-team"
	secrets, err := client.ReadSecrets(ctx, job, team)
	if err != nil || secrets.Len() < 3 {
		log.Fatalf("read: %v (%d secrets)", err, secrets.Len())
	}
	raw, err := client.ReadSecretsJSON(ctx, job, team)
	if err != nil {
		log.Fatal(err)
	}
	var plain map[string]any // what a Go caller writes
	if err := json.Unmarshal(raw, &plain); err != nil {
		log.Fatal(err)
	}
	var call func()
	switch *op {
	case "read":
		call = func() {
			if m, err := client.ReadSecrets(ctx, job, team); err != nil || m.Len() != secrets.Len() {
				log.Fatalf("read: %v", err)
			}
		}
	case "read-json":
		call = func() {
			if b, err := client.ReadSecretsJSON(ctx, job, team); err != nil || len(b) != len(raw) {
				log.Fatalf("read: %v", err)
			}
		}
	case "write":
		call = func() {
			if err := client.WriteSecrets(ctx, "scale-write-go-"+*size, team, plain); err != nil {
				log.Fatalf("write: %v", err)
			}
		}
	case "decode":
		call = func() {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil || len(m) != secrets.Len() {
				log.Fatalf("decode: %v", err)
			}
		}
	default:
		log.Fatalf("unknown -op %s", *op)
	}
	for i := 0; i < *calls/5+1; i++ {
		call()
	}
	t0, c0 := time.Now(), cpuTime()
	for i := 0; i < *calls; i++ {
		call()
	}
	wall, used := time.Since(t0), cpuTime()-c0
	fmt.Printf("RESULT client=go op=%s size=%s calls=%d cpu=%.1f wall=%.1f\n", *op, *size, *calls,
		float64(used.Nanoseconds())/1e3/float64(*calls), float64(wall.Nanoseconds())/1e3/float64(*calls))
}
