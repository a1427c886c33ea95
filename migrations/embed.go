// Package migrations holds the versioned SQL schema, embedded in the binary
// so `esimstore migrate` needs nothing beside it.
package migrations

import "embed"

// FS holds the goose migrations, applied in file-name order.
//
//go:embed *.sql
var FS embed.FS
