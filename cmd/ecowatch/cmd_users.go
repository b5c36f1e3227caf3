package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/usage"
)

var runUsers = group("users", `Passwords are hashed with argon2id (m=19 MiB, t=2, p=1); without --password-stdin a random
password is generated and printed once. A new password or disabling a user ends all the user's
sessions and revokes all their API tokens. Every change is written to the audit log (actor "cli").`, map[string]command{
	"add":     {"--role city|county|enterprise|machine [--county CODE] [--enterprise USCC] [--name NAME] [--password-stdin] ID", usersAdd},
	"list":    {"the users", usersList},
	"passwd":  {"[--password-stdin] ID", usersPasswd},
	"disable": {"ID", usersDisable(true)},
	"enable":  {"ID", usersDisable(false)},
	"token":   {"[add] [--name NAME] [--ttl 720h] ID: a new API token (shown once) | list [ID] | revoke TOKEN-ID", usersToken},
})

// withUsers parses the store flags and want positional arguments (or up
// to want when upTo) and runs fn on the store.
func withUsers(ctx context.Context, fs *flag.FlagSet, args []string, want int, upTo, create bool, fn func(store.Store, []string) error) error {
	sf := storeFlagsOf(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != want && !(upTo && len(pos) < want) {
		return usage.Error{Err: fmt.Errorf("want %d argument(s), got %q", want, pos)}
	}
	return sf.run(ctx, create, func(st store.Store) error { return fn(st, pos) })
}

// userErr makes a refused user or password a usage error.
func userErr(err error) error {
	if errors.Is(err, auth.ErrBadUser) {
		return usage.Error{Err: err}
	}
	return err
}

// printPassword shows a generated password, once.
func printPassword(w io.Writer, pw string, generated bool) {
	if generated {
		fmt.Fprintf(w, "password: %s\n", pw)
	}
}

func usersAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("users add", "users add --role ROLE [flags] ID", stderr)
	role := fs.String("role", "", "role: city, county, enterprise or machine")
	county := fs.String("county", "", "county code (county users)")
	ent := fs.String("enterprise", "", "enterprise USCC (enterprise users)")
	name := fs.String("name", "", "display name")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	return withUsers(ctx, fs, args, 1, false, true, func(st store.Store, pos []string) error {
		u := model.User{ID: pos[0], Name: *name, Role: *role, County: *county, Enterprise: *ent, CreatedAt: time.Now()}
		if err := auth.ValidateUser(u); err != nil {
			return usage.Error{Err: err}
		}
		// A county or enterprise must be in the registry.
		if err := casesvc.CheckUserScope(ctx, st, u); err != nil {
			return fmt.Errorf("user %s: --%w", u.ID, err)
		}
		pw, generated, err := auth.ReadPassword(*pwStdin, stdin)
		if err != nil {
			return err
		}
		if err := auth.AddUser(ctx, st, u, pw); err != nil {
			return userErr(err)
		}
		fmt.Fprintf(stdout, "user %s added (%s)\n", u.ID, u.Role)
		printPassword(stdout, pw, generated)
		return nil
	})
}

func usersList(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	return withUsers(ctx, newFlagSet("users list", "users list", stderr), args, 0, false, false, func(st store.Store, _ []string) error {
		us, err := st.Users(ctx)
		if err != nil {
			return err
		}
		return auth.WriteUsers(stdout, us)
	})
}

func usersPasswd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("users passwd", "users passwd [--password-stdin] ID", stderr)
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	return withUsers(ctx, fs, args, 1, false, false, func(st store.Store, pos []string) error {
		if _, err := st.User(ctx, pos[0]); err != nil {
			return err
		}
		pw, generated, err := auth.ReadPassword(*pwStdin, stdin)
		if err != nil {
			return err
		}
		if err := auth.SetPassword(ctx, st, pos[0], pw, time.Now()); err != nil {
			return userErr(err)
		}
		fmt.Fprintf(stdout, "password of %s changed; their sessions ended and API tokens revoked\n", pos[0])
		printPassword(stdout, pw, generated)
		return nil
	})
}

func usersDisable(disable bool) runFunc {
	sub := map[bool]string{true: "disable", false: "enable"}[disable]
	return func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
		return withUsers(ctx, newFlagSet("users "+sub, "users "+sub+" ID", stderr), args, 1, false, false, func(st store.Store, pos []string) error {
			if err := auth.SetDisabled(ctx, st, pos[0], disable, time.Now()); err != nil {
				return err
			}
			if disable {
				fmt.Fprintf(stdout, "user %s disabled; their sessions ended and API tokens revoked\n", pos[0])
			} else {
				fmt.Fprintf(stdout, "user %s enabled (revoked tokens stay revoked)\n", pos[0])
			}
			return nil
		})
	}
}

func usersToken(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	op := "add"
	if len(args) > 0 && (args[0] == "add" || args[0] == "list" || args[0] == "revoke") {
		op, args = args[0], args[1:]
	}
	fs := newFlagSet("users token "+op, "users token "+op+" [flags] ID", stderr)
	name := fs.String("name", "cli", "token name (add)")
	ttl := fs.Duration("ttl", 0, "token lifetime (add; 0: no expiry)")
	return withUsers(ctx, fs, args, 1, op == "list", false, func(st store.Store, pos []string) error {
		svc, now := auth.New(st, auth.Options{}), time.Now()
		switch op {
		case "list":
			user := firstOr(pos, "")
			if user != "" {
				if _, err := st.User(ctx, user); err != nil {
					return err
				}
			}
			ts, err := svc.Tokens(ctx, user)
			if err != nil {
				return err
			}
			return auth.WriteTokens(stdout, ts, now)
		case "revoke":
			t, err := svc.RevokeToken(ctx, pos[0], "revoked by cli", auth.CLIAudit(now, "token.revoke", "", nil, nil))
			if err == nil {
				fmt.Fprintf(stdout, "token %s (%s of %s) revoked\n", t.ID(), t.Name, t.User)
			}
			return err
		}
		tok, err := svc.NewToken(ctx, pos[0], *name, *ttl, auth.CLIAudit(now, "token.add", "user/"+pos[0], nil, map[string]string{"token": *name}))
		if err == nil {
			fmt.Fprintln(stdout, tok)
		}
		return err
	})
}
