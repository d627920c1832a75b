package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"

	"github.com/ooheynerds/backfill-operator/internal/image"
)

func repoPath(p string) string { return filepath.Join("..", "..", p) }

// tinyBinary cross-compiles a program that does nothing, static, for linux/arch: a real
// binary of that architecture, small enough to build in every test run.
func tinyBinary(t *testing.T, dir, arch string) string {
	t.Helper()
	src := filepath.Join(dir, "tiny", "main.go")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "linux_"+arch, "backfill-operator")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch, "GOFLAGS=-mod=mod")
	cmd.Dir = filepath.Dir(src)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building a linux/%s binary: %v\n%s", arch, err, msg)
	}
	return out
}

// TestImageCommandWritesBothPlatforms runs `release image` as make image does, with real
// binaries of both architectures, and reads what it wrote back the way a registry client
// and `docker load` would.
func TestImageCommandWritesBothPlatforms(t *testing.T) {
	dir := t.TempDir()
	amd64, arm64 := tinyBinary(t, dir, "amd64"), tinyBinary(t, dir, "arm64")
	out := filepath.Join(dir, "dist")
	err := imageCommand([]string{"--version", "v1.2.3", "--revision", "abc", "--source-date-epoch", "1700000000",
		"--binary", "linux/amd64=" + amd64, "--binary", "linux/arm64=" + arm64,
		"--oci-layout", filepath.Join(out, "image"), "--tar-dir", out})
	if err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(filepath.Join(out, "image"))
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	topManifest, err := top.IndexManifest()
	if err != nil || len(topManifest.Manifests) != 1 {
		t.Fatalf("the layout holds %v (err %v), want one multi-arch index", topManifest, err)
	}
	idx, err := top.ImageIndex(topManifest.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		arch := d.Platform.Architecture
		seen[arch] = true
		if m := binaryMachine(t, img); m != map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch] {
			t.Errorf("the %s image carries a binary for %s", arch, m)
		}
	}
	if !seen["amd64"] || !seen["arm64"] || len(seen) != 2 {
		t.Errorf("platforms %v, want amd64 and arm64", seen)
	}
	for _, arch := range []string{"amd64", "arm64"} {
		file := filepath.Join(out, "backfill-operator-image-v1.2.3-linux-"+arch+".tar")
		img, err := tarball.ImageFromPath(file, nil)
		if err != nil {
			t.Fatalf("%s does not load: %v", file, err)
		}
		if cf, err := img.ConfigFile(); err != nil || cf.Architecture != arch || cf.Config.Labels["org.opencontainers.image.version"] != "v1.2.3" {
			t.Errorf("%s: config %+v, err %v", file, cf, err)
		}
	}

	// The easy mistake: the host's binary given for both platforms.
	err = imageCommand([]string{"--binary", "linux/amd64=" + amd64, "--binary", "linux/arm64=" + amd64, "--oci-layout", filepath.Join(dir, "wrong")})
	if err == nil || !strings.Contains(err.Error(), "linux/arm64") {
		t.Errorf("an amd64 binary under linux/arm64: err %v", err)
	}
}

// binaryMachine reads the entrypoint out of the image's layers and returns its ELF machine.
func binaryMachine(t *testing.T, img v1.Image) elf.Machine {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if "/"+hdr.Name != image.BinaryPath {
				continue
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			f, err := elf.NewFile(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s in the image is not ELF: %v", image.BinaryPath, err)
			}
			_ = rc.Close()
			return f.Machine
		}
		_ = rc.Close()
	}
	t.Fatalf("no %s in the image", image.BinaryPath)
	return 0
}

// TestChecksumsAreWhatSha256sumChecks writes SHA256SUMS and verifies it with the real
// sha256sum, as a user downloading the release would.
func TestChecksumsAreWhatSha256sumChecks(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"install.yaml": "kind: List\n", "kubectl-backfill-v1-linux-amd64.tar.gz": "\x1f\x8b binary", "with space.txt": "x"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "image"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checksumsCommand([]string{"--dir", dir}); err != nil {
		t.Fatal(err)
	}
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(sums), "\n"); n != 3 {
		t.Errorf("SHA256SUMS has %d lines, want one per file (directories and itself left out):\n%s", n, sums)
	}
	check := exec.Command("sha256sum", "--check", "--strict", "SHA256SUMS")
	check.Dir = dir
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum --check: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "install.yaml"), []byte("tampered\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := check.CombinedOutput(); err == nil {
		t.Fatalf("sha256sum accepted a changed file:\n%s", out)
	}
}

// TestChartCommandStampsTheVersion packages the chart as make release does and loads the
// archive back with Helm's loader.
func TestChartCommandStampsTheVersion(t *testing.T) {
	out := t.TempDir()
	if err := chartCommand([]string{"--chart", repoPath("charts/backfill-operator"), "--version", "v3.4.5", "--out", out}); err != nil {
		t.Fatal(err)
	}
	ch, err := loader.Load(filepath.Join(out, "backfill-operator-3.4.5.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	if ch.Metadata.Version != "3.4.5" || ch.Metadata.AppVersion != "v3.4.5" {
		t.Errorf("chart version %q appVersion %q, want 3.4.5 and v3.4.5", ch.Metadata.Version, ch.Metadata.AppVersion)
	}
}

// TestInstallManifestCommandSetsTheImage renders install.yaml with a release image and checks
// that the manager runs it and hands it to the month Jobs as their worker image.
func TestInstallManifestCommandSetsTheImage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "install.yaml")
	const img = "registry.example.com/backfill-operator:v9.9.9"
	if err := installManifestCommand([]string{"--config", repoPath("config"), "--image", img, "--out", out}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var deployments int
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var obj struct {
			Kind string `json:"kind"`
			Spec struct {
				Template struct {
					Metadata struct {
						Annotations map[string]string `json:"annotations"`
					} `json:"metadata"`
					Spec struct {
						Containers []struct {
							Image string `json:"image"`
						} `json:"containers"`
					} `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("install.yaml does not parse: %v", err)
		}
		if obj.Kind != "Deployment" {
			continue
		}
		deployments++
		tmpl := obj.Spec.Template
		if len(tmpl.Spec.Containers) != 1 || tmpl.Spec.Containers[0].Image != img {
			t.Errorf("the manager runs %+v, want %s", tmpl.Spec.Containers, img)
		}
		if got := tmpl.Metadata.Annotations["alexandria.ooheynerds.com/worker-image"]; got != img {
			t.Errorf("the month Jobs' worker image is %q, want %s", got, img)
		}
	}
	if deployments != 1 {
		t.Errorf("install.yaml holds %d Deployments, want the manager's", deployments)
	}
}
