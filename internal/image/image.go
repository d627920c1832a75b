// Package image builds the operator's OCI image without a container engine: the static
// binary on an otherwise empty root filesystem (passwd/group for the nonroot user, the CA
// bundle, /tmp, the nonroot home), one image per platform under one multi-arch index.
// Every byte is a function of the inputs (fixed timestamps, sorted entries), so the same
// binaries, CA bundle and version give the same digest.
package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// What the image is, declared once: the Dockerfile test, the manifests and the docs agree
// with these.
const (
	// BinaryPath is the entrypoint; the Deployment and the month Jobs run it by this path.
	BinaryPath = "/backfill-operator"
	// UID and GID are distroless' "nonroot" user, which the Dockerfile's base also runs as.
	UID = 65532
	GID = 65532
	// UserName is the nonroot user's name in /etc/passwd and /etc/group.
	UserName = "nonroot"
	// HomeDir is the nonroot user's home, owned by it (the only writable place besides /tmp,
	// and only when the root filesystem is not mounted read-only).
	HomeDir = "/home/nonroot"
	// CABundlePath is where Go's crypto/x509 looks first on Linux (and SSL_CERT_FILE points).
	CABundlePath = "/etc/ssl/certs/ca-certificates.crt"
	// DefaultCommand is the image's CMD: the Deployment's args start with it too.
	DefaultCommand = "manager"
	// Source is the repository the org.opencontainers.image.source label names.
	Source = "https://github.com/ooheynerds/backfill-operator"
)

// User is the config's user, numeric so that runAsNonRoot can verify it without /etc/passwd.
var User = strconv.Itoa(UID) + ":" + strconv.Itoa(GID)

// Platforms are the platforms a release builds, in index order.
var Platforms = []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}

// Options are everything an image is a function of.
type Options struct {
	// Binaries maps "os/arch" to the static binary built for it.
	Binaries map[string][]byte
	// CACerts is the PEM bundle installed at CABundlePath.
	CACerts []byte
	// Version and Revision are what the binary was stamped with (internal/version).
	Version, Revision string
	// Created is the time written into every timestamp (config, history, files); releases use
	// the commit's time (SOURCE_DATE_EPOCH), so a rebuild from the same commit is identical.
	Created time.Time
}

// Labels are the OCI annotations both the image config and the index carry.
func (o Options) Labels() map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "backfill-operator",
		"org.opencontainers.image.description": "Kubernetes operator that backfills the Alexandria book database month by month",
		"org.opencontainers.image.source":      Source,
		"org.opencontainers.image.url":         Source,
		"org.opencontainers.image.version":     o.Version,
		"org.opencontainers.image.revision":    o.Revision,
		"org.opencontainers.image.created":     o.Created.UTC().Format(time.RFC3339),
	}
}

// Env is the image's environment: only the CA bundle, which Go would find anyway, named so
// that other TLS stacks in debugging sidecars sharing the rootfs find it too.
var Env = []string{"SSL_CERT_FILE=" + CABundlePath}

// PlatformKey is the key of a platform in Options.Binaries.
func PlatformKey(p v1.Platform) string { return p.OS + "/" + p.Architecture }

// Index builds the multi-arch index of one image per platform in Platforms.
func Index(o Options) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	idx = mutate.Annotations(idx, o.Labels()).(v1.ImageIndex)
	for _, p := range Platforms {
		img, err := Image(o, p)
		if err != nil {
			return nil, err
		}
		platform := p
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &platform},
		})
	}
	return idx, nil
}

// Image builds the image of one platform.
func Image(o Options, p v1.Platform) (v1.Image, error) {
	bin, ok := o.Binaries[PlatformKey(p)]
	if !ok || len(bin) == 0 {
		return nil, fmt.Errorf("no binary for %s", PlatformKey(p))
	}
	if err := CheckBinary(bin, p); err != nil {
		return nil, err
	}
	if len(o.CACerts) == 0 {
		return nil, fmt.Errorf("no CA bundle")
	}
	created := v1.Time{Time: o.Created.UTC()}
	base, err := layer(o.Created, BaseFiles(o.CACerts))
	if err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}
	binary, err := layer(o.Created, []File{{Path: BinaryPath, Mode: 0o755, Content: bin}})
	if err != nil {
		return nil, fmt.Errorf("binary layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, MediaType: types.OCILayer, History: v1.History{
			Created: created, CreatedBy: "backfill-operator image: nonroot passwd/group, CA bundle, /tmp, " + HomeDir}},
		mutate.Addendum{Layer: binary, MediaType: types.OCILayer, History: v1.History{
			Created: created, CreatedBy: "backfill-operator image: " + BinaryPath + " " + o.Version}},
	)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Created = created
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Author = Source
	cf.Config = v1.Config{
		User:       User,
		Entrypoint: []string{BinaryPath},
		Cmd:        []string{DefaultCommand},
		Env:        slices.Clone(Env),
		WorkingDir: "/",
		Labels:     o.Labels(),
	}
	return mutate.ConfigFile(img, cf)
}

// File is one entry of a layer.
type File struct {
	Path     string // absolute
	Mode     int64
	UID, GID int
	Dir      bool
	Content  []byte
}

// BaseFiles is the root filesystem under the binary: what distroless/static:nonroot (the
// Dockerfile's base) provides that the operator relies on.
func BaseFiles(caCerts []byte) []File {
	passwd := "root:x:0:0:root:/root:/sbin/nologin\n" +
		UserName + ":x:" + strconv.Itoa(UID) + ":" + strconv.Itoa(GID) + ":" + UserName + ":" + HomeDir + ":/sbin/nologin\n"
	group := "root:x:0:\n" + UserName + ":x:" + strconv.Itoa(GID) + ":\n"
	return []File{
		{Path: "/etc", Mode: 0o755, Dir: true},
		{Path: "/etc/group", Mode: 0o644, Content: []byte(group)},
		{Path: "/etc/passwd", Mode: 0o644, Content: []byte(passwd)},
		{Path: "/etc/ssl", Mode: 0o755, Dir: true},
		{Path: "/etc/ssl/certs", Mode: 0o755, Dir: true},
		{Path: CABundlePath, Mode: 0o644, Content: caCerts},
		{Path: "/home", Mode: 0o755, Dir: true},
		{Path: HomeDir, Mode: 0o700, UID: UID, GID: GID, Dir: true},
		{Path: "/tmp", Mode: 0o1777, Dir: true},
	}
}

// layer writes files as one uncompressed tar, sorted by path, every timestamp set to created,
// no user or group names: nothing of the building machine leaks into the digest.
func layer(created time.Time, files []File) (v1.Layer, error) {
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path {
			return nil, fmt.Errorf("layer path %q is not clean and absolute", f.Path)
		}
		hdr := &tar.Header{
			Name:    f.Path[1:],
			Mode:    f.Mode,
			Uid:     f.UID,
			Gid:     f.GID,
			ModTime: created.UTC(),
			Format:  tar.FormatPAX,
		}
		if f.Dir {
			hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
		} else {
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(f.Content))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Content); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}
