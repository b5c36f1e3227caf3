package auth

// PublicKind is a class of anonymous request with a rate limit of its own.
type PublicKind int

const (
	// PublicRead is any public page or endpoint used without credentials.
	PublicRead PublicKind = iota
	// PublicLookup is a petition tracking-code lookup: the code is the
	// petitioner's credential, so lookups are limited much harder than
	// reads, to make guessing codes hopeless.
	PublicLookup
)

// publicLimits are the per-address limits of anonymous callers, shared by
// the API and the dashboard of one process.
type publicLimits struct {
	read, lookup *Limiter
}

// AllowPublic counts one anonymous request of kind from client address ip
// and reports whether it is within that address's limit (IPv6 addresses
// are limited by their /64). A lookup also counts as a read.
func (s *Service) AllowPublic(kind PublicKind, ip string) bool {
	now, key := s.now(), AddressKey(ip)
	if !s.public.read.Take(key, now) {
		return false
	}
	if kind == PublicLookup {
		return s.public.lookup.Take(key, now)
	}
	return true
}
