package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Params is the cost of argon2id.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultParams is the cost of new hashes: argon2id with 19 MiB, 2 passes
// and 1 lane, the OWASP Password Storage Cheat Sheet's first recommended
// configuration (RFC 9106 §4 allows lower memory with more passes). About
// 30-60 ms per hash on one core of a small server: slow for a guesser, fine
// for a login. Stored hashes carry their parameters, so raising the cost
// later keeps old hashes valid.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const saltLen, keyLen = 16, 32

// HashPassword returns the PHC string of an argon2id hash of pw:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded base64).
func HashPassword(pw string, p Params) (string, error) {
	if len(pw) < 8 {
		return "", errors.New("password: at least 8 characters")
	}
	if len(pw) > 1024 {
		return "", errors.New("password: at most 1024 bytes")
	}
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// ParseHash returns the parameters of a PHC argon2id string.
func ParseHash(h string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("password hash: not an argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("password hash: unsupported version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("password hash: parameters %q: %w", parts[3], err)
	}
	if p.Memory == 0 || p.Memory > 1<<22 || p.Time == 0 || p.Time > 100 || p.Threads == 0 {
		return p, nil, nil, fmt.Errorf("password hash: parameters %q out of range", parts[3])
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("password hash: salt: %w", err)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) == 0 {
		return p, nil, nil, fmt.Errorf("password hash: key: %v", err)
	}
	return p, salt, key, nil
}

// VerifyPassword reports whether pw matches the PHC hash h, in constant
// time for the comparison.
func VerifyPassword(h, pw string) (bool, error) {
	p, salt, key, err := ParseHash(h)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

var dummy struct {
	sync.Mutex
	m map[Params]string
}

// dummyHash is a hash of a random password at the given cost, to spend
// the same time on logins of unknown users.
func dummyHash(p Params) string {
	dummy.Lock()
	defer dummy.Unlock()
	if h, ok := dummy.m[p]; ok {
		return h
	}
	if dummy.m == nil {
		dummy.m = map[Params]string{}
	}
	h, _ := HashPassword(randomToken(16), p)
	dummy.m[p] = h
	return h
}
