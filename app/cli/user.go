package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/mitreden/mitreden/app/access"
	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/securitylog"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/i18n"
)

// groupList is a repeatable --group flag.
type groupList []int64

func (g *groupList) String() string { return fmt.Sprint(*g) }
func (g *groupList) Set(s string) error {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%q is not a group id", s)
	}
	*g = append(*g, id)
	return nil
}

func user(ctx context.Context, args []string, io IO) error {
	if len(args) == 0 {
		return config.Usagef("user: say add, set-password or reset-2fa")
	}
	switch args[0] {
	case "add":
		return userAdd(ctx, args[1:], io)
	case "set-password":
		return userSetPassword(ctx, args[1:], io)
	case "reset-2fa":
		return userResetTwoFactor(ctx, args[1:], io)
	}
	return config.Usagef("user: unknown action %q (use add, set-password or reset-2fa)", args[0])
}

// readPassword takes the first line of standard input without its line end.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", config.Usagef("no password on standard input")
	}
	return line, nil
}

func userAdd(ctx context.Context, args []string, io IO) error {
	var (
		email, name, role string
		groups            groupList
		fromStdin         bool
	)
	st, _, err := openDB(ctx, "user add", args, io, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "e-mail address")
		fs.StringVar(&name, "name", "", "display name")
		fs.StringVar(&role, "role", "", "resident, moderator, expert or admin")
		fs.Var(&groups, "group", "expert group id (repeatable)")
		fs.BoolVar(&fromStdin, "password-stdin", false, "read the password from standard input")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	switch {
	case email == "" || name == "" || role == "":
		return config.Usagef("user add: --email, --name and --role are required")
	case !access.Role(role).Valid():
		return config.Usagef("user add: --role must be resident, moderator, expert or admin")
	case !fromStdin:
		return config.Usagef("user add: give the password on standard input with --password-stdin")
	}
	password, err := readPassword(io.Stdin)
	if err != nil {
		return err
	}
	svc, err := newAccounts(ctx, st)
	if err != nil {
		return err
	}
	u, err := svc.Create(ctx, accounts.NewAccount{Email: email, Password: password, DisplayName: name, Role: access.Role(role), Groups: groups})
	if err != nil {
		return refusedInput("user add", err)
	}
	fmt.Fprintln(io.Stdout, u.ID)
	return nil
}

func userSetPassword(ctx context.Context, args []string, io IO) error {
	var (
		email     string
		fromStdin bool
	)
	st, _, err := openDB(ctx, "user set-password", args, io, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "e-mail address")
		fs.BoolVar(&fromStdin, "password-stdin", false, "read the password from standard input")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	if email == "" || !fromStdin {
		return config.Usagef("user set-password: --email and --password-stdin are required")
	}
	password, err := readPassword(io.Stdin)
	if err != nil {
		return err
	}
	svc, id, err := accountOf(ctx, st, email)
	if err != nil {
		return err
	}
	if err := svc.SetPassword(ctx, id, password, 0); err != nil {
		return refusedInput("user set-password", err)
	}
	securitylog.Write(logger(io), securitylog.PasswordChanged, "user", id)
	fmt.Fprintln(io.Stderr, "password set; every session of", accounts.NormalizeEmail(email), "has ended")
	return nil
}

// newAccounts is the account service of a migrated database.
func newAccounts(ctx context.Context, st *store.Store) (*accounts.Service, error) {
	if err := migrated(ctx, st); err != nil {
		return nil, err
	}
	catalog, err := locale.Load(i18n.Files)
	if err != nil {
		return nil, err
	}
	return accounts.NewService(st, catalog, nil)
}

// accountOf finds the account with the e-mail address, with the service
// to change it by.
func accountOf(ctx context.Context, st *store.Store, email string) (*accounts.Service, int64, error) {
	svc, err := newAccounts(ctx, st)
	if err != nil {
		return nil, 0, err
	}
	id, err := svc.IDByEmail(ctx, email)
	if err != nil {
		return nil, 0, fmt.Errorf("no account with e-mail %s", email)
	}
	return svc, id, nil
}

// refusedInput turns what the account rules refuse (a weak password, a bad
// name or address) into a usage error: exit status 2 and one line that
// names the rule, never the password.
func refusedInput(cmd string, err error) error {
	var p *problem.Problem
	if errors.As(err, &p) && p.Status == http.StatusUnprocessableEntity {
		return config.Usagef("%s: %s", cmd, describe(err))
	}
	return err
}

// userResetTwoFactor turns off an account's two-factor sign-in, for
// someone who lost both the device and the recovery codes; the password
// stays, so signing in needs it alone again.
func userResetTwoFactor(ctx context.Context, args []string, io IO) error {
	st, email, err := openDBWith(ctx, "user reset-2fa", args, io, "email", "e-mail address", "--email")
	if err != nil {
		return err
	}
	defer st.Close()
	svc, id, err := accountOf(ctx, st, email)
	if err != nil {
		return err
	}
	was, err := svc.ResetTwoFactor(ctx, 0, id)
	if err != nil {
		return err
	}
	address := accounts.NormalizeEmail(email)
	if !was {
		fmt.Fprintln(io.Stderr, "two-factor sign-in was not on for", address)
		return nil
	}
	securitylog.Write(logger(io), securitylog.TwoFactorOff, "user", id, "actor", "command line")
	fmt.Fprintln(io.Stderr, "two-factor sign-in turned off for", address)
	return nil
}
