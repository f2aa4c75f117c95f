package vdksecrets_test

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// hangingServer is a raw TCP server on 127.0.0.1 that reads each HTTP request and never
// answers, and reports what it sees: every request that arrives and every connection the
// client closes. The cancellation tests point a client at it.
type hangingServer struct {
	url      string
	requests chan string // "METHOD /path" of each request, as it arrives
	closed   chan struct{}

	mu          sync.Mutex
	open        int // connections not yet closed by the client
	requestsAll int // requests seen in total
	conns       map[net.Conn]struct{}
	listener    net.Listener
	wg          sync.WaitGroup
}

func newHangingServer(t testing.TB) *hangingServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &hangingServer{
		url:      "http://" + l.Addr().String(),
		requests: make(chan string, 4096),
		closed:   make(chan struct{}, 4096),
		conns:    make(map[net.Conn]struct{}),
		listener: l,
	}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.stop)
	return s
}

func (s *hangingServer) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.listener.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.open++
		s.conns[conn] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(conn)
	}
}

// serve reads requests until the client closes the connection, and never writes a byte.
func (s *hangingServer) serve(conn net.Conn) {
	defer s.wg.Done()
	defer conn.Close()
	r := bufio.NewReader(conn)
	for {
		req, err := http.ReadRequest(r)
		if err != nil {
			break // EOF or reset: the client closed the connection
		}
		s.mu.Lock()
		s.requestsAll++
		s.mu.Unlock()
		s.requests <- req.Method + " " + req.URL.Path
	}
	s.mu.Lock()
	s.open--
	delete(s.conns, conn)
	s.mu.Unlock()
	s.closed <- struct{}{}
}

// counts returns the connections still open and the requests seen so far.
func (s *hangingServer) counts() (open, requests int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open, s.requestsAll
}

// waitRequest waits for the next request to arrive.
func (s *hangingServer) waitRequest(t testing.TB) string {
	t.Helper()
	select {
	case r := <-s.requests:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no request reached the hanging server within 10 s")
		return ""
	}
}

// waitClosed waits for the client to close one connection.
func (s *hangingServer) waitClosed(t testing.TB, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	select {
	case <-s.closed:
		return time.Since(start)
	case <-time.After(within):
		t.Fatalf("the client did not close its connection within %v", within)
		return 0
	}
}

// expectNoRequest fails when a request arrives within d.
func (s *hangingServer) expectNoRequest(t testing.TB, d time.Duration, why string) {
	t.Helper()
	select {
	case r := <-s.requests:
		t.Errorf("%s: a request arrived after all: %s", why, r)
	case <-time.After(d):
	}
}

// stop closes the listener and whatever connections are left (the tests check that clients
// closed theirs before), and waits for the server's goroutines.
func (s *hangingServer) stop() {
	s.listener.Close()
	s.mu.Lock()
	for conn := range s.conns {
		conn.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
