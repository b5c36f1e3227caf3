package casesvc

import (
	"context"
	"fmt"

	"github.com/ecowatch/ecowatch/internal/model"
)

// RegistryReader is the part of the store CheckUserScope reads.
type RegistryReader interface {
	Registry(ctx context.Context) (*model.Registry, error)
}

// UserScopeError refuses a user whose county or enterprise is not in the
// registry: such an account would see nothing, or the rows of a unit
// registered later under that code.
type UserScopeError struct {
	Field string // "county" or "enterprise"
	Value string
	Msg   string
}

func (e *UserScopeError) Error() string { return e.Field + " " + e.Value + ": " + e.Msg }

// CheckUserScope checks that u's county and enterprise exist in the
// registry, and that an enterprise user's county, when given, is the
// enterprise's.
func CheckUserScope(ctx context.Context, st RegistryReader, u model.User) error {
	if u.County == "" && u.Enterprise == "" {
		return nil
	}
	reg, err := st.Registry(ctx)
	if err != nil {
		return fmt.Errorf("check user %s: %w", u.ID, err)
	}
	if u.County != "" {
		found := false
		for _, c := range reg.Counties {
			found = found || c.Code == u.County
		}
		if !found {
			return &UserScopeError{"county", u.County, "no such county in the registry (import the registry first, or check the code)"}
		}
	}
	if u.Enterprise != "" {
		var ent *model.Enterprise
		for i := range reg.Enterprises {
			if reg.Enterprises[i].USCC == u.Enterprise {
				ent = &reg.Enterprises[i]
			}
		}
		switch {
		case ent == nil:
			return &UserScopeError{"enterprise", u.Enterprise, "no enterprise with this USCC in the registry"}
		case u.County != "" && ent.County != u.County:
			return &UserScopeError{"county", u.County, fmt.Sprintf("enterprise %s is in county %s", ent.USCC, ent.County)}
		}
	}
	return nil
}
