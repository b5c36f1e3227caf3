package accountability

import (
	"math"
	"sort"
)

// Rank returns the competition ranks (1, 2, 2, 4 — 并列 shares a rank and
// the next rank is skipped) of values. Values are compared after rounding
// to decimals places, the precision they are published at (the 综合指数 to
// 2 decimals, 环办监测〔2018〕19号), so two counties that print the same
// tie. lowerBetter ranks the smallest value first.
func Rank(values []float64, lowerBetter bool, decimals int) []int {
	scale := math.Pow(10, float64(decimals))
	key := make([]int64, len(values))
	for i, v := range values {
		k := int64(math.Round(v * scale))
		if !lowerBetter {
			k = -k
		}
		key[i] = k
	}
	idx := make([]int, len(values))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return key[idx[a]] < key[idx[b]] })
	ranks := make([]int, len(values))
	for pos, i := range idx {
		if pos > 0 && key[i] == key[idx[pos-1]] {
			ranks[i] = ranks[idx[pos-1]]
		} else {
			ranks[i] = pos + 1
		}
	}
	return ranks
}
