package kernelspec

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"image/png"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"testing"
)

// TestDirIsKernelspec checks the kernel.json in the source tree, which
// `jupyter kernelspec install ./kernelspec` copies as it is.
func TestDirIsKernelspec(t *testing.T) {
	data, err := os.ReadFile(FileName)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var got Spec
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("kernel.json: %v", err)
	}
	want := Spec{
		Argv:          []string{"gokernel", "kernel", "{connection_file}"},
		DisplayName:   "Go",
		Language:      "go",
		InterruptMode: "message",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("kernel.json = %+v, want %+v", got, want)
	}
}

func TestFiles(t *testing.T) {
	var names []string
	err := fs.WalkDir(Files(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, name)
		// The embedded copy must be the file in the source tree.
		disk, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		embedded, err := fs.ReadFile(Files(), name)
		if err != nil {
			return err
		}
		if !bytes.Equal(disk, embedded) {
			t.Errorf("embedded %s differs from the file on disk", name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"kernel.json", "logo-32x32.png", "logo-64x64.png", "logo-svg.svg"}
	if !slices.Equal(names, want) {
		t.Errorf("Files() holds %q, want %q", names, want)
	}
}

func TestLogos(t *testing.T) {
	for _, tt := range []struct {
		name string
		size int
	}{
		{"logo-32x32.png", 32},
		{"logo-64x64.png", 64},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Files().Open(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cfg, err := png.DecodeConfig(f)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Width != tt.size || cfg.Height != tt.size {
				t.Errorf("%s is %dx%d, want %dx%d", tt.name, cfg.Width, cfg.Height, tt.size, tt.size)
			}
		})
	}
	t.Run("logo-svg.svg", func(t *testing.T) {
		data, err := fs.ReadFile(Files(), "logo-svg.svg")
		if err != nil {
			t.Fatal(err)
		}
		var svg struct {
			XMLName xml.Name
			ViewBox string `xml:"viewBox,attr"`
		}
		if err := xml.Unmarshal(data, &svg); err != nil {
			t.Fatalf("logo-svg.svg: %v", err)
		}
		if svg.XMLName.Space != "http://www.w3.org/2000/svg" || svg.XMLName.Local != "svg" {
			t.Errorf("root element is %v, want svg in the SVG namespace", svg.XMLName)
		}
		if svg.ViewBox != "0 0 64 64" {
			t.Errorf("viewBox = %q, want %q", svg.ViewBox, "0 0 64 64")
		}
	})
}

func TestKernelJSON(t *testing.T) {
	for _, tt := range []struct {
		name        string
		bin         string
		displayName string
		wantDisplay string
	}{
		{"default display name", "/usr/local/bin/gokernel", "", "Go"},
		{"custom display name", "/opt/go kernel/gokernel", "Go (tip)", "Go (tip)"},
		{"characters JSON escapes", `C:\Go "kernels"\gokernel.exe`, "Go <&> ✓", "Go <&> ✓"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data, err := KernelJSON(tt.bin, tt.displayName)
			if err != nil {
				t.Fatal(err)
			}
			var got Spec
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("KernelJSON output %s: %v", data, err)
			}
			want := Spec{
				Argv:          []string{tt.bin, "kernel", "{connection_file}"},
				DisplayName:   tt.wantDisplay,
				Language:      "go",
				InterruptMode: "message",
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("KernelJSON(%q, %q) = %+v, want %+v", tt.bin, tt.displayName, got, want)
			}
		})
	}
}

func TestKernelJSONNoBinary(t *testing.T) {
	if _, err := KernelJSON("", "Go"); err == nil {
		t.Error(`KernelJSON("", "Go") succeeded, want an error`)
	}
}
