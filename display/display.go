// Package display renders Go values as rich output in a Jupyter notebook run
// by gokernel: HTML, Markdown, LaTeX, SVG, PNG and JPEG images, JSON, and
// tables.
//
// In a notebook cell the package is there without an import. A cell whose
// final value is a [Data] shows as that MIME type; so does an [image.Image],
// an error, or a value with a method such as HTML() string (see [Render]).
// [Show] publishes output in the middle of a cell, and a [Handle] from
// [NewHandle] redraws its output in place:
//
//	h := display.NewHandle(display.Text("0%"))
//	for i := range 101 {
//		h.Update(display.HTML(fmt.Sprintf("<progress value=%d max=100></progress>", i)))
//	}
//
// The functions that publish belong to a [Display]. gokernel makes one per
// session and binds the cells' Show, Clear and NewHandle to it. Compiled
// into an ordinary program, the package-level Show, Clear and NewHandle
// write the text/plain form of what they are given to standard output.
package display

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"reflect"
)

// MIME types the package produces.
const (
	MIMEText     = "text/plain"
	MIMEHTML     = "text/html"
	MIMEMarkdown = "text/markdown"
	MIMELatex    = "text/latex"
	MIMESVG      = "image/svg+xml"
	MIMEPNG      = "image/png"
	MIMEJPEG     = "image/jpeg"
	MIMEJSON     = "application/json"
)

// Data is a MIME bundle: one value in several representations, keyed by MIME
// type, of which the front end shows the richest it supports. Metadata is
// keyed by MIME type too (an image's "width" and "height", for example).
//
// Binary data (PNG, JPEG) is kept as []byte; the kernel sends it base64
// encoded, as the protocol asks.
type Data struct {
	Data     map[string]any
	Metadata map[string]any
}

// MIME returns a bundle of the given representations. It is the general
// form of the other constructors: MIME(map[string]any{"text/html": s}, nil)
// is HTML(s) without a text/plain fallback.
func MIME(data, metadata map[string]any) Data {
	if data == nil {
		data = map[string]any{}
	}
	if metadata == nil {
		metadata = map[string]any{}
	}
	return Data{Data: data, Metadata: metadata}
}

// one returns a bundle of a single representation with a text/plain
// fallback, which every front end can show.
func one(mime string, content any, text string) Data {
	return MIME(map[string]any{mime: content, MIMEText: text}, nil)
}

// Text returns plain text.
func Text(s string) Data { return MIME(map[string]any{MIMEText: s}, nil) }

// HTML returns an HTML fragment.
func HTML(s string) Data { return one(MIMEHTML, s, s) }

// Markdown returns Markdown text.
func Markdown(s string) Data { return one(MIMEMarkdown, s, s) }

// Latex returns LaTeX math, such as "$e^{i\pi} + 1 = 0$".
func Latex(s string) Data { return one(MIMELatex, s, s) }

// SVG returns an SVG image given as its XML text.
func SVG(s string) Data { return one(MIMESVG, s, "<SVG image>") }

// PNG returns a PNG image given as the bytes of its file.
func PNG(b []byte) Data {
	d := one(MIMEPNG, b, "<PNG image>")
	addSize(d, MIMEPNG, b, png.DecodeConfig)
	return d
}

// JPEG returns a JPEG image given as the bytes of its file.
func JPEG(b []byte) Data {
	d := one(MIMEJPEG, b, "<JPEG image>")
	addSize(d, MIMEJPEG, b, jpeg.DecodeConfig)
	return d
}

// addSize records the size of b, an image of type mime, in the metadata,
// when its header decodes.
func addSize(d Data, mime string, b []byte, decode func(io.Reader) (image.Config, error)) {
	if c, err := decode(bytes.NewReader(b)); err == nil {
		d.Metadata[mime] = map[string]any{"width": c.Width, "height": c.Height}
	}
}

// Image encodes img as PNG. If it cannot be encoded (an image with a zero
// or overflowing size), the bundle is the error's text.
func Image(img image.Image) Data {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return Text(fmt.Sprintf("display.Image: %v", err))
	}
	d := one(MIMEPNG, b.Bytes(), fmt.Sprintf("<image %dx%d>", img.Bounds().Dx(), img.Bounds().Dy()))
	d.Metadata[MIMEPNG] = map[string]any{"width": img.Bounds().Dx(), "height": img.Bounds().Dy()}
	return d
}

// JSON returns v, marshalled as encoding/json does, for the front end's JSON
// viewer. If v cannot be marshalled, the bundle is the error's text.
func JSON(v any) Data {
	b, err := json.Marshal(v)
	if err != nil {
		return Text(fmt.Sprintf("display.JSON: %v", err))
	}
	// The tree keeps numbers as json.Number, which encodes again exactly as
	// b has them: a float64 would round an integer past 2^53.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return Text(fmt.Sprintf("display.JSON: %v", err))
	}
	var text bytes.Buffer
	json.Indent(&text, b, "", "  ") // b is valid JSON: Marshal made it
	return one(MIMEJSON, tree, text.String())
}

