package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/model"
)

const usersUsage = `Usage: ecowatch users <subcommand> [flags]

Subcommands:
  add --role city|county|enterprise|machine [--county CODE] [--enterprise USCC] [--name NAME] [--password-stdin] ID
  list
  passwd [--password-stdin] ID
  disable ID | enable ID
  token [add] [--name NAME] [--ttl 720h] ID   print a new API token (shown once)
  token list [ID]                            tokens (all users' or one's): id, name, created, expiry, last use, revocation
  token revoke TOKEN-ID                      revoke a token by the id token list shows

Passwords are hashed with argon2id (m=19 MiB, t=2, p=1). Without
--password-stdin a random password is generated and printed once.
A new password (passwd, or a change through the API) or disabling a user
ends all the user's sessions and revokes all their API tokens.
Every change is written to the audit log (actor "cli").
`

func runUsers(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usersUsage)
		return usageError{errors.New("missing subcommand (add, list, passwd, disable, enable or token)")}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, usersUsage)
		return flag.ErrHelp
	case "add", "passwd", "list", "token", "disable", "enable":
	default:
		fmt.Fprint(stderr, usersUsage)
		return usageError{fmt.Errorf("unknown subcommand %q", args[0])}
	}
	sub := args[0]
	tokenOp := ""
	if sub == "token" && len(args) > 1 {
		switch args[1] {
		case "add", "list", "revoke":
			tokenOp, args = args[1], append([]string{sub}, args[2:]...)
		}
	}
	fs := newFlagSet("users "+strings.TrimSpace(sub+" "+tokenOp), "users "+sub+" [flags] [ID]", stderr)
	var sf registryStoreFlags
	sf.register(fs)
	role := fs.String("role", "", "role: city, county, enterprise or machine (add)")
	county := fs.String("county", "", "county code (county users)")
	ent := fs.String("enterprise", "", "enterprise USCC (enterprise users)")
	name := fs.String("name", "", "display name (add) or token name (token)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	ttl := fs.Duration("ttl", 0, "token lifetime (0: no expiry)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	want := 1
	switch {
	case sub == "list":
		want = 0
	case tokenOp == "list" && len(pos) <= 1:
		want = len(pos) // all users' tokens, or one user's
	}
	if len(pos) != want {
		return usageError{fmt.Errorf("want %d argument(s), got %q", want, pos)}
	}
	st, err := sf.open(ctx, sub == "add")
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	audit := func(action, target string, before, after any) *model.AuditRecord {
		a := &model.AuditRecord{At: now, Actor: "cli", Role: "system", Action: action, Target: target}
		if before != nil {
			a.Before = fmt.Sprintf("%+v", before)
		}
		if after != nil {
			a.After = fmt.Sprintf("%+v", after)
		}
		return a
	}
	password := func() (string, bool, error) {
		if *pwStdin {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && line == "" {
				return "", false, fmt.Errorf("read password from stdin: %w", err)
			}
			return strings.TrimRight(line, "\r\n"), false, nil
		}
		b := make([]byte, 15)
		_, _ = rand.Read(b)
		return base64.RawURLEncoding.EncodeToString(b), true, nil
	}
	switch sub {
	case "list":
		us, err := st.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tROLE\tCOUNTY\tENTERPRISE\tNAME\tDISABLED")
		for _, u := range us {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\n", u.ID, u.Role, u.County, u.Enterprise, u.Name, u.Disabled)
		}
		return tw.Flush()
	case "add":
		u := model.User{ID: pos[0], Name: *name, Role: *role, County: *county, Enterprise: *ent, CreatedAt: now}
		if err := auth.ValidateUser(u); err != nil {
			return usageError{err}
		}
		// A county or enterprise must be in the registry.
		if err := casesvc.CheckUserScope(ctx, st, u); err != nil {
			return fmt.Errorf("user %s: --%w", u.ID, err)
		}
		if _, err := st.User(ctx, u.ID); err == nil {
			return fmt.Errorf("user %s exists (use passwd to change the password)", u.ID)
		}
		pw, generated, err := password()
		if err != nil {
			return err
		}
		if u.PasswordHash, err = auth.HashPassword(pw, auth.DefaultParams); err != nil {
			return usageError{err}
		}
		shown := u
		shown.PasswordHash = ""
		if err := st.PutUser(ctx, u, audit("user.add", "user/"+u.ID, nil, shown)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s added (%s)\n", u.ID, u.Role)
		if generated {
			fmt.Fprintf(stdout, "password: %s\n", pw)
		}
		return nil
	case "passwd":
		u, err := st.User(ctx, pos[0])
		if err != nil {
			return err
		}
		pw, generated, err := password()
		if err != nil {
			return err
		}
		if u.PasswordHash, err = auth.HashPassword(pw, auth.DefaultParams); err != nil {
			return usageError{err}
		}
		if err := st.PutUser(ctx, u, audit("user.passwd", "user/"+u.ID, nil, nil)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s changed; their sessions ended and API tokens revoked\n", u.ID)
		if generated {
			fmt.Fprintf(stdout, "password: %s\n", pw)
		}
		return nil
	case "disable", "enable":
		u, err := st.User(ctx, pos[0])
		if err != nil {
			return err
		}
		before := u.Disabled
		u.Disabled = sub == "disable"
		if err := st.PutUser(ctx, u, audit("user."+sub, "user/"+u.ID, map[string]bool{"disabled": before}, map[string]bool{"disabled": u.Disabled})); err != nil {
			return err
		}
		if u.Disabled {
			fmt.Fprintf(stdout, "user %s disabled; their sessions ended and API tokens revoked\n", u.ID)
		} else {
			fmt.Fprintf(stdout, "user %s enabled (revoked tokens stay revoked)\n", u.ID)
		}
		return nil
	}
	svc := auth.New(st, auth.Options{})
	switch tokenOp {
	case "list":
		user := ""
		if len(pos) == 1 {
			user = pos[0]
			if _, err := st.User(ctx, user); err != nil {
				return err
			}
		}
		ts, err := svc.Tokens(ctx, user)
		if err != nil {
			return err
		}
		return printTokens(stdout, ts)
	case "revoke":
		t, err := svc.RevokeToken(ctx, pos[0], "revoked by cli", audit("token.revoke", "", nil, nil))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %s (%s of %s) revoked\n", t.ID(), t.Name, t.User)
		return nil
	}
	tname := *name
	if tname == "" {
		tname = "cli"
	}
	tok, err := svc.NewToken(ctx, pos[0], tname, *ttl, audit("token.add", "user/"+pos[0], nil, map[string]string{"token": tname}))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// printTokens lists tokens with their last use and state, times in
// China Standard Time.
func printTokens(w io.Writer, ts []model.APIToken) error {
	cst := time.FixedZone("CST", 8*3600)
	at := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(cst).Format("2006-01-02 15:04")
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tNAME\tCREATED\tEXPIRES\tLAST USED\tFROM\tSTATE")
	for _, t := range ts {
		state := "active"
		switch {
		case !t.RevokedAt.IsZero():
			state = "revoked " + at(t.RevokedAt) + " (" + t.RevokedWhy + ")"
		case !t.ExpiresAt.IsZero() && !time.Now().Before(t.ExpiresAt):
			state = "expired"
		}
		from := t.LastUsedFrom
		if from == "" {
			from = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID(), t.User, t.Name, at(t.CreatedAt), at(t.ExpiresAt), at(t.LastUsedAt), from, state)
	}
	return tw.Flush()
}
