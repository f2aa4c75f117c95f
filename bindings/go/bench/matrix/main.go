// Command matrix is the Go binding's part of benches/matrix.sh: N goroutines reading through
// one shared Client (ReadSecrets, decoded into a map) for a fixed time per round, every call's
// latency recorded. Prints `RESULT rps=.. p50=.. p99=.. cpu=..` (medians over rounds; µs;
// process CPU per read from getrusage).
//
//	go run ./bench/matrix -url URL -goroutines 16 -seconds 1 -rounds 3 [-writes] [-cancellable]
//
// With -writes, each goroutine writes the 3-secret map to a job of its own (bench-write-N).
// Calls use context.Background() (the binding's blocking path); with -cancellable, a context
// that could be cancelled (the asynchronous path, what a server handler's context takes).
//
// With -plain, the reads do not use the binding at all but what a Go user would write instead
// (plain.go: net/http and encoding/json, the same exchange). With -api-token-file, both the
// binding and the plain client authenticate with that API token at URL/oauth/token (once).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	vdksecrets "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

func cpuTime() time.Duration {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

func median(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
}

func main() {
	url := flag.String("url", "", "Control Service URL")
	n := flag.Int("goroutines", 1, "concurrent readers")
	seconds := flag.Float64("seconds", 1, "seconds per round")
	rounds := flag.Int("rounds", 3, "rounds")
	writes := flag.Bool("writes", false, "write instead of read, a job per goroutine")
	cancellable := flag.Bool("cancellable", false, "call with a cancellable context (the asynchronous path)")
	plainClient := flag.Bool("plain", false, "read with net/http + encoding/json instead of the binding")
	tokenFile := flag.String("api-token-file", "", "authenticate with this API token at URL/oauth/token")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measured rounds to this file")
	job := flag.String("job", "bench-job", "the job the readers read (fault-latency-2000-x: a service answering in 2 ms)")
	flag.Parse()
	cfg := vdksecrets.Config{RestAPIURL: *url}
	if *tokenFile != "" {
		token, err := os.ReadFile(*tokenFile)
		if err != nil {
			log.Fatal(err)
		}
		cfg.APIToken = strings.TrimSpace(string(token))
		cfg.APITokenAuthorizationURL = *url + "/oauth/token"
	}
	client, err := vdksecrets.NewClient(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	if *cancellable {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
	}
	secrets := map[string]any{"api-key": "sk-abc123xyz789", "db-password": "secretpass", "port": 5432}
	if !*writes {
		// The map every reader reads (a fresh service has none).
		if err := client.WriteSecrets(ctx, *job, "bench-team", secrets); err != nil {
			log.Fatalf("seed: %v", err)
		}
	}
	read := func(g int) {
		if *writes {
			if err := client.WriteSecrets(ctx, fmt.Sprintf("bench-write-%d", g), "bench-team", secrets); err != nil {
				log.Fatalf("write: %v", err)
			}
			return
		}
		m, err := client.ReadSecrets(ctx, *job, "bench-team")
		if err != nil || m.Len() != 3 {
			log.Fatalf("read: %v (%d secrets)", err, m.Len())
		}
	}
	if *plainClient {
		if *writes || *cancellable {
			log.Fatal("-plain reads only, with its own context handling")
		}
		p, err := newPlain(*url, cfg.APIToken, *n)
		if err != nil {
			log.Fatal(err)
		}
		read = func(int) {
			m, err := p.readSecrets(ctx, *job, "bench-team")
			if err != nil || len(m) != 3 {
				log.Fatalf("plain read: %v (%d secrets)", err, len(m))
			}
		}
	}
	for i := 0; i < 200; i++ {
		read(0)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	var rps, p50, p99, cpu []float64
	for r := 0; r < *rounds; r++ {
		lat := make([][]time.Duration, *n)
		var ready, done sync.WaitGroup
		start := make(chan struct{})
		deadline := time.Now().Add(time.Duration(*seconds*1e9) + time.Millisecond)
		for g := 0; g < *n; g++ {
			ready.Add(1)
			done.Add(1)
			go func(g int) {
				defer done.Done()
				mine := make([]time.Duration, 0, 1<<16)
				ready.Done()
				<-start
				for time.Now().Before(deadline) {
					t0 := time.Now()
					read(g)
					mine = append(mine, time.Since(t0))
				}
				lat[g] = mine
			}(g)
		}
		ready.Wait()
		t0, c0 := time.Now(), cpuTime()
		close(start)
		done.Wait()
		wall, used := time.Since(t0), cpuTime()-c0
		var all []time.Duration
		for _, mine := range lat {
			all = append(all, mine...)
		}
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		k := len(all)
		rps = append(rps, float64(k)/wall.Seconds())
		p50 = append(p50, float64(all[k/2].Nanoseconds())/1e3)
		p99 = append(p99, float64(all[k*99/100].Nanoseconds())/1e3)
		cpu = append(cpu, float64(used.Nanoseconds())/1e3/float64(k))
	}
	fmt.Printf("RESULT rps=%.0f p50=%.1f p99=%.1f cpu=%.1f\n", median(rps), median(p50), median(p99), median(cpu))
}
