package image

import (
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// refNameAnnotation is how an OCI layout names its entries (skopeo's oci:DIR:NAME).
const refNameAnnotation = "org.opencontainers.image.ref.name"

// WriteLayout writes the index as an OCI image layout directory (replacing dir), under the
// reference name tag: `crane push DIR REF`, `skopeo copy --all oci:DIR:TAG docker://REF` and
// `oras cp` read it.
func WriteLayout(dir, tag string, idx v1.ImageIndex) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendIndex(idx, layout.WithAnnotations(map[string]string{refNameAnnotation: tag}))
}

// WriteDockerTarball writes one platform's image as a tarball `docker load` and `podman load`
// accept, tagged ref.
func WriteDockerTarball(file, ref string, img v1.Image) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("image reference %q: %w", ref, err)
	}
	return tarball.WriteToFile(file, tag, img)
}
