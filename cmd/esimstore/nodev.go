//go:build !dev

package main

import (
	"context"
	"fmt"
	"os"
)

// devCommands, in a production build, only explain where the development
// tools went: the fakes and the dev server are not linked into this binary.
func devCommands() []command {
	missing := func(name string) command {
		return command{name, "(development build only: go build -tags dev)", func(context.Context, []string) error {
			fmt.Fprintf(os.Stderr, "esimstore %s is a development tool and this is a production build.\n"+
				"Use `make run` / `make bench`, or build with `go build -tags dev ./cmd/esimstore`.\n", name)
			return errUsage
		}}
	}
	return []command{missing("sandbox"), missing("bench"), missing("cluster")}
}
