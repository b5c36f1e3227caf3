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

// ErrorText is errorText for the app-level test of the forms' refusals.
func ErrorText(lang, code, reason, field, message string) string {
	return errorText(lang, apiError{Code: code, Reason: reason, Field: field, Message: message})
}
