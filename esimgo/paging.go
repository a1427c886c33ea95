package esimgo

import "fmt"

// maxPages guards against a server that ignores the page parameter.
const maxPages = 10000

// listing is one page of a listing endpoint. counted says the server gave a
// page count (pageCount may still be 0 for an empty listing).
type listing[T any] struct {
	items     []T
	counted   bool
	pageCount int
}

// collectPages follows pages 1, 2, … of a listing. New entries arriving
// while we page shift later pages, so an item whose key was seen on an
// earlier page is skipped (an empty key is never a repeat). It stops at the
// server's page count when it gave one, otherwise on a short page or a page
// with nothing new.
func collectPages[T any](what string, perPage int, key func(T) string, fetch func(page int) (listing[T], error)) ([]T, error) {
	var all []T
	seen := map[string]bool{}
	for page := 1; page <= maxPages; page++ {
		p, err := fetch(page)
		if err != nil {
			return nil, fmt.Errorf("%s page %d: %w", what, page, err)
		}
		added := 0
		for _, item := range p.items {
			k := key(item)
			if k != "" && seen[k] {
				continue
			}
			seen[k] = true
			all = append(all, item)
			added++
		}
		if p.counted {
			if len(p.items) == 0 || page >= p.pageCount {
				break
			}
			continue
		}
		if len(p.items) < perPage || added == 0 {
			break
		}
	}
	return all, nil
}
