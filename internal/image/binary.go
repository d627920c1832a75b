package image

import (
	"bytes"
	"debug/elf"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// machines maps an image architecture to the ELF machine its binary must be built for.
var machines = map[string]elf.Machine{
	"amd64": elf.EM_X86_64,
	"arm64": elf.EM_AARCH64,
}

// CheckBinary refuses a binary that would not start on platform p in an image without libc:
// not ELF, built for another machine (an amd64 binary under linux/arm64 is the easy release
// mistake: the image builds, and every pod on an arm64 node then dies with "exec format
// error"), or dynamically linked (it asks for an interpreter the image does not have).
func CheckBinary(bin []byte, p v1.Platform) error {
	want, ok := machines[p.Architecture]
	if !ok || p.OS != "linux" {
		return fmt.Errorf("platform %s is not one the image is built for", PlatformKey(p))
	}
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		return fmt.Errorf("binary for %s is not an ELF executable: %w", PlatformKey(p), err)
	}
	defer f.Close()
	if f.Machine != want {
		return fmt.Errorf("binary for %s is built for %s, want %s (cross-compile with GOOS=%s GOARCH=%s)",
			PlatformKey(p), f.Machine, want, p.OS, p.Architecture)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("binary for %s is an ELF %s, not an executable", PlatformKey(p), f.Type)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return fmt.Errorf("binary for %s is dynamically linked; build it with CGO_ENABLED=0 (the image has no libc)", PlatformKey(p))
		}
	}
	return nil
}
