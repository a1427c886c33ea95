package api

import (
	"bytes"
	"errors"
	"testing"
)

func TestQRCache(t *testing.T) {
	c := newQRCache(2)
	renders := map[string]int{}
	c.render = func(lpa string, size int) ([]byte, error) {
		renders[lpa]++
		if lpa == "bad" {
			return nil, errors.New("qr: encode")
		}
		return []byte(lpa), nil
	}
	steps := []struct {
		order, lpa  string
		wantRenders int // of this LPA so far
		wantErr     bool
	}{
		{"o1", "LPA:1$a$1", 1, false},
		{"o1", "LPA:1$a$1", 1, false}, // served from the cache
		{"o1", "LPA:1$a$2", 1, false}, // new install details: a new image
		{"o2", "LPA:1$b$1", 1, false}, // evicts o1's first image (size 2)
		{"o1", "LPA:1$a$2", 1, false}, // still cached
		{"o1", "LPA:1$a$1", 2, false}, // evicted earlier: rendered again
		{"o3", "bad", 1, true},
		{"o3", "bad", 2, true}, // a failure is not cached
	}
	for i, s := range steps {
		img, err := c.png(s.order, s.lpa)
		if (err != nil) != s.wantErr {
			t.Fatalf("step %d: err %v, want error %v", i, err, s.wantErr)
		}
		if err == nil && !bytes.Equal(img, []byte(s.lpa)) {
			t.Fatalf("step %d: image %q for %q", i, img, s.lpa)
		}
		if renders[s.lpa] != s.wantRenders {
			t.Fatalf("step %d: %q rendered %d times, want %d", i, s.lpa, renders[s.lpa], s.wantRenders)
		}
	}
	if n := c.images.Len(); n > 2 {
		t.Errorf("cache holds %d images, bound is 2", n)
	}
}

// The real renderer makes a PNG of the configured size.
func TestQRCacheRendersPNG(t *testing.T) {
	img, err := newQRCache(1).png("o1", "LPA:1$rsp.example.com$QR-G-5C-1LS")
	if err != nil || !bytes.HasPrefix(img, []byte("\x89PNG")) {
		t.Fatalf("png = %.8q, %v", img, err)
	}
}
