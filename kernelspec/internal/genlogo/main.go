// Genlogo draws gokernel's PNG logos, logo-32x32.png and logo-64x64.png.
//
// It draws the shapes of the hand-written logo-svg.svg, so the three logos
// stay one picture: each shape is painted at 16 times the target size with
// package image/draw, and the result is reduced by averaging 16×16 blocks,
// which anti-aliases the edges without a vector rasteriser.
//
// Usage:
//
//	go run ./internal/genlogo [-o dir]
//
// It is run by go generate in package kernelspec.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("o", ".", "write the PNG files into `dir`")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: genlogo [-o dir]")
		os.Exit(2)
	}
	for _, size := range sizes {
		name := filepath.Join(*dir, fmt.Sprintf("logo-%dx%d.png", size, size))
		if err := writePNG(name, render(size)); err != nil {
			fmt.Fprintln(os.Stderr, "genlogo:", err)
			os.Exit(1)
		}
	}
}

// sizes are the PNG sizes Jupyter looks for in a kernelspec directory.
var sizes = []int{32, 64}

const (
	// viewBox is the side of the SVG's square viewBox: shape coordinates
	// are in these units.
	viewBox = 64
	// supersample is how many subpixels per output pixel, along each axis.
	supersample = 16
)

// Colours of logo-svg.svg.
var (
	goBlue   = color.RGBA{0x00, 0xad, 0xd8, 0xff} // the Go brand's "Gopher blue"
	deepBlue = color.RGBA{0x00, 0x7d, 0x9c, 0xff}
	ink      = color.RGBA{0x1b, 0x23, 0x2b, 0xff}
	white    = color.RGBA{0xff, 0xff, 0xff, 0xff}
	snout    = color.RGBA{0xf6, 0xd2, 0xa2, 0xff}
)

// shape is a filled region in viewBox units.
type shape interface {
	contains(x, y float64) bool
}

// ellipse is an SVG <ellipse> (a <circle> when rx == ry).
type ellipse struct{ cx, cy, rx, ry float64 }

func (e ellipse) contains(x, y float64) bool {
	dx, dy := (x-e.cx)/e.rx, (y-e.cy)/e.ry
	return dx*dx+dy*dy <= 1
}

// rect is an SVG <rect> with equal corner radii rx = ry = r.
type rect struct{ x, y, w, h, r float64 }

func (r rect) contains(x, y float64) bool {
	if x < r.x || x > r.x+r.w || y < r.y || y > r.y+r.h {
		return false
	}
	// Outside the corner squares the rectangle is solid; inside one, the
	// point must lie within that corner's circle.
	cx := min(max(x, r.x+r.r), r.x+r.w-r.r)
	cy := min(max(y, r.y+r.r), r.y+r.h-r.r)
	dx, dy := x-cx, y-cy
	return dx*dx+dy*dy <= r.r*r.r
}

// layer is one shape and its paint, in the SVG's document order.
type layer struct {
	shape shape
	fill  color.RGBA
}

func circle(cx, cy, r float64) ellipse { return ellipse{cx, cy, r, r} }

// logo is logo-svg.svg, element by element: a gopher's head, seen from
// the front, looking right towards the code.
var logo = []layer{
	// Ears, behind the head.
	{circle(13, 15, 8), goBlue},
	{circle(51, 15, 8), goBlue},
	{circle(13, 15, 4), deepBlue},
	{circle(51, 15, 4), deepBlue},
	// Head.
	{rect{6, 8, 52, 54, 24}, goBlue},
	// Eyes, outlined, with the pupils looking right.
	{circle(21.5, 28, 10.5), ink},
	{circle(42.5, 28, 10.5), ink},
	{circle(21.5, 28, 9), white},
	{circle(42.5, 28, 9), white},
	{circle(25.5, 29, 4), ink},
	{circle(46.5, 29, 4), ink},
	// Teeth, half hidden by the snout, and the nose on top.
	{rect{28.5, 47, 7, 7, 1.5}, white},
	{ellipse{32, 45, 9, 6}, snout},
	{ellipse{32, 41.5, 4, 2.75}, ink},
}

// render draws the logo as a size×size image with a transparent background.
func render(size int) *image.RGBA {
	big := size * supersample
	scale := float64(viewBox) / float64(big)
	canvas := image.NewRGBA(image.Rect(0, 0, big, big))
	mask := image.NewAlpha(canvas.Bounds())
	for _, l := range logo {
		// Sample each subpixel at its centre.
		for py := range big {
			for px := range big {
				a := uint8(0)
				if l.shape.contains((float64(px)+0.5)*scale, (float64(py)+0.5)*scale) {
					a = 0xff
				}
				mask.Pix[py*mask.Stride+px] = a
			}
		}
		draw.DrawMask(canvas, canvas.Bounds(), image.NewUniform(l.fill), image.Point{}, mask, image.Point{}, draw.Over)
	}
	return downsample(canvas, supersample)
}

// downsample averages each n×n block of src into one pixel. Averaging is
// correct here because image.RGBA holds premultiplied colour.
func downsample(src *image.RGBA, n int) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx()/n, b.Dy()/n))
	area := uint32(n * n)
	for y := range dst.Rect.Dy() {
		for x := range dst.Rect.Dx() {
			var sum [4]uint32
			for sy := y * n; sy < (y+1)*n; sy++ {
				row := src.Pix[sy*src.Stride+x*n*4:]
				for i := range n * 4 {
					sum[i%4] += uint32(row[i])
				}
			}
			o := dst.PixOffset(x, y)
			for i := range sum {
				// Round to nearest.
				dst.Pix[o+i] = uint8((sum[i] + area/2) / area)
			}
		}
	}
	return dst
}

func writePNG(name string, img image.Image) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("encoding %s: %w", name, err)
	}
	return f.Close()
}
