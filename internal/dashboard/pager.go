package dashboard

import (
	"net/url"
	"strconv"
)

// pager is where one page of a list sits: its number, the numbers of its
// first and last rows, and links to its neighbours. The links come from
// the list's own address function, so a list's filter survives paging.
// The case list and the rates page share it (partial-pager.html).
type pager struct {
	Page        int // 1-based
	First, Last int // row numbers shown, 1-based; Last < First when empty
	More        bool
	PrevURL     string
	NextURL     string
}

// pageParam reads ?page=: 1 when absent or not a positive number (a bad
// page number is a user's typo, not an error worth a 400).
func pageParam(v url.Values) int {
	pg, err := strconv.Atoi(v.Get("page"))
	if err != nil || pg < 1 {
		return 1
	}
	return pg
}

// newPager places page pg of a list cut `size` rows to a page, `shown`
// of them on this page; more says a next page exists. link builds the
// address of page n with the list's filter.
func newPager(pg, size, shown int, more bool, link func(n int) string) pager {
	p := pager{Page: pg, First: (pg-1)*size + 1, More: more}
	p.Last = p.First + shown - 1
	if pg > 1 {
		p.PrevURL = link(pg - 1)
	}
	if more {
		p.NextURL = link(pg + 1)
	}
	return p
}

// pageOf cuts page pg out of rows held in memory. A page past the end is
// empty, with a link back.
func pageOf[T any](rows []T, pg, size int, link func(n int) string) ([]T, pager) {
	from := min((pg-1)*size, len(rows))
	to := min(from+size, len(rows))
	return rows[from:to], newPager(pg, size, to-from, to < len(rows), link)
}

// pagerOf is the pager partial's argument: the page (for its words) and
// the pager.
func pagerOf(p *page, pg pager) sub { return sub{page: p, Rows: pg} }
