package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

func runIn(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// users, cases and petitions commands against a store with a case and a
// petition in it.
func TestUsersCasesPetitionsCommands(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, storetest.SQLiteDSN(dir), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Users are only of counties and enterprises in the registry.
	if err := st.ImportRegistry(ctx, registry.DemoCity(1)); err != nil {
		t.Fatal(err)
	}
	svc := &casesvc.Service{St: st, DataDir: dir}
	c, err := svc.Register(ctx, cases.Case{Source: cases.SourceInspection, Line: "air-dust", County: "371502", Severity: 1, Title: "工地扬尘"},
		auth.Principal{User: "seed", Role: model.RoleCity})
	if err != nil {
		t.Fatal(err)
	}
	sp, _, err := svc.Intake(ctx, cases.Petition{Category: cases.CategoryNoise, County: "371502", Location: "东关街", Description: "夜间施工噪声", Contact: "13800000000"})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	dd := "--data-dir=" + dir

	// users add: generated password, printed once; the hash verifies it.
	out, errs, code := runIn(t, "", "users", "add", "--role", "county", "--county", "371502", "--name", "东昌府区", dd, "county-x")
	if code != 0 {
		t.Fatalf("users add: %d %s", code, errs)
	}
	pw := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(out)
	if pw == nil {
		t.Fatalf("no generated password in %q", out)
	}
	if _, errs, code := runIn(t, "long-enough-pw\n", "users", "add", "--role", "enterprise", "--password-stdin", dd, "ent-y"); code != 2 || !strings.Contains(errs, "enterprise") {
		t.Errorf("enterprise user without --enterprise: %d %s", code, errs)
	}
	for _, bad := range [][]string{{"--role", "county", "--county", "379999"}, {"--role", "enterprise", "--enterprise", "91370000000000000X"}} {
		if _, errs, code := runIn(t, "", append(append([]string{"users", "add"}, bad...), dd, "ghost")...); code != 1 || !strings.Contains(errs, "registry") {
			t.Errorf("user of a unit not in the registry %v: %d %s", bad, code, errs)
		}
	}
	if _, _, code := runIn(t, "", "users", "add", "--role", "county", "--county", "371502", dd, "county-x"); code != 1 {
		t.Errorf("duplicate user: %d", code)
	}
	out, _, _ = runIn(t, "", "users", "list", dd)
	if !strings.Contains(out, "county-x") || strings.Contains(out, "argon2") {
		t.Errorf("users list: %q", out)
	}
	out, _, code = runIn(t, "", "users", "token", "--name", "rules", dd, "county-x")
	if code != 0 || !strings.HasPrefix(out, auth.TokenPrefix) {
		t.Errorf("users token: %d %q", code, out)
	}
	if _, _, code := runIn(t, "new-password-1\n", "users", "passwd", "--password-stdin", dd, "county-x"); code != 0 {
		t.Errorf("passwd: %d", code)
	}
	st, _ = store.Open(ctx, storetest.SQLiteDSN(dir), store.Options{})
	u, _ := st.User(ctx, "county-x")
	if ok, _ := auth.VerifyPassword(u.PasswordHash, "new-password-1"); !ok {
		t.Error("passwd did not set the password")
	}
	as, _ := st.Audit(ctx, "user/county-x", 10)
	st.Close()
	if len(as) < 3 {
		t.Errorf("audit of the user: %d records, want add, token, passwd", len(as))
	}

	// cases list / act / show.
	out, _, code = runIn(t, "", "cases", "list", dd)
	if code != 0 || !strings.Contains(out, c.ID) || !strings.Contains(out, "工地扬尘") {
		t.Errorf("cases list: %d %q", code, out)
	}
	if _, errs, code := runIn(t, "", "cases", "act", dd, c.ID, "accept"); code != 2 || !strings.Contains(errs, "--as") {
		t.Errorf("act without --as: %d %s", code, errs)
	}
	out, errs, code = runIn(t, "", "cases", "act", "--as", "county-x", dd, c.ID, "accept")
	if code != 0 || !strings.Contains(out, "accept → accepted") {
		t.Fatalf("act accept: %d %q %s", code, out, errs)
	}
	_, errs, code = runIn(t, "", "cases", "act", "--as", "county-x", dd, c.ID, "close")
	if code != 1 || !strings.Contains(errs, "allowed next states: [assigned accepted]") {
		t.Errorf("invalid close: %d %s", code, errs)
	}
	_, errs, code = runIn(t, "", "cases", "act", "--as", "county-x", "--seq", "1", "--assignee", "ent", dd, c.ID, "assign")
	if code != 1 || !strings.Contains(errs, "conflict") {
		t.Errorf("stale seq: %d %s", code, errs)
	}
	out, _, code = runIn(t, "", "cases", "show", dd, c.ID)
	if code != 0 || !strings.Contains(out, "accept") || !strings.Contains(out, "allowed next: assign→assigned") {
		t.Errorf("cases show: %d %q", code, out)
	}

	// petitions list / show with any spelling of the code.
	out, _, code = runIn(t, "", "petitions", "list", dd)
	if code != 0 || !strings.Contains(out, sp.Code) {
		t.Errorf("petitions list: %d %q", code, out)
	}
	out, _, code = runIn(t, "", "petitions", "show", dd, strings.ToLower(strings.ReplaceAll(sp.Code, "-", "")))
	if code != 0 || !strings.Contains(out, "夜间施工噪声") || !strings.Contains(out, "[registered]") {
		t.Errorf("petitions show: %d %q", code, out)
	}
	if _, _, code := runIn(t, "", "petitions", "show", dd, "NOT-A-CODE"); code != 2 {
		t.Errorf("bad code: %d", code)
	}
	for _, cmd := range []string{"users", "cases", "petitions"} {
		if _, _, code := runIn(t, "", cmd, "--help"); code != 0 {
			t.Errorf("%s --help: %d", cmd, code)
		}
		if _, _, code := runIn(t, "", cmd, "bogus"); code != 2 {
			t.Errorf("%s bogus: %d", cmd, code)
		}
	}
}
