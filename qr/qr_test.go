package qr

import (
	"bytes"
	"image/png"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

func TestPNG(t *testing.T) {
	b, err := PNG("LPA:1$rsp.example.com$ABC-123", 256)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if img.Bounds().Dx() != 256 {
		t.Errorf("width = %d", img.Bounds().Dx())
	}
	if _, err := PNG("", 256); err == nil {
		t.Error("empty LPA accepted")
	}
}

// The same modules as go-qrcode's own PNG, pixel for pixel: only the
// compression differs.
func TestPNGMatchesLibraryImage(t *testing.T) {
	lpa := "LPA:1$rsp.example.com$K2-1ABCDE-FGHIJK"
	ours, err := PNG(lpa, 512)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := qrcode.Encode(lpa, qrcode.Medium, 512)
	if err != nil {
		t.Fatal(err)
	}
	a, err := png.Decode(bytes.NewReader(ours))
	if err != nil {
		t.Fatal(err)
	}
	b, err := png.Decode(bytes.NewReader(lib))
	if err != nil {
		t.Fatal(err)
	}
	if a.Bounds() != b.Bounds() {
		t.Fatalf("bounds %v vs %v", a.Bounds(), b.Bounds())
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				t.Fatalf("pixel (%d,%d) differs", x, y)
			}
		}
	}
}

// BenchmarkPNG prints the cost of one delivery's QR; compare with
// BenchmarkLibraryPNG (go-qrcode's Encode, default compression).
func BenchmarkPNG(b *testing.B) {
	var n int
	for b.Loop() {
		out, err := PNG("LPA:1$rsp.example.com$K2-1ABCDE-FGHIJK", 512)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "png-bytes")
}

func BenchmarkLibraryPNG(b *testing.B) {
	var n int
	for b.Loop() {
		out, err := qrcode.Encode("LPA:1$rsp.example.com$K2-1ABCDE-FGHIJK", qrcode.Medium, 512)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "png-bytes")
}
