// Package qr renders the eSIM installation QR code. The image is always made
// from the LPA string when needed and never stored, so no image bytes ever
// enter workflow history.
package qr

import (
	"bytes"
	"fmt"
	"image/png"
	"sync"

	qrcode "github.com/skip2/go-qrcode"
)

// encoder trades a few hundred bytes of PNG for speed: go-qrcode's own
// Encode uses default deflate, which made PNG encoding a quarter of the
// app's CPU per order under load (docs/performance.md). A two-colour QR
// compresses well either way.
// Its buffer pool reuses the deflate state and row buffers between QRs.
var encoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &bufferPool{}}

type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) Get() *png.EncoderBuffer {
	b, _ := p.pool.Get().(*png.EncoderBuffer)
	return b
}

func (p *bufferPool) Put(b *png.EncoderBuffer) { p.pool.Put(b) }

// PNG encodes the LPA activation string. Medium error correction keeps the
// code small enough for phone cameras to read off another screen.
func PNG(lpa string, size int) ([]byte, error) {
	if lpa == "" {
		return nil, fmt.Errorf("qr: empty activation string")
	}
	code, err := qrcode.New(lpa, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr: encode: %w", err)
	}
	var buf bytes.Buffer
	if err := encoder.Encode(&buf, code.Image(size)); err != nil {
		return nil, fmt.Errorf("qr: png: %w", err)
	}
	return buf.Bytes(), nil
}
