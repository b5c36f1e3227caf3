package api

// isCasesRoute reports whether a route is one of the closed loop's
// (cases.go), which the static-token matrix leaves to TestRoleMatrix.
func isCasesRoute(pattern string) bool {
	for _, rt := range casesRouteTable() {
		if rt.pattern == pattern {
			return true
		}
	}
	return false
}
