package image

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDockerfileDescribesTheSameImage reads the Dockerfile's final stage and checks it declares
// what the Docker-free build makes: the user, the entrypoint, the command and the binary's path,
// on a base that provides the same nonroot passwd entry, CA bundle, /tmp and home (distroless
// static:nonroot, which cannot be pulled here to compare its files byte for byte).
func TestDockerfileDescribesTheSameImage(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var final []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "FROM ") {
			final = nil
		}
		final = append(final, line)
	}
	instr := map[string]string{}
	var copies []string
	for _, l := range final {
		op, rest, _ := strings.Cut(l, " ")
		if op == "COPY" {
			copies = append(copies, rest)
		}
		instr[op] = rest
	}
	if instr["FROM"] != "gcr.io/distroless/static:nonroot" {
		t.Errorf("final stage FROM %q: the Go-built image mirrors distroless/static:nonroot", instr["FROM"])
	}
	if instr["USER"] != User {
		t.Errorf("Dockerfile USER %q, image user %q", instr["USER"], User)
	}
	jsonList := func(s string) []string {
		var out []string
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			t.Errorf("%q is not an exec-form list: %v", s, err)
		}
		return out
	}
	if got := jsonList(instr["ENTRYPOINT"]); !slices.Equal(got, []string{BinaryPath}) {
		t.Errorf("Dockerfile ENTRYPOINT %q, image %q", got, BinaryPath)
	}
	if got := jsonList(instr["CMD"]); !slices.Equal(got, []string{DefaultCommand}) {
		t.Errorf("Dockerfile CMD %q, image %q", got, DefaultCommand)
	}
	if len(copies) != 1 || !strings.HasSuffix(copies[0], " "+BinaryPath) {
		t.Errorf("Dockerfile copies %q; want exactly the binary to %s (everything else is the base's)", copies, BinaryPath)
	}
	// The files the Go-built image adds beside the binary are the ones distroless documents.
	var paths []string
	for _, f := range BaseFiles([]byte("x")) {
		paths = append(paths, f.Path)
	}
	for _, p := range []string{"/etc/passwd", "/etc/group", CABundlePath, "/tmp", HomeDir} {
		if !slices.Contains(paths, p) {
			t.Errorf("the Go-built image lacks %s, which the Dockerfile's base provides", p)
		}
	}
}
