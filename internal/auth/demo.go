package auth

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// DemoPassword is the password of the demo users. It is printed by
// `ecowatch demo`; never use SeedDemo outside a demo.
const DemoPassword = "ecowatch-demo"

// SeedDemo creates (or resets) the demo users: one city user, one county
// user for the registry's first county and one enterprise user for its
// first enterprise, all with DemoPassword, and prints how to log in.
func SeedDemo(ctx context.Context, st Store, reg *model.Registry, w io.Writer) error {
	h, err := HashPassword(DemoPassword, DefaultParams)
	if err != nil {
		return err
	}
	now := time.Now()
	users := []model.User{{ID: "city", Name: "市局（演示）", Role: model.RoleCity}}
	if len(reg.Counties) > 0 {
		users = append(users, model.User{ID: "county", Name: reg.Counties[0].Name + "（演示）", Role: model.RoleCounty, County: reg.Counties[0].Code})
	}
	if len(reg.Enterprises) > 0 {
		e := reg.Enterprises[0]
		users = append(users, model.User{ID: "enterprise", Name: e.Name + "（演示）", Role: model.RoleEnterprise, Enterprise: e.USCC, County: e.County})
	}
	fmt.Fprintf(w, "demo logins (password %q): POST /api/v1/login {\"user\":…,\"password\":…}\n", DemoPassword)
	for _, u := range users {
		u.PasswordHash, u.CreatedAt = h, now
		audit := &model.AuditRecord{At: now, Actor: "demo", Role: "system", Action: "user.seed", Target: "user/" + u.ID}
		if err := st.PutUser(ctx, u, audit); err != nil {
			return fmt.Errorf("seed demo user %s: %w", u.ID, err)
		}
		scope := "everything"
		switch {
		case u.Enterprise != "":
			scope = "enterprise " + u.Enterprise
		case u.County != "":
			scope = "county " + u.County
		}
		fmt.Fprintf(w, "  %-10s role %-10s sees %s\n", u.ID, u.Role, scope)
	}
	return nil
}
