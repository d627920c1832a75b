package image

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const testVersion, testRevision = "v9.8.7", "0123456789abcdef0123456789abcdef01234567"

var created = time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)

var (
	buildOnce sync.Once
	binary    []byte
	buildErr  error
)

// productBinary builds cmd/backfill-operator for this machine the way the Makefile does
// (static, -trimpath, version stamped), once per test run, under bin/ (cached by Go's build cache).
func productBinary(t *testing.T) []byte {
	t.Helper()
	buildOnce.Do(func() {
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			buildErr = err
			return
		}
		out := filepath.Join(root, "bin", "image-test", runtime.GOOS+"_"+runtime.GOARCH, "backfill-operator")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags",
			"-X github.com/ooheynerds/backfill-operator/internal/version.Version="+testVersion+
				" -X github.com/ooheynerds/backfill-operator/internal/version.Revision="+testRevision,
			"-o", out, "./cmd/backfill-operator")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if msg, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(string(msg))
			return
		}
		binary, buildErr = os.ReadFile(out)
	})
	if buildErr != nil {
		t.Fatalf("building the operator: %v", buildErr)
	}
	return binary
}

func caBundle(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		if testing.Short() {
			t.Skipf("no Debian CA bundle: %v", err)
		}
		t.Fatalf("no Debian CA bundle (hack/install-deps.sh installs ca-certificates): %v", err)
	}
	return data
}

// options puts the host's binary under every platform, relabelled in its ELF header for the
// other architectures: these tests check the image's assembly (make image puts a really
// cross-compiled binary under each platform), and a relabelled copy passes CheckBinary.
func options(t *testing.T) Options {
	bin := productBinary(t)
	o := Options{Binaries: map[string][]byte{}, CACerts: caBundle(t), Version: testVersion, Revision: testRevision, Created: created}
	for _, p := range Platforms {
		o.Binaries[PlatformKey(p)] = relabel(t, bin, machines[p.Architecture])
	}
	return o
}

// relabel returns a copy of an ELF binary whose header claims machine m.
func relabel(t *testing.T, bin []byte, m elf.Machine) []byte {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(bin)
	f.ByteOrder.PutUint16(out[18:20], uint16(m)) // e_machine, after e_ident[16] and e_type
	return out
}

type entry struct {
	hdr     *tar.Header
	content []byte
}

// flatten reads every layer in order, the way a runtime unpacks them.
func flatten(t *testing.T, img v1.Image) (map[string]entry, []string) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]entry{}
	var order []string
	for _, l := range layers {
		if mt, _ := l.MediaType(); mt != types.OCILayer {
			t.Errorf("layer media type %s, want %s", mt, types.OCILayer)
		}
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for hdr, data := range tarEntries(t, rc) {
			name := "/" + strings.TrimSuffix(hdr.Name, "/")
			files[name] = entry{hdr, data}
			names = append(names, name)
			order = append(order, name)
			if !hdr.ModTime.Equal(created) {
				t.Errorf("%s has mtime %s, want the fixed %s", name, hdr.ModTime, created)
			}
			if hdr.Uname != "" || hdr.Gname != "" {
				t.Errorf("%s carries owner names %q/%q from the building machine", name, hdr.Uname, hdr.Gname)
			}
		}
		rc.Close()
		if !slices.IsSorted(names) {
			t.Errorf("layer entries are not sorted: %q", names)
		}
	}
	return files, order
}

func TestImageConfig(t *testing.T) {
	o := options(t)
	for _, p := range Platforms {
		t.Run(PlatformKey(p), func(t *testing.T) {
			img, err := Image(o, p)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			c := cf.Config
			if c.User != "65532:65532" {
				t.Errorf("user %q, want 65532:65532 (numeric, so runAsNonRoot can check it)", c.User)
			}
			if !slices.Equal(c.Entrypoint, []string{"/backfill-operator"}) || !slices.Equal(c.Cmd, []string{"manager"}) {
				t.Errorf("entrypoint %q cmd %q, want [/backfill-operator] [manager]", c.Entrypoint, c.Cmd)
			}
			if !slices.Equal(c.Env, []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}) {
				t.Errorf("env %q", c.Env)
			}
			for k, want := range map[string]string{
				"org.opencontainers.image.source":   "https://github.com/ooheynerds/backfill-operator",
				"org.opencontainers.image.version":  testVersion,
				"org.opencontainers.image.revision": testRevision,
				"org.opencontainers.image.created":  "2026-05-04T03:02:01Z",
			} {
				if c.Labels[k] != want {
					t.Errorf("label %s = %q, want %q", k, c.Labels[k], want)
				}
			}
			if cf.OS != p.OS || cf.Architecture != p.Architecture || !cf.Created.Equal(created) {
				t.Errorf("config platform %s/%s created %s", cf.OS, cf.Architecture, cf.Created)
			}
			if mt, _ := img.MediaType(); mt != types.OCIManifestSchema1 {
				t.Errorf("manifest media type %s", mt)
			}
		})
	}
}

