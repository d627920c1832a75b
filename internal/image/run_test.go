package image

import (
	"archive/tar"
	"errors"
	"io"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// unpack writes the image's flattened filesystem (mutate.Extract, what a runtime sees) under dir,
// with the image's modes and owners.
func unpack(t *testing.T, dir string, o Options) {
	t.Helper()
	img, err := Image(o, Platforms[0])
	if err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	for hdr, data := range tarEntries(t, rc) {
		target := filepath.Join(dir, hdr.Name)
		if !strings.HasPrefix(target, dir+string(os.PathSeparator)) {
			t.Fatalf("entry %q escapes the root", hdr.Name)
		}
		mode := os.FileMode(hdr.Mode).Perm() | map[bool]os.FileMode{true: os.ModeSticky}[hdr.Mode&0o1000 != 0]
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.WriteFile(target, data, 0o600); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("unexpected entry type %c for %s", hdr.Typeflag, hdr.Name)
		}
		if err := os.Chmod(target, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(target, hdr.Uid, hdr.Gid); err != nil {
			t.Fatal(err)
		}
	}
}

// tarEntries yields each entry of a tar stream with its content; a broken stream fails the test.
func tarEntries(t *testing.T, r io.Reader) iter.Seq2[*tar.Header, []byte] {
	return func(yield func(*tar.Header, []byte) bool) {
		tr := tar.NewReader(r)
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if !yield(hdr, data) {
				return
			}
		}
	}
}

// TestBinaryRunsFromTheImageAsNonroot unpacks the image and runs its entrypoint the way the
// restricted pod security settings of the manifests do, as far as this machine allows: in a
// private mount namespace where the unpacked root is bind-mounted read-only, chrooted into it
// (so only the image's files exist: no shell, no libc), as UID/GID 65532 with no supplementary
// groups. A process that setuid()s from root to a non-root user loses every capability, which
// is what drop: [ALL] asks. Seccomp RuntimeDefault is the container runtime's profile and is not
// applied here.
func TestBinaryRunsFromTheImageAsNonroot(t *testing.T) {
	// make test runs as root on Linux (as CI does); only -short may leave this out
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		if testing.Short() {
			t.Skip("needs root on Linux to chroot and change user")
		}
		t.Fatal("needs root on Linux to chroot and change user (run make test as root, or -short)")
	}
	for _, tool := range []string{"unshare", "mount", "chroot"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (util-linux, coreutils)", tool)
		}
	}
	o := options(t)
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	unpack(t, root, o)

	run := func(args ...string) (string, error) {
		script := `set -e; mount --make-rprivate / ; mount --bind "$1" "$1"; mount -o remount,bind,ro "$1"; shift; exec chroot --userspec=65532:65532 --groups= "$@"`
		cmd := exec.Command("unshare", append([]string{"--mount", "--", "sh", "-c", script, "sh", root, root, BinaryPath}, args...)...)
		cmd.Env = []string{"SSL_CERT_FILE=" + CABundlePath}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("--version")
	if err != nil {
		t.Fatalf("the entrypoint did not run as 65532 from the read-only image root: %v\n%s", err, out)
	}
	if want := "backfill-operator " + testVersion + " (revision " + testRevision; !strings.HasPrefix(out, want) {
		t.Errorf("--version printed %q, want it to start with %q", out, want)
	}
	// The worker and manager commands exist in the image's binary.
	for _, sub := range []string{"manager", "worker"} {
		if out, err := run(sub, "--help"); err != nil || !strings.Contains(out, "Usage:") {
			t.Errorf("%s --help from the image: %v\n%s", sub, err, out)
		}
	}
	// The same namespace set-up really makes the root read-only: even root cannot create a
	// file in it there.
	probe := `set -e; mount --make-rprivate / ; mount --bind "$1" "$1"; mount -o remount,bind,ro "$1"; touch "$1/probe"`
	if out, err := exec.Command("unshare", "--mount", "--", "sh", "-c", probe, "sh", root).CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "Read-only file system") {
		t.Errorf("writing into the read-only image root: err %v, output %q; want Read-only file system", err, out)
	}
}
