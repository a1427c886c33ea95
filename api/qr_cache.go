package api

import (
	"fmt"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/starsesim/esimstore/qr"
)

// qrCacheSize bounds the QR cache: a 512 px QR of an LPA string is about
// 1.2 KB, so the cache holds the recent buyers' codes in under 2 MB.
const qrCacheSize = 1024

// qrSize is the QR image's width and height in pixels.
const qrSize = 512

// qrCache keeps recently served QR PNGs in memory. The Mini App fetches a
// delivered order's QR every time the order is shown, and each render
// (QR matrix and PNG encode) is CPU spent again on the same image.
// The key holds the LPA string as well as the order id, so changed install
// details make a new image. Only the owner reaches it (the handler checks
// the order's buyer first), and nothing leaves the process: responses stay
// `no-store`, because the image is a credential.
type qrCache struct {
	images *lru.Cache[string, []byte]
	render func(lpa string, size int) ([]byte, error)
}

func newQRCache(size int) *qrCache {
	images, err := lru.New[string, []byte](size)
	if err != nil {
		panic(fmt.Sprintf("qr cache of size %d: %v", size, err)) // a constant size; cannot happen
	}
	return &qrCache{images: images, render: qr.PNG}
}

// png returns the order's QR image, rendering it only on a miss.
func (c *qrCache) png(orderID, lpa string) ([]byte, error) {
	key := orderID + "\x00" + lpa
	if img, ok := c.images.Get(key); ok {
		return img, nil
	}
	img, err := c.render(lpa, qrSize)
	if err != nil {
		return nil, fmt.Errorf("qr of order %s: %w", orderID, err)
	}
	c.images.Add(key, img)
	return img, nil
}