func TestImageFileTree(t *testing.T) {
	o := options(t)
	img, err := Image(o, Platforms[0])
	if err != nil {
		t.Fatal(err)
	}
	files, _ := flatten(t, img)
	want := map[string]struct {
		mode     int64
		uid, gid int
		dir      bool
	}{
		"/backfill-operator":                 {0o755, 0, 0, false},
		"/etc":                               {0o755, 0, 0, true},
		"/etc/passwd":                        {0o644, 0, 0, false},
		"/etc/group":                         {0o644, 0, 0, false},
		"/etc/ssl":                           {0o755, 0, 0, true},
		"/etc/ssl/certs":                     {0o755, 0, 0, true},
		"/etc/ssl/certs/ca-certificates.crt": {0o644, 0, 0, false},
		"/home":                              {0o755, 0, 0, true},
		"/home/nonroot":                      {0o700, 65532, 65532, true},
		"/tmp":                               {0o1777, 0, 0, true},
	}
	for name, w := range want {
		e, ok := files[name]
		if !ok {
			t.Errorf("image lacks %s", name)
			continue
		}
		if e.hdr.Mode != w.mode || e.hdr.Uid != w.uid || e.hdr.Gid != w.gid || (e.hdr.Typeflag == tar.TypeDir) != w.dir {
			t.Errorf("%s: mode %o uid %d gid %d dir %v; want %o %d %d %v", name, e.hdr.Mode, e.hdr.Uid, e.hdr.Gid,
				e.hdr.Typeflag == tar.TypeDir, w.mode, w.uid, w.gid, w.dir)
		}
	}
	for name := range files {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected file %s in the image (no shell, nothing else)", name)
		}
	}
	if !bytes.Equal(files["/backfill-operator"].content, o.Binaries["linux/amd64"]) {
		t.Error("/backfill-operator is not the binary given")
	}
	if !bytes.Equal(files[CABundlePath].content, o.CACerts) {
		t.Error("the CA bundle is not the one given")
	}
	if !strings.Contains(string(files["/etc/passwd"].content), "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n") ||
		!strings.Contains(string(files["/etc/group"].content), "nonroot:x:65532:\n") {
		t.Errorf("passwd/group lack the nonroot user:\n%s%s", files["/etc/passwd"].content, files["/etc/group"].content)
	}
}

func TestIndexIsReproducible(t *testing.T) {
	o := options(t)
	digest := func(o Options) v1.Hash {
		idx, err := Index(o)
		if err != nil {
			t.Fatal(err)
		}
		d, err := idx.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	first := digest(o)
	if again := digest(o); again != first {
		t.Fatalf("the same inputs gave %s and %s", first, again)
	}
	changed := map[string]func(*Options){
		"version":  func(o *Options) { o.Version = "v9.8.8" },
		"revision": func(o *Options) { o.Revision = "fedcba" },
		"created":  func(o *Options) { o.Created = o.Created.Add(time.Second) },
		"binary": func(o *Options) {
			o.Binaries = map[string][]byte{"linux/amd64": append(slices.Clone(o.Binaries["linux/amd64"]), 0), "linux/arm64": o.Binaries["linux/arm64"]}
		},
		"CA bundle": func(o *Options) { o.CACerts = append(slices.Clone(o.CACerts), '\n') },
	}
	for what, change := range changed {
		c := o
		change(&c)
		if digest(c) == first {
			t.Errorf("changing the %s kept the digest", what)
		}
	}

	idx, err := Index(o)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var platforms []string
	for _, d := range m.Manifests {
		platforms = append(platforms, d.Platform.OS+"/"+d.Platform.Architecture)
	}
	if !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) || m.MediaType != types.OCIImageIndex {
		t.Errorf("index %s has %q, want an OCI index of linux/amd64 and linux/arm64", m.MediaType, platforms)
	}
}

func TestMissingInputsAreErrors(t *testing.T) {
	o := options(t)
	noArm := o
	noArm.Binaries = map[string][]byte{"linux/amd64": o.Binaries["linux/amd64"]}
	if _, err := Index(noArm); err == nil || !strings.Contains(err.Error(), "linux/arm64") {
		t.Errorf("an index without an arm64 binary: err %v", err)
	}
	noCA := o
	noCA.CACerts = nil
	if _, err := Index(noCA); err == nil {
		t.Error("an image without a CA bundle was built")
	}
}

// TestWrittenFormatsReadBack writes the OCI layout and a docker tarball and reads both back with
// go-containerregistry's readers (what crane and skopeo use): same digests, same tag.
func TestWrittenFormatsReadBack(t *testing.T) {
	o := options(t)
	idx, err := Index(o)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	if err := WriteLayout(dir, testVersion, idx); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := top.IndexManifest()
	want, _ := idx.Digest()
	if len(tm.Manifests) != 1 || tm.Manifests[0].Digest != want || tm.Manifests[0].Annotations[refNameAnnotation] != testVersion {
		t.Fatalf("layout index.json = %+v, want one entry %s named %s", tm.Manifests, want, testVersion)
	}

	img, _ := Image(o, Platforms[0])
	file := filepath.Join(t.TempDir(), "image.tar")
	if err := WriteDockerTarball(file, "ghcr.io/ooheynerds/backfill-operator:"+testVersion, img); err != nil {
		t.Fatal(err)
	}
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(file) })
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || !slices.Equal(m[0].RepoTags, []string{"ghcr.io/ooheynerds/backfill-operator:" + testVersion}) {
		t.Errorf("docker tarball manifest = %+v", m)
	}
	loaded, err := tarball.ImageFromPath(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	// docker load keeps config and layers; compare them (the tarball has no manifest digest of its own).
	lc, _ := loaded.ConfigName()
	ic, _ := img.ConfigName()
	if lc != ic {
		t.Errorf("tarball config %s, image config %s", lc, ic)
	}
	if err := WriteDockerTarball(file, "no tag here!", img); err == nil {
		t.Error("an invalid reference was accepted")
	}
}
