package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	vdksecrets "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

// plain is what a Go program would write instead of using the binding: one shared
// http.Client (its Transport keeps a connection per goroutine), the access token fetched once
// with the API token (the refresh-token grant the library uses), and per read a GET with the
// headers the library sends (Accept, User-Agent, X-OPID, Authorization), a status check and
// encoding/json into a map. No retries, no token refresh, no size limit: less than the
// library does, so the comparison favours it.
type plain struct {
	http          *http.Client
	base          string
	userAgent     string
	opID          string
	authorization string
}

func newPlain(base, apiToken string, goroutines int) (*plain, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = goroutines + 16
	transport.MaxIdleConnsPerHost = goroutines + 16
	opID := make([]byte, 8)
	if _, err := rand.Read(opID); err != nil {
		return nil, err
	}
	p := &plain{
		http:      &http.Client{Transport: transport, Timeout: 60 * time.Second},
		base:      base,
		userAgent: strings.Replace(vdksecrets.Version(), " ", "/", 1), // what the library sends: vdk-secrets/0.1.0
		opID:      hex.EncodeToString(opID),
	}
	if apiToken != "" {
		token, err := p.accessToken(apiToken)
		if err != nil {
			return nil, err
		}
		p.authorization = "Bearer " + token
	}
	return p, nil
}

// accessToken exchanges the API token for an access token, once.
func (p *plain) accessToken(apiToken string) (string, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {apiToken}}
	req, err := http.NewRequest(http.MethodPost, p.base+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", p.userAgent)
	req.Header.Set("X-OPID", p.opID)
	resp, err := p.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token endpoint: HTTP %d", resp.StatusCode)
	}
	var answer struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return "", err
	}
	if answer.AccessToken == "" {
		return "", errors.New("token endpoint: no access_token")
	}
	return answer.AccessToken, nil
}

func (p *plain) readSecrets(ctx context.Context, job, team string) (map[string]any, error) {
	path := "/data-jobs/for-team/" + url.PathEscape(team) + "/jobs/" + url.PathEscape(job) + "/deployments/TODO/secrets"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", p.userAgent)
	req.Header.Set("X-OPID", p.opID)
	if p.authorization != "" {
		req.Header.Set("Authorization", p.authorization)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("read secrets: HTTP %d", resp.StatusCode)
	}
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body) // so the connection is reused
	return m, nil
}
