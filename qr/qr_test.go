package qr

import (
	"bytes"
	"image/png"
	"testing"
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
