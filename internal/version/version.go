// Package version holds the build's identity, stamped at link time by the Makefile
// (-ldflags "-X .../internal/version.Version=v0.2.0 -X ...Revision=<git sha>"), so the
// binaries' --version, the image labels and backfill_build_info all report one value.
package version

import "runtime"

var (
	// Version is the release (a semantic version such as v0.2.0), or "dev" for a local build.
	Version = "dev"
	// Revision is the git commit the binary was built from, or "unknown".
	Revision = "unknown"
)

// GoVersion is the Go toolchain that built the binary.
func GoVersion() string { return runtime.Version() }

// String is the one-line form printed by --version.
func String() string { return Version + " (revision " + Revision + ", " + GoVersion() + ")" }
