package image

import (
	"bytes"
	"debug/elf"
	"os"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestCheckBinary(t *testing.T) {
	host := productBinary(t)
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := v1.Platform{OS: "linux", Architecture: "arm64"}
	dynamic, err := os.ReadFile("/bin/ls") // the machine's own, linked against libc
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		bin      []byte
		platform v1.Platform
		wantErr  string
	}{
		"static amd64 under amd64":      {bin: relabel(t, host, elf.EM_X86_64), platform: amd64},
		"static arm64 under arm64":      {bin: relabel(t, host, elf.EM_AARCH64), platform: arm64},
		"amd64 under arm64":             {bin: relabel(t, host, elf.EM_X86_64), platform: arm64, wantErr: "built for EM_X86_64, want EM_AARCH64"},
		"arm64 under amd64":             {bin: relabel(t, host, elf.EM_AARCH64), platform: amd64, wantErr: "built for EM_AARCH64"},
		"32-bit arm under arm64":        {bin: relabel(t, host, elf.EM_ARM), platform: arm64, wantErr: "want EM_AARCH64"},
		"dynamically linked":            {bin: dynamic, platform: v1.Platform{OS: "linux", Architecture: archOf(t, dynamic)}, wantErr: "dynamically linked"},
		"a shell script":                {bin: []byte("#!/bin/sh\nexec /backfill-operator \"$@\"\n"), platform: amd64, wantErr: "not an ELF executable"},
		"empty":                         {bin: nil, platform: amd64, wantErr: "not an ELF executable"},
		"a platform the image lacks":    {bin: host, platform: v1.Platform{OS: "linux", Architecture: "s390x"}, wantErr: "not one the image is built for"},
		"darwin is no image platform":   {bin: host, platform: v1.Platform{OS: "darwin", Architecture: "arm64"}, wantErr: "not one the image is built for"},
		"a truncated header":            {bin: host[:40], platform: amd64, wantErr: "not an ELF executable"},
		"an object file, not a program": {bin: retype(host, elf.ET_REL), platform: amd64, wantErr: "not an executable"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := CheckBinary(tc.bin, tc.platform)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err %v, want one saying %q", err, tc.wantErr)
			}
		})
	}
}

func TestIndexRefusesABinaryOfTheWrongArchitecture(t *testing.T) {
	o := options(t)
	o.Binaries["linux/arm64"] = o.Binaries["linux/amd64"]
	if _, err := Index(o); err == nil || !strings.Contains(err.Error(), "linux/arm64") {
		t.Fatalf("an amd64 binary under linux/arm64 built an index: err %v", err)
	}
}

// archOf names the image architecture of a binary of this machine (amd64 or arm64), so the
// dynamic case differs from a good one only by its interpreter.
func archOf(t *testing.T, bin []byte) string {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	for arch, m := range machines {
		if m == f.Machine {
			return arch
		}
	}
	t.Fatalf("this machine's binaries are built for %s, which the image does not support", f.Machine)
	return ""
}

func retype(bin []byte, typ elf.Type) []byte {
	out := bytes.Clone(bin)
	out[16], out[17] = byte(typ), byte(uint16(typ)>>8) // e_type, little-endian on both platforms
	return out
}
