// Command gomodzip writes one version of a Go module into a module proxy tree, the layout
// GOPROXY=file://DIR reads: DIR/<module>/@v/{list,<version>.info,<version>.mod,<version>.zip}.
// The zip is made by golang.org/x/mod/zip, the code the go command uses to check module zips,
// so it holds what `go get` would accept and nothing it would refuse.
//
//	go run ./packaging/gomodzip -proxy OUT/goproxy -version v0.1.0 -time 2026-11-30T05:00:00Z MODULE_DIR
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

func main() {
	proxy := flag.String("proxy", "", "root of the module proxy tree to write into")
	version := flag.String("version", "", "the module version, e.g. v0.1.0")
	stamp := flag.String("time", "", "the version's time (RFC 3339), e.g. the release commit's date")
	flag.Parse()
	if *proxy == "" || *version == "" || *stamp == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: gomodzip -proxy DIR -version vX.Y.Z -time RFC3339 MODULE_DIR")
		os.Exit(2)
	}
	if err := run(*proxy, *version, *stamp, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "gomodzip:", err)
		os.Exit(1)
	}
}

func run(proxy, version, stamp, dir string) error {
	when, err := time.Parse(time.RFC3339, stamp)
	if err != nil {
		return fmt.Errorf("-time: %w", err)
	}
	goMod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	path := modfile.ModulePath(goMod)
	if path == "" {
		return fmt.Errorf("%s/go.mod names no module", dir)
	}
	mod := module.Version{Path: path, Version: version}
	if err := module.Check(path, version); err != nil {
		return err
	}
	escaped, err := module.EscapePath(path)
	if err != nil {
		return err
	}
	versionDir := filepath.Join(proxy, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(versionDir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(versionDir, version)

	zipFile, err := os.Create(base + ".zip")
	if err != nil {
		return err
	}
	if err := modzip.CreateFromDir(zipFile, mod, dir); err != nil {
		zipFile.Close()
		return fmt.Errorf("zipping %s: %w", dir, err)
	}
	if err := zipFile.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(base+".mod", goMod, 0o644); err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, when.UTC()})
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".info", append(info, '\n'), 0o644); err != nil {
		return err
	}
	return addToList(filepath.Join(versionDir, "list"), version)
}

// addToList keeps @v/list, the versions the proxy offers, one per line, with no duplicates.
func addToList(list, version string) error {
	old, err := os.ReadFile(list)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	seen := map[string]bool{version: true}
	for _, v := range strings.Fields(string(old)) {
		seen[v] = true
	}
	versions := make([]string, 0, len(seen))
	for v := range seen {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	return os.WriteFile(list, []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}
