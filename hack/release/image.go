package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ooheynerds/backfill-operator/internal/image"
)

// binaryFlags collects repeated --binary os/arch=path.
type binaryFlags map[string]string

func (b binaryFlags) String() string { return fmt.Sprint(map[string]string(b)) }
func (b binaryFlags) Set(v string) error {
	platform, file, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want os/arch=path, got %q", v)
	}
	b[platform] = file
	return nil
}

func imageCommand(args []string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	bins := binaryFlags{}
	fs.Var(bins, "binary", "os/arch=path of a static binary (repeat for each platform)")
	ca := fs.String("ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "PEM CA bundle to install (Debian's ca-certificates)")
	version := fs.String("version", "dev", "version the binaries were stamped with")
	revision := fs.String("revision", "unknown", "git revision the binaries were built from")
	epoch := fs.Int64("source-date-epoch", 0, "Unix time written into every timestamp (the commit time)")
	repo := fs.String("repository", "ghcr.io/ooheynerds/backfill-operator", "repository the tarballs are tagged with")
	layoutDir := fs.String("oci-layout", "", "write the multi-arch index as an OCI layout here")
	tarDir := fs.String("tar-dir", "", "write one docker-load tarball per platform here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o := image.Options{Binaries: map[string][]byte{}, Version: *version, Revision: *revision, Created: time.Unix(*epoch, 0).UTC()}
	var err error
	if o.CACerts, err = os.ReadFile(*ca); err != nil {
		return fmt.Errorf("reading the CA bundle: %w", err)
	}
	for platform, file := range bins {
		if o.Binaries[platform], err = os.ReadFile(file); err != nil {
			return err
		}
	}
	idx, err := image.Index(o)
	if err != nil {
		return err
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	ref := *repo + ":" + *version
	if *layoutDir != "" {
		if err := image.WriteLayout(*layoutDir, *version, idx); err != nil {
			return err
		}
		fmt.Printf("%s: OCI layout of %s (index %s)\n", *layoutDir, ref, digest)
	}
	if *tarDir != "" {
		if err := os.MkdirAll(*tarDir, 0o755); err != nil {
			return err
		}
		for _, p := range image.Platforms {
			img, err := image.Image(o, p)
			if err != nil {
				return err
			}
			file := filepath.Join(*tarDir, "backfill-operator-image-"+*version+"-"+p.OS+"-"+p.Architecture+".tar")
			if err := image.WriteDockerTarball(file, ref, img); err != nil {
				return err
			}
			d, _ := img.Digest()
			fmt.Printf("%s: %s for %s (docker load), manifest %s\n", file, ref, image.PlatformKey(p), d)
		}
	}
	return nil
}
