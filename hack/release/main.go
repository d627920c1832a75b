// Command release builds what users install, without a container engine: the OCI image
// (make image), the single install manifest (make install-manifest), the packaged Helm chart,
// checksums and the krew manifest (make release). It is a development tool: the product
// binary imports none of go-containerregistry, Helm or kustomize.
package main

import (
	"fmt"
	"os"
)

var commands = map[string]func(args []string) error{
	"image":            imageCommand,
	"install-manifest": installManifestCommand,
	"chart":            chartCommand,
	"checksums":        checksumsCommand,
	"krew":             krewCommand,
}

func main() {
	if len(os.Args) < 2 || commands[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: release image|install-manifest|chart|checksums|krew [flags]")
		os.Exit(2)
	}
	if err := commands[os.Args[1]](os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "release "+os.Args[1]+":", err)
		os.Exit(1)
	}
}
