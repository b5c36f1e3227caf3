package dashboard

// Exported for the browser test (package dashboard_test: it starts
// internal/app, which imports this package).
var (
	Seed        = seed
	SeedRights  = seedRights
	TestNow     = testNow
	ExpectedNow = expectedNow
)
