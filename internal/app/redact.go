package app

import "net/url"

// urlParse returns the DSN with any password replaced, or "" when dsn is
// not a URL with credentials.
func urlParse(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return "", err
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String(), nil
}
