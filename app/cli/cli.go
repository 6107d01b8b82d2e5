// Package cli is mitreden's command line: serve (the default), migrate,
// user, export, bench and backup. Mistakes in how it is called (bad flags,
// a bad database URL, an unreachable database) end with one line on
// standard error and exit status 2; other failures with exit status 1.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/mitreden/mitreden/app/bench"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/export"
	"github.com/mitreden/mitreden/app/locale"
	"github.com/mitreden/mitreden/app/mail"
	"github.com/mitreden/mitreden/app/notifications"
	"github.com/mitreden/mitreden/app/problem"
	"github.com/mitreden/mitreden/app/server"
	"github.com/mitreden/mitreden/app/store"
	"github.com/mitreden/mitreden/i18n"
)

// IO is where a command reads and writes.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Env            config.Env
}

const usage = `mitreden – a citizen participation platform

Usage:
  mitreden [serve] [--addr A] [--db URL] [--no-demo]
  mitreden migrate [up|down|status] [--db URL]
  mitreden user add --email E --name N --role R [--group ID]... --password-stdin [--db URL]
  mitreden user set-password --email E --password-stdin [--db URL]
  mitreden user reset-2fa --email E [--db URL]
  mitreden backup -o FILE [--db URL]
  mitreden export (--group ID | --consultation SLUG) --format csv|xlsx|json|md [--lang de] [-o FILE] [--db URL]
  mitreden mail digest [--db URL]
  mitreden bench [--db URL] [--duration D] [--concurrency N] [--scenarios LIST] [--instances N] [--live-sockets N] [--export-comments N]

Configuration (flags win): MITREDEN_ADDR, MITREDEN_DB, MITREDEN_RATE_LIMITS,
MITREDEN_TRUSTED_PROXIES, MITREDEN_BODY_LIMIT, MITREDEN_ADMIN_EMAIL,
MITREDEN_ADMIN_PASSWORD, MITREDEN_LOG_REQUESTS. See README.md.
`

// Main runs the command in args and answers the exit status.
func Main(args []string, io IO) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, args, io)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(io.Stdout, usage)
		return 0
	case isUsage(err):
		fmt.Fprintln(io.Stderr, "mitreden: "+oneLine(err.Error()))
		return 2
	default:
		fmt.Fprintln(io.Stderr, "mitreden: "+oneLine(describe(err)))
		return 1
	}
}

// isUsage reports whether err is the caller's to fix: a mistake in how
// mitreden was called, a database that cannot be opened or reached, or a
// backup refused before it began (exit status 2).
func isUsage(err error) bool {
	return config.IsUsage(err) || errors.Is(err, store.ErrCannotOpen) || errors.Is(err, store.ErrBackupRefused)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// describe turns a validation problem into words for a terminal.
func describe(err error) string {
	var p *problem.Problem
	if !errors.As(err, &p) || p.Status >= 500 {
		return err.Error()
	}
	catalog, lerr := locale.Load(i18n.Files)
	if lerr != nil {
		return err.Error()
	}
	l := catalog.Get("en")
	parts := []string{l.T(p.DetailKey, p.DetailArgs)}
	for _, fe := range p.Errors {
		parts = append(parts, fe.Field+": "+l.T(fe.Key, fe.Args))
	}
	return strings.Join(parts, " ")
}

// commands are the subcommands by name.
var commands = map[string]func(ctx context.Context, args []string, io IO) error{
	"serve": serve, "migrate": migrate, "user": user, "backup": backup, "bench": benchmark, "export": exportCmd, "mail": mailCmd,
}

func run(ctx context.Context, args []string, io IO) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" && args[0] != "-help" {
		return serve(ctx, args, io)
	}
	cmd, rest := args[0], args[1:]
	if run, ok := commands[cmd]; ok {
		return run(ctx, rest, io)
	}
	switch cmd {
	case "help", "-h", "--help", "-help":
		return flag.ErrHelp
	}
	return config.Usagef("unknown command %q (try mitreden help)", cmd)
}

func logger(io IO) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func serve(ctx context.Context, args []string, io IO) error {
	cfg, err := config.ParseServer(args, io.Env)
	if err != nil {
		return err
	}
	return server.Run(ctx, cfg, server.Options{Log: logger(io)})
}

// openDB parses --db and opens the database for a maintenance command.
func openDB(ctx context.Context, name string, args []string, io IO, extra func(*flag.FlagSet)) (*store.Store, *flag.FlagSet, error) {
	fs := config.NewFlagSet(name)
	db := config.DBFlag(fs, io.Env)
	if extra != nil {
		extra(fs)
	}
	if err := config.ParseFlags(fs, args); err != nil {
		return nil, nil, err
	}
	parsed, err := config.ParseDatabase(*db)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, parsed, store.Options{})
	return st, fs, err
}