// The interfaces of values that know how to show themselves; [Render]
// looks for them, richest first.
type (
	// HTMLer is implemented by values that render as HTML.
	HTMLer interface{ HTML() string }
	// Markdowner is implemented by values that render as Markdown.
	Markdowner interface{ Markdown() string }
	// Latexer is implemented by values that render as LaTeX.
	Latexer interface{ Latex() string }
	// SVGer is implemented by values that render as SVG.
	SVGer interface{ SVG() string }
	// PNGer is implemented by values that render as a PNG image.
	PNGer interface{ PNG() []byte }
	// JPEGer is implemented by values that render as a JPEG image.
	JPEGer interface{ JPEG() []byte }
	// Renderer is implemented by values that build their own bundle.
	Renderer interface{ Render() Data }
)

// methods lists the methods [Render] looks for, in the order it tries
// them. Render, [MethodNames] and [FromMethod] all read it, so the order is
// written once.
var methods = [...]method{
	def("Render", Renderer.Render, func(d Data) Data { return d }),
	def("HTML", HTMLer.HTML, HTML),
	def("SVG", SVGer.SVG, SVG),
	def("PNG", PNGer.PNG, PNG),
	def("JPEG", JPEGer.JPEG, JPEG),
	def("Markdown", Markdowner.Markdown, Markdown),
	def("Latex", Latexer.Latex, Latex),
}

// method is one method [Render] looks for.
type method struct {
	name string
	call func(v any) (result any, ok bool) // calls the method, if v has it
	wrap func(result any) (Data, bool)     // turns its result into a bundle
}

// def returns the method name of interface I, which call calls, and whose
// result wrap turns into a bundle.
func def[I, R any](name string, call func(I) R, wrap func(R) Data) method {
	return method{
		name: name,
		call: func(v any) (any, bool) {
			x, ok := v.(I)
			if !ok {
				return nil, false
			}
			return call(x), true
		},
		wrap: func(result any) (Data, bool) {
			r, ok := result.(R)
			if !ok {
				return Data{}, false
			}
			return wrap(r), true
		},
	}
}

// MethodNames lists the methods [Render] looks for, in the order it tries
// them. A session uses it to find the same methods on types declared in
// cells, which the interpreter does not expose to reflection.
func MethodNames() []string {
	names := make([]string, len(methods))
	for i, m := range methods {
		names[i] = m.name
	}
	return names
}

// FromMethod turns the result of the method called name (one of
// [MethodNames]) into a bundle, as [Render] does. It returns false for
// another name, or a result of the wrong type.
func FromMethod(name string, result any) (Data, bool) {
	for _, m := range methods {
		if m.name == name {
			return m.wrap(result)
		}
	}
	return Data{}, false
}

// Render returns the rich form of v, and false when v has none:
//
//   - a Data, or a *Data, is itself;
//   - an [image.Image] is a PNG image;
//   - a Renderer is the bundle it builds;
//   - a value implementing one of the other interfaces above (HTMLer,
//     SVGer, PNGer, JPEGer, Markdowner, Latexer, tried in that order) is
//     what its method returns, with the value's fmt form as text/plain.
//
// A nil pointer, errors and everything else have no rich form: their text
// is their form.
func Render(v any) (Data, bool) {
	// A method called on a nil pointer would most likely dereference it and
	// panic (a value receiver's always does).
	if rv := reflect.ValueOf(v); !rv.IsValid() || rv.Kind() == reflect.Pointer && rv.IsNil() {
		return Data{}, false
	}
	switch x := v.(type) {
	case Data:
		return x, true
	case *Data:
		return *x, true
	case image.Image:
		return Image(x), true
	}
	for _, m := range methods {
		r, ok := m.call(v)
		if !ok {
			continue
		}
		d, _ := m.wrap(r)
		if _, own := v.(Renderer); !own { // a Renderer's text is its own
			d.Data[MIMEText] = fmt.Sprint(v)
		}
		return d, true
	}
	return Data{}, false
}

// renderText is how a [Display] made by the package-level functions renders:
// a value's rich form when it has one, else its fmt form as text.
func renderText(v any) Data {
	if d, ok := Render(v); ok {
		return d
	}
	return Text(fmt.Sprint(v))
}

// The package-level functions below are what a compiled program gets. In a
// notebook, the session binds the cells' Show, Clear and NewHandle to the
// methods of its own Display instead, so nothing here is shared between
// sessions.

// Show publishes each value as display output, in the middle of a cell. Each
// is rendered as a cell's final value would be.
func Show(vs ...any) { stdoutDisplay().Show(vs...) }

// Clear clears the cell's output; with wait, only when the next output
// arrives, so a redraw does not flicker.
func Clear(wait bool) { stdoutDisplay().Clear(wait) }

// NewHandle shows v and returns a handle that replaces that output in place.
func NewHandle(v any) *Handle { return stdoutDisplay().NewHandle(v) }

// stdoutDisplay returns a Display that prints text/plain forms to standard
// output, for programs run outside a notebook.
func stdoutDisplay() *Display {
	return New(func(m Message) {
		if t, ok := m.Data.Data[MIMEText]; ok && !m.Clear {
			fmt.Fprintln(os.Stdout, t)
		}
	}, renderText)
}
