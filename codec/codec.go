// Package codec encrypts every payload the store hands to Temporal —
// workflow and activity inputs and results, signals, updates, queries,
// memos and failure texts — with AES-256-GCM, so a workflow history read
// without the key shows no activation code, ICCID or buyer name
// (docs/architecture.md#encrypted-payloads). Search attributes are not
// payloads of the data converter and stay readable.
//
// Keys rotate: the first key encrypts, every key decrypts, and each payload
// names the key that encrypted it.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload. The names and the encoding are the ones
// Temporal's own encryption samples use, so tools that know them (and the
// Web UI, through the codec endpoint) recognise the payloads.
const (
	MetadataEncodingEncrypted = "binary/encrypted"
	MetadataKeyID             = "encryption-key-id"
)

// KeySize is AES-256's key length in bytes.
const KeySize = 32

// Key is one AES-256 key and the id written into every payload it encrypts.
type Key struct {
	ID     string
	Secret []byte
}

// ParseKeys reads PAYLOAD_KEYS: "id:base64key,id:base64key", the first
// entry encrypting. Keys are 32 bytes in standard or URL-safe base64
// (`openssl rand -base64 32`). Errors never quote a key.
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, b64, ok := strings.Cut(entry, ":")
		id, b64 = strings.TrimSpace(id), strings.TrimSpace(b64)
		if !ok || id == "" || b64 == "" {
			return nil, fmt.Errorf("entry %d is not id:base64key", i+1)
		}
		secret, err := decodeBase64(b64)
		if err != nil {
			return nil, fmt.Errorf("key %q is not base64", id)
		}
		if len(secret) != KeySize {
			return nil, fmt.Errorf("key %q has %d bytes, AES-256 needs %d (openssl rand -base64 32)", id, len(secret), KeySize)
		}
		if slices.ContainsFunc(keys, func(k Key) bool { return k.ID == id }) {
			return nil, fmt.Errorf("key id %q appears twice", id)
		}
		keys = append(keys, Key{ID: id, Secret: secret})
	}
	if len(keys) == 0 {
		return nil, errors.New("no keys")
	}
	return keys, nil
}

func decodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// Codec is a converter.PayloadCodec. It is safe for concurrent use.
type Codec struct {
	encryptWith string
	aeads       map[string]cipher.AEAD
	ids         []string
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New builds a codec that encrypts with keys[0] and decrypts with any key.
func New(keys []Key) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("codec: no keys")
	}
	c := &Codec{encryptWith: keys[0].ID, aeads: map[string]cipher.AEAD{}}
	for _, k := range keys {
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("codec: key %q has %d bytes, want %d", k.ID, len(k.Secret), KeySize)
		}
		if _, dup := c.aeads[k.ID]; dup || k.ID == "" {
			return nil, fmt.Errorf("codec: key id %q is empty or repeated", k.ID)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", k.ID, err)
		}
		c.aeads[k.ID] = aead
		c.ids = append(c.ids, k.ID)
	}
	return c, nil
}

// EncryptingKeyID is the id of the key new payloads are encrypted with.
func (c *Codec) EncryptingKeyID() string { return c.encryptWith }

// UnknownKeyError is a payload encrypted with a key the codec does not hold:
// a key was removed from PAYLOAD_KEYS while histories still need it.
type UnknownKeyError struct {
	KeyID string
	Known []string
}

func (e *UnknownKeyError) Error() string {
	return fmt.Sprintf("payload encrypted with key %q, which PAYLOAD_KEYS does not hold (it holds %s): add the old key back after the new one",
		e.KeyID, strings.Join(e.Known, ", "))
}

// Encode encrypts each payload whole (metadata and data), so not even the
// payload's encoding is left readable. The key id is bound to the
// ciphertext as associated data.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.aeads[c.encryptWith]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("codec: marshal payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return payloads, fmt.Errorf("codec: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncodingEncrypted),
				MetadataKeyID:              []byte(c.encryptWith),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(c.encryptWith)),
		}
	}
	return out, nil
}

// Decode decrypts encrypted payloads and passes others through unchanged:
// histories written before encryption was turned on still replay.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != MetadataEncodingEncrypted {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.aeads[id]
		if !ok {
			return payloads, &UnknownKeyError{KeyID: id, Known: c.ids}
		}
		data := p.GetData()
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return payloads, fmt.Errorf("codec: payload encrypted with key %q is truncated", id)
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return payloads, fmt.Errorf("codec: payload does not decrypt with key %q (wrong key material for that id, or tampered)", id)
		}
		decoded := &commonpb.Payload{}
		if err := proto.Unmarshal(plain, decoded); err != nil {
			return payloads, fmt.Errorf("codec: decrypted payload: %w", err)
		}
		out[i] = decoded
	}
	return out, nil
}

// DataConverter is the SDK's default converter with every payload passed
// through the codec.
func DataConverter(c *Codec) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// FailureConverter moves failure messages and stack traces into an encoded
// payload, so error texts (which can quote an ICCID or a buyer's name from
// an eSIM Go or Telegram answer) are encrypted like everything else.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: dc, EncodeCommonAttributes: true,
	})
}

// HTTPHandler serves Temporal's codec protocol (POST …/encode, …/decode,
// payloads as protobuf JSON) for the Web UI and the CLI. Authentication
// and CORS are the caller's job.
func HTTPHandler(c *Codec) http.Handler { return converter.NewPayloadCodecHTTPHandler(c) }
