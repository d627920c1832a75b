package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// writeArchive writes a release archive as make release does: the binary alone at the top.
func writeArchive(t *testing.T, path, member string, mode int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	body := []byte("#!/bin/sh\necho " + filepath.Base(path) + "\n")
	if err := tw.WriteHeader(&tar.Header{Name: member, Mode: mode, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type krewManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		Homepage         string `json:"homepage"`
		ShortDescription string `json:"shortDescription"`
		Description      string `json:"description"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			SHA256 string `json:"sha256"`
			Bin    string `json:"bin"`
			Files  []struct {
				From string `json:"from"`
				To   string `json:"to"`
			} `json:"files"`
		} `json:"platforms"`
	} `json:"spec"`
}

func TestKrewManifest(t *testing.T) {
	dir := t.TempDir()
	sums := map[string]string{}
	for _, p := range krewPlatforms {
		name := "kubectl-backfill-v1.2.3-" + p[0] + "-" + p[1] + ".tar.gz"
		sum := sha256.Sum256(writeArchive(t, filepath.Join(dir, name), "kubectl-backfill", 0o755))
		sums[p[0]+"/"+p[1]] = hex.EncodeToString(sum[:])
	}
	if err := krewCommand([]string{"--plugin", "kubectl-backfill", "--version", "v1.2.3", "--dir", dir, "--base-url", "https://example.com/dl"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "backfill.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m krewManifest
	if err := yaml.UnmarshalStrict(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" || m.Metadata.Name != "backfill" || m.Spec.Version != "v1.2.3" {
		t.Errorf("manifest head = %+v", m)
	}
	if m.Spec.ShortDescription == "" || strings.ContainsAny(m.Spec.ShortDescription, "\r\n") || m.Spec.Description == "" {
		t.Error("krew needs a one-line shortDescription and a description")
	}
	if len(m.Spec.Platforms) != 4 {
		t.Fatalf("%d platforms, want linux and darwin on amd64 and arm64", len(m.Spec.Platforms))
	}
	for _, p := range m.Spec.Platforms {
		key := p.Selector.MatchLabels["os"] + "/" + p.Selector.MatchLabels["arch"]
		want, ok := sums[key]
		if !ok || p.SHA256 != want {
			t.Errorf("%s: sha256 %s, want the archive's %s", key, p.SHA256, want)
		}
		delete(sums, key) // each platform once
		archive := "kubectl-backfill-v1.2.3-" + strings.ReplaceAll(key, "/", "-") + ".tar.gz"
		if p.URI != "https://example.com/dl/v1.2.3/"+archive {
			t.Errorf("%s: uri %s", key, p.URI)
		}
		if p.Bin != "kubectl-backfill" || len(p.Files) != 1 || p.Files[0].From != "kubectl-backfill" || p.Files[0].To != "." {
			t.Errorf("%s: bin %q files %+v", key, p.Bin, p.Files)
		}
	}

	// krew's own validator: structure, platforms that exist, no overlapping selectors
	if testing.Short() {
		return // it is built from the module proxy
	}
	cmd := exec.Command("go", "run", "sigs.k8s.io/krew/cmd/validate-krew-manifest@v0.4.3", "-manifest", path, "-skip-install")
	cmd.Dir = dir // outside this module: krew's go.mod, not ours, decides its dependencies
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("krew's validate-krew-manifest refused the manifest: %v\n%s", err, out)
	}
}

func TestKrewRefusesBrokenArchives(t *testing.T) {
	for name, tc := range map[string]struct {
		member string
		mode   int64
	}{
		"binary under a directory": {"bin/kubectl-backfill", 0o755},
		"binary not executable":    {"kubectl-backfill", 0o644},
		"another binary":           {"kubectl-other", 0o755},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, p := range krewPlatforms {
				writeArchive(t, filepath.Join(dir, "kubectl-backfill-v1.2.3-"+p[0]+"-"+p[1]+".tar.gz"), tc.member, tc.mode)
			}
			if err := krewCommand([]string{"--plugin", "kubectl-backfill", "--version", "v1.2.3", "--dir", dir}); err == nil {
				t.Error("a manifest was written for archives krew cannot install from")
			}
		})
	}
	dir := t.TempDir()
	if err := krewCommand([]string{"--plugin", "kubectl-backfill", "--version", "v1.2.3", "--dir", dir}); err == nil {
		t.Error("a manifest was written without archives")
	}
	if err := krewCommand([]string{"--plugin", "kubectl-backfill", "--version", "1.2.3", "--dir", dir}); err == nil {
		t.Error("a version without the v prefix was accepted")
	}
	if err := krewCommand([]string{"--plugin", "backfill", "--version", "v1.2.3", "--dir", dir}); err == nil {
		t.Error("a plugin not named kubectl-NAME was accepted")
	}
}