// migrated applies pending migrations, so maintenance commands also work
// on a database that was never served.
func migrated(ctx context.Context, st *store.Store) error {
	return st.WithSetupLock(ctx, func(ctx context.Context) error {
		_, err := st.Migrate(ctx)
		return err
	})
}

func migrate(ctx context.Context, args []string, io IO) error {
	action := "up"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		action, args = args[0], args[1:]
	}
	if action != "up" && action != "down" && action != "status" {
		return config.Usagef("migrate: unknown action %q (use up, down or status)", action)
	}
	st, _, err := openDB(ctx, "migrate", args, io, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	return st.WithSetupLock(ctx, func(ctx context.Context) error {
		switch action {
		case "up":
			names, err := st.Migrate(ctx)
			return report(io, names, err, "applied", "the database is up to date")
		case "down":
			names, err := st.Rollback(ctx)
			return report(io, names, err, "rolled back", "nothing to roll back")
		}
		return migrationStatus(ctx, st, io)
	})
}

// report prints each migration done, or none when there was nothing to do.
func report(io IO, names []string, err error, done, none string) error {
	for _, n := range names {
		fmt.Fprintln(io.Stdout, done, n)
	}
	if err == nil && len(names) == 0 {
		fmt.Fprintln(io.Stdout, none)
	}
	return err
}

// migrationStatus prints every migration as applied or pending.
func migrationStatus(ctx context.Context, st *store.Store, io IO) error {
	states, err := st.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, s := range states {
		mark := "pending"
		if s.Applied {
			mark = "applied"
		}
		fmt.Fprintf(io.Stdout, "%-8s %s\n", mark, s.Name)
	}
	return nil
}

// openDBWith is openDB for a command that needs one string flag (name,
// described by help): without it, the command is refused with a usage
// line that says missing is required.
func openDBWith(ctx context.Context, cmd string, args []string, io IO, name, help, missing string) (*store.Store, string, error) {
	var value string
	st, _, err := openDB(ctx, cmd, args, io, func(fs *flag.FlagSet) {
		fs.StringVar(&value, name, "", help)
	})
	if err != nil {
		return nil, "", err
	}
	if value == "" {
		st.Close()
		return nil, "", config.Usagef("%s: %s is required", cmd, missing)
	}
	return st, value, nil
}

func backup(ctx context.Context, args []string, io IO) error {
	st, out, err := openDBWith(ctx, "backup", args, io, "o", "file to write the copy to", "-o FILE")
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, out); err != nil {
		return err
	}
	fmt.Fprintln(io.Stderr, "backup written to", out)
	return nil
}

