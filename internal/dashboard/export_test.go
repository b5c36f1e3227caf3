package dashboard

// Exported for the browser test (package dashboard_test: it starts
// internal/app, which imports this package).
var (
	Seed        = seed
	SeedRights  = seedRights
	TestNow     = testNow
	ExpectedNow = expectedNow
	// For TestLanguageDemo, outside the package (internal/demo imports
	// internal/app, which imports this package).
	Get           = get
	CheckLanguage = checkLanguage
	// For the browser tests' role sweep: the same check on a page as the
	// browser drew it.
	CheckText = checkText
)

// AfterTests adds f to what TestMain runs once every test has ended:
// the browser tests' shared Chromium outlives each of them, so the
// package closes it there.
func AfterTests(f func()) {
	afterMu.Lock()
	defer afterMu.Unlock()
	afterTests = append(afterTests, f)
}

// ErrorText is errorText for the app-level test of the forms' refusals.
func ErrorText(lang, code, reason, field, message string) string {
	return errorText(lang, apiError{Code: code, Reason: reason, Field: field, Message: message})
}
