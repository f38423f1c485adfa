package plugins

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Bundled is the set of connectors that ships inside the roost binary:
// dist/index.json (digests and manifests, see host.BundleIndex) and the
// gzip-compressed modules it names. It is empty until the first vendor
// connector lands in plugins/, together with the tool that rebuilds dist
// from the plugin sources.
func Bundled() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded; it is always there
	}
	return sub
}
