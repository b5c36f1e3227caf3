package auth

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
)

// Administration of users from the command line (ecowatch users): every
// change is written to the audit log as made by the actor "cli".

// ErrBadUser marks a user or password refused as given (a usage error).
var ErrBadUser = errors.New("bad user")

// CLIAudit is the audit record of a change made from the command line.
func CLIAudit(at time.Time, action, target string, before, after any) *model.AuditRecord {
	a := &model.AuditRecord{At: at, Actor: "cli", Role: "system", Action: action, Target: target}
	if before != nil {
		a.Before = fmt.Sprintf("%+v", before)
	}
	if after != nil {
		a.After = fmt.Sprintf("%+v", after)
	}
	return a
}

// RandomPassword is a generated password of 20 characters (120 bits).
func RandomPassword() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ReadPassword reads a password from the first line of r (its line end
// dropped) when fromStdin, else generates one (generated is then true:
// the caller shows it once).
func ReadPassword(fromStdin bool, r io.Reader) (pw string, generated bool, err error) {
	if !fromStdin {
		return RandomPassword(), true, nil
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && line == "" {
		return "", false, fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

// AddUser stores a new user with password (hashed with argon2id).
func AddUser(ctx context.Context, st Store, u model.User, password string) error {
	if err := ValidateUser(u); err != nil {
		return fmt.Errorf("%w: %w", ErrBadUser, err)
	}
	if _, err := st.User(ctx, u.ID); err == nil {
		return fmt.Errorf("user %s exists (use passwd to change the password)", u.ID)
	}
	var err error
	if u.PasswordHash, err = HashPassword(password, DefaultParams); err != nil {
		return fmt.Errorf("%w: %w", ErrBadUser, err)
	}
	shown := u
	shown.PasswordHash = ""
	return st.PutUser(ctx, u, CLIAudit(u.CreatedAt, "user.add", "user/"+u.ID, nil, shown))
}

// SetPassword changes a user's password; the store ends their sessions
// and revokes their API tokens.
func SetPassword(ctx context.Context, st Store, id, password string, now time.Time) error {
	u, err := st.User(ctx, id)
	if err != nil {
		return err
	}
	if u.PasswordHash, err = HashPassword(password, DefaultParams); err != nil {
		return fmt.Errorf("%w: %w", ErrBadUser, err)
	}
	return st.PutUser(ctx, u, CLIAudit(now, "user.passwd", "user/"+u.ID, nil, nil))
}

// SetDisabled disables or enables a user; disabling ends their sessions
// and revokes their API tokens (an enabled user's stay revoked).
func SetDisabled(ctx context.Context, st Store, id string, disabled bool, now time.Time) error {
	u, err := st.User(ctx, id)
	if err != nil {
		return err
	}
	before := u.Disabled
	u.Disabled = disabled
	action := map[bool]string{true: "user.disable", false: "user.enable"}[disabled]
	return st.PutUser(ctx, u, CLIAudit(now, action, "user/"+u.ID, map[string]bool{"disabled": before}, map[string]bool{"disabled": disabled}))
}

// WriteUsers lists users as a table.
func WriteUsers(w io.Writer, us []model.User) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tCOUNTY\tENTERPRISE\tNAME\tDISABLED")
	for _, u := range us {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\n", u.ID, u.Role, u.County, u.Enterprise, u.Name, u.Disabled)
	}
	return tw.Flush()
}

// WriteTokens lists tokens with their last use and state at now, times
// in China Standard Time.
func WriteTokens(w io.Writer, ts []model.APIToken, now time.Time) error {
	at := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(chinatime.Zone).Format("2006-01-02 15:04")
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tNAME\tCREATED\tEXPIRES\tLAST USED\tFROM\tSTATE")
	for _, t := range ts {
		state := "active"
		switch {
		case !t.RevokedAt.IsZero():
			state = "revoked " + at(t.RevokedAt) + " (" + t.RevokedWhy + ")"
		case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
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
