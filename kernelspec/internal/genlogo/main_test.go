package main

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedPNGs fails when the drawing has changed but go generate has
// not been run in package kernelspec.
func TestCommittedPNGs(t *testing.T) {
	for _, size := range sizes {
		name := fmt.Sprintf("logo-%dx%d.png", size, size)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "..", name))
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			// Compare pixels, not bytes, since compression may change between
			// Go releases; and compare them as PNG stores them, unpremultiplied.
			got := render(size)
			if got.Bounds() != img.Bounds() {
				t.Fatalf("%s is %v, want %v", name, img.Bounds(), got.Bounds())
			}
			for y := range size {
				for x := range size {
					want := color.NRGBAModel.Convert(got.At(x, y))
					if c := color.NRGBAModel.Convert(img.At(x, y)); c != want {
						t.Fatalf("%s at (%d, %d) is %v, want %v: run go generate in kernelspec", name, x, y, c, want)
					}
				}
			}
		})
	}
}

func TestRectContains(t *testing.T) {
	r := rect{x: 0, y: 0, w: 10, h: 10, r: 4}
	for _, tt := range []struct {
		x, y float64
		want bool
	}{
		{5, 5, true},      // centre
		{0, 5, true},      // middle of an edge
		{0.2, 0.2, false}, // cut-off corner
		{1.2, 1.2, true},  // inside the corner circle
		{11, 5, false},    // outside
	} {
		if got := r.contains(tt.x, tt.y); got != tt.want {
			t.Errorf("contains(%v, %v) = %v, want %v", tt.x, tt.y, got, tt.want)
		}
	}
}
