package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/mitreden/mitreden/app/accounts"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/securitylog"
)

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

// userResetTwoFactor turns off an account's two-factor sign-in, for
// someone who lost both the device and the recovery codes; the password
// stays, so signing in needs it alone again.
func userResetTwoFactor(ctx context.Context, args []string, io IO) error {
	var email string
	st, _, err := openDB(ctx, "user reset-2fa", args, io, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "e-mail address")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	if email == "" {
		return config.Usagef("user reset-2fa: --email is required")
	}
	if err := migrated(ctx, st); err != nil {
		return err
	}
	svc, err := newAccounts(st)
	if err != nil {
		return err
	}
	id, err := svc.IDByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("no account with e-mail %s", email)
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