func benchmark(ctx context.Context, args []string, io IO) error {
	fs := config.NewFlagSet("bench")
	db := fs.String("db", "", "postgres://… to run on a scratch database on that server (default: a temporary SQLite file)")
	duration := fs.Duration("duration", 5*time.Second, "how long each scenario runs")
	concurrency := fs.Int("concurrency", 32, "concurrent clients")
	list := fs.String("scenarios", strings.Join(bench.DefaultScenarios, ","), "comma-separated scenarios")
	users := fs.Int("users", 500, "accounts that vote and comment")
	comments := fs.Int("comments", 200, "comments the comment-list scenario reads")
	liveSockets := fs.Int("live-sockets", 1000, "sockets the live scenario opens (20000 for the target; mind ulimit -n)")
	exportComments := fs.Int("export-comments", 20000, "comments added to the demo consultation before the export scenarios download it")
	instances := fs.Int("instances", 1, "servers side by side on one PostgreSQL database, taken in turn (PostgreSQL only)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (server and load) to this file")
	if err := config.ParseFlags(fs, args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	o := bench.Options{
		DB: config.Database{Driver: config.SQLite}, Duration: *duration, Concurrency: *concurrency,
		Users: *users, Comments: *comments, LiveSockets: *liveSockets, ExportComments: *exportComments, Instances: *instances,
		Out: io.Stdout, Log: io.Stderr,
	}
	if *db != "" {
		parsed, err := config.ParseDatabase(*db)
		if err != nil {
			return err
		}
		if parsed.Driver == config.Postgres {
			o.DB = parsed
		}
	}
	if err := checkBench(o); err != nil {
		return err
	}
	for _, name := range strings.Split(*list, ",") {
		if name = strings.TrimSpace(name); name != "" {
			o.Scenarios = append(o.Scenarios, name)
		}
	}
	return bench.Run(ctx, o)
}

// startCPUProfile profiles the whole run into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, config.Usagef("bench: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// checkBench refuses sizes outside what a run can sensibly take.
func checkBench(o bench.Options) error {
	switch {
	case o.Duration <= 0 || o.Duration > time.Hour:
		return config.Usagef("bench: --duration must be between 0 and 1h")
	case o.Concurrency < 1 || o.Concurrency > 10000:
		return config.Usagef("bench: --concurrency must be between 1 and 10000")
	case o.Users < 1 || o.Users > 100000:
		return config.Usagef("bench: --users must be between 1 and 100000")
	case o.LiveSockets < 1 || o.LiveSockets > 100000:
		return config.Usagef("bench: --live-sockets must be between 1 and 100000")
	case o.ExportComments < 1 || o.ExportComments > 10_000_000:
		return config.Usagef("bench: --export-comments must be between 1 and 10000000")
	case o.Instances < 1 || o.Instances > 16:
		return config.Usagef("bench: --instances must be between 1 and 16")
	case o.Instances > 1 && o.DB.Driver != config.Postgres:
		return config.Usagef("bench: --instances needs --db postgres://…: instances share one database only on PostgreSQL")
	}
	return nil
}

// exportCmd writes the same file as the export endpoints, to -o or
// standard output, with a progress line on standard error.
func exportCmd(ctx context.Context, args []string, io IO) error {
	var a exportArgs
	st, _, err := openDB(ctx, "export", args, io, func(fs *flag.FlagSet) {
		fs.Int64Var(&a.group, "group", 0, "expert group id")
		fs.StringVar(&a.slug, "consultation", "", "consultation slug (the whole consultation)")
		fs.StringVar(&a.format, "format", "", "csv, xlsx, json or md")
		fs.StringVar(&a.lang, "lang", "de", "language of texts and column headers")
		fs.StringVar(&a.out, "o", "", "file to write (default: standard output)")
	})
	if err != nil {
		return err
	}
	defer st.Close()
	switch {
	case (a.group == 0) == (a.slug == ""):
		return config.Usagef("export: give either --group ID or --consultation SLUG")
	case a.group < 0:
		return config.Usagef("export: --group must be a positive id")
	case !export.ValidFormat(a.format):
		return config.Usagef("export: --format must be csv, xlsx, json or md")
	}
	catalog, err := locale.Load(i18n.Files)
	if err != nil {
		return err
	}
	if !catalog.Supported(a.lang) {
		return config.Usagef("export: --lang %q is not a supported language", a.lang)
	}
	l := catalog.Get(a.lang)
	if err := migrated(ctx, st); err != nil {
		return err
	}
	ex := export.New(st)
	sc, err := a.scope(ctx, ex, l)
	if err != nil {
		return err
	}
	return a.write(ctx, io, ex, sc, l)
}

// exportArgs are the export command's flags.
type exportArgs struct {
	group              int64
	slug, format, lang string
	out                string
}

// scope finds the expert group or consultation to export.
func (a *exportArgs) scope(ctx context.Context, ex *export.Exporter, l *locale.Localizer) (export.Scope, error) {
	var (
		sc  export.Scope
		err error
	)
	if a.group != 0 {
		sc, err = ex.GroupScope(ctx, a.group, l)
	} else {
		sc, err = ex.ConsultationScope(ctx, a.slug, l)
	}
	var p *problem.Problem
	if errors.As(err, &p) && p.Status == 404 {
		return sc, fmt.Errorf("export: no such expert group or consultation")
	}
	return sc, err
}

// write writes the export to -o or standard output; from 10,000 items on
// a progress line on standard error says how far it got.
func (a *exportArgs) write(ctx context.Context, io IO, ex *export.Exporter, sc export.Scope, l *locale.Localizer) error {
	w := io.Stdout
	var f *os.File
	if a.out != "" {
		var err error
		if f, err = os.Create(a.out); err != nil {
			return config.Usagef("export: %v", err)
		}
		w = f
	}
	start := time.Now()
	printed := false
	progress := func(n int64) {
		if n < 10000 {
			return
		}
		printed = true
		fmt.Fprintf(io.Stderr, "\rexported %d ideas and comments (%s)", n, time.Since(start).Round(100*time.Millisecond))
	}
	err := ex.Write(ctx, w, sc, a.format, l, progress)
	if printed {
		fmt.Fprintln(io.Stderr)
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			fmt.Fprintln(io.Stderr, "export written to", a.out)
		}
	}
	return err
}

// mailCmd is `mitreden mail digest`: every pending daily notification
// goes out now, one mail per person, through MITREDEN_SMTP_URL (or the
// log); nothing when none is pending.
func mailCmd(ctx context.Context, args []string, io IO) error {
	if len(args) == 0 || args[0] != "digest" {
		return config.Usagef("mail: the command is: mitreden mail digest [--db URL]")
	}
	cfg, err := config.ParseServer(args[1:], io.Env)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := migrated(ctx, st); err != nil {
		return err
	}
	catalog, err := locale.Load(i18n.Files)
	if err != nil {
		return err
	}
	log := logger(io)
	m := mail.New(st, catalog, cfg, mail.Options{}, log)
	n, err := notifications.NewMailer(st, catalog, m, log).SendDigests(ctx)
	if err != nil {
		return err
	}
	m.DeliverNow(ctx)
	fmt.Fprintf(io.Stderr, "%d digest mails sent\n", n)
	return nil
}
