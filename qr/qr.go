// Package qr renders the eSIM installation QR code. The image is always made
// from the LPA string when needed and never stored, so no image bytes ever
// enter workflow history.
package qr

import (
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// PNG encodes the LPA activation string. Medium error correction keeps the
// code small enough for phone cameras to read off another screen.
func PNG(lpa string, size int) ([]byte, error) {
	if lpa == "" {
		return nil, fmt.Errorf("qr: empty activation string")
	}
	png, err := qrcode.Encode(lpa, qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("qr: encode: %w", err)
	}
	return png, nil
}
