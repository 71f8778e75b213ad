// Package kernelspec holds gokernel's Jupyter kernel specification: the
// kernel.json that tells Jupyter how to start the kernel, and the logos.
//
// The directory holding this package is itself a kernelspec, so
//
//	jupyter kernelspec install ./kernelspec --user --name go
//
// works from a checkout, with a kernel.json that finds gokernel on PATH. The
// same files are embedded in the binary: `gokernel install` writes them out
// with [Files], and [KernelJSON] points argv at the installed binary.
package kernelspec

//go:generate go run ./internal/genlogo -o .

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
)

// Name is the kernel name gokernel is installed under unless told otherwise:
// `jupyter console --kernel go`.
const Name = "go"

// FileName is the name of the kernel specification file in a kernelspec
// directory.
const FileName = "kernel.json"

// Spec is the content of kernel.json, as far as gokernel uses it. See
// https://jupyter-client.readthedocs.io/en/stable/kernels.html#kernel-specs.
type Spec struct {
	// Argv is the command that starts the kernel. Jupyter replaces
	// "{connection_file}" with the path of the connection file.
	Argv        []string `json:"argv"`
	DisplayName string   `json:"display_name"`
	Language    string   `json:"language"`
	// InterruptMode is "message": Jupyter interrupts a cell with an
	// interrupt_request on the control socket rather than SIGINT, which
	// the kernel could not forward reliably to the worker on every platform.
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env,omitempty"`
	Metadata      map[string]any    `json:"metadata,omitempty"`
}

//go:embed kernel.json logo-32x32.png logo-64x64.png logo-svg.svg
var files embed.FS

// Files returns the kernelspec directory: kernel.json and the logos, at its
// root. Its kernel.json starts "gokernel" from PATH; an installer writes the
// one from [KernelJSON] instead.
func Files() fs.FS { return files }

// Default returns the specification in the embedded kernel.json.
func Default() (Spec, error) {
	data, err := files.ReadFile(FileName)
	if err != nil {
		return Spec{}, fmt.Errorf("kernelspec: %w", err)
	}
	var s Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return Spec{}, fmt.Errorf("kernelspec: decoding embedded %s: %w", FileName, err)
	}
	if len(s.Argv) == 0 {
		return Spec{}, fmt.Errorf("kernelspec: embedded %s has an empty argv", FileName)
	}
	return s, nil
}

// KernelJSON returns the content of kernel.json for the gokernel binary at
// bin, which should be an absolute path, since Jupyter starts the kernel from
// whatever directory it runs in. An empty displayName keeps the default ("Go").
func KernelJSON(bin, displayName string) ([]byte, error) {
	if bin == "" {
		return nil, fmt.Errorf("kernelspec: no binary path")
	}
	s, err := Default()
	if err != nil {
		return nil, err
	}
	s.Argv[0] = bin
	if displayName != "" {
		s.DisplayName = displayName
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	// A path or display name with "<" or "&" stays readable.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("kernelspec: encoding %s: %w", FileName, err)
	}
	return buf.Bytes(), nil
}
