package vdksecrets_test

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

// The tests run against the project's local Control Service, started by TestMain as a real
// process with authentication and fault injection enabled.

// service is the running local Control Service.
var service struct {
	url   string // e.g. http://127.0.0.1:41234
	token string // the API (refresh) token it accepts
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	bin := os.Getenv("VDK_CONTROL_SERVICE_BIN")
	if bin == "" {
		bin = filepath.Join("..", "..", "target", "release", "vdk-control-service")
	}
	if _, err := os.Stat(bin); err != nil {
		fmt.Fprintf(os.Stderr, "the local Control Service binary %s is missing (%v): run `cargo build --release -p vdk-secrets -p vdk-control-service` in the repository root, or set VDK_CONTROL_SERVICE_BIN\n", bin, err)
		return 2
	}
	dir, err := os.MkdirTemp("", "vdksecrets-go-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	service.token = "go-test-" + randomHex(16)
	tokenFile := filepath.Join(dir, "api-token")
	if err := os.WriteFile(tokenFile, []byte(service.token), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	stop, url, err := startService(bin, "--listen", "127.0.0.1:0", "--enable-faults", "--api-token-file", tokenFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot start the local Control Service:", err)
		return 2
	}
	defer stop()
	service.url = url
	return m.Run()
}

// startService starts the service and waits for its "listening on URL" line. The process is
// started from a goroutine locked to its OS thread, with Pdeathsig, so that it is killed even
// if the test binary dies without running stop (a test timeout, a crash).
func startService(bin string, args ...string) (stop func(), url string, err error) {
	type started struct {
		cmd *exec.Cmd
		url string
		err error
	}
	ready := make(chan started, 1)
	quit := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: Linux's Pdeathsig follows the thread that forked
		cmd := exec.Command(bin, args...)
		cmd.Stderr = os.Stderr
		killWithParent(cmd)
		out, err := cmd.StdoutPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			ready <- started{err: err}
			close(exited)
			return
		}
		lines := make(chan string, 1)
		go func() {
			s := bufio.NewScanner(out)
			for s.Scan() {
				select {
				case lines <- s.Text():
				default:
				}
			}
		}()
		select {
		case line := <-lines:
			if u, ok := strings.CutPrefix(line, "listening on "); ok {
				ready <- started{cmd: cmd, url: u}
			} else {
				ready <- started{err: fmt.Errorf("unexpected first line %q", line)}
			}
		case <-time.After(20 * time.Second):
			ready <- started{err: errors.New("no 'listening on' line within 20 s")}
		}
		<-quit
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		close(exited)
	}()
	s := <-ready
	stop = func() { close(quit); <-exited }
	if s.err != nil {
		stop()
		return nil, "", s.err
	}
	return stop, s.url, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

var jobCounter atomic.Int64

// uniqueJob returns a job name not used before in this process (the memory backend and the
// service's store outlive a test; fault counters count per exact name).
func uniqueJob(prefix string) string {
	return fmt.Sprintf("%s-go%d-%s", prefix, jobCounter.Add(1), randomHex(3))
}

const team = "go-team"

// testConfig is a configuration for the test service: authenticated, with fast retries.
func testConfig() vdk.Config {
	return vdk.Config{
		RestAPIURL:               service.url,
		APIToken:                 service.token,
		APITokenAuthorizationURL: service.url + "/oauth/token",
		TotalRetries:             2,
		BackoffFactor:            20 * time.Millisecond,
		Deadline:                 30 * time.Second,
	}
}

func newClient(t testing.TB) *vdk.Client {
	t.Helper()
	c, err := vdk.NewClient(testConfig())
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newJobSecrets(t testing.TB, job string, cfg vdk.Config) *vdk.JobSecrets {
	t.Helper()
	s, err := vdk.NewJobSecrets(job, team, cfg)
	if err != nil {
		t.Fatalf("NewJobSecrets: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func memoryConfig() vdk.Config {
	return vdk.Config{SecretsDefaultType: "memory"}
}

func controlServiceConfig() vdk.Config {
	cfg := testConfig()
	cfg.SecretsDefaultType = "control-service"
	return cfg
}

// asError returns err as *vdk.Error or fails the test.
func asError(t testing.TB, err error) *vdk.Error {
	t.Helper()
	var e *vdk.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *vdksecrets.Error", err, err)
	}
	return e
}
