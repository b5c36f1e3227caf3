package dashboard

// SeedAccount is seedAccount for the browser test.
var SeedAccount = seedAccount
