package main

import (
	"flag"
	"os"
	"path/filepath"

	"github.com/ooheynerds/backfill-operator/internal/installmanifest"
)

func installManifestCommand(args []string) error {
	fs := flag.NewFlagSet("install-manifest", flag.ContinueOnError)
	config := fs.String("config", "config", "the kustomize tree (config/default is rendered)")
	img := fs.String("image", "", "the operator image, NAME:TAG or NAME@sha256:DIGEST")
	out := fs.String("out", "dist/install.yaml", "where to write the manifest")
	if err := fs.Parse(args); err != nil {
		return err
	}
	data, err := installmanifest.Render(*config, *img)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(*out, data, 0o644)
}
