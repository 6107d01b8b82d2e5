// Package bench is `mitreden bench`: it starts a real mitreden on a fresh
// database of its own, seeds it, runs each load scenario against it over
// HTTP from the same process, and prints one table with throughput,
// p50/p99 latency and each scenario's ratio to a baseline measured in the
// same run on the same machine (a bare Fiber handler for reads, raw
// single-row inserts with the same durability for writes), because shared
// machines are too noisy for absolute numbers to mean much.
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/valyala/fasthttp"

	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/server"
)

// Options are the bench flags.
type Options struct {
	DB          config.Database
	Duration    time.Duration
	Concurrency int
	Scenarios   []string
	// Users is how many accounts vote and comment.
	Users int
	// Comments is how many comments the comment list scenario reads through.
	Comments int
	// LiveSockets is how many sockets the live scenario opens (default 1,000).
	LiveSockets int
	// ExportComments is how many comments the export scenarios add to the
	// demo consultation before they download it (default 20,000).
	ExportComments int
	// Instances is how many servers answer the request scenarios, side by
	// side on one PostgreSQL database (default 1): each has its own pool,
	// writers, sequencer, live hub and caches, as separate processes
	// behind a proxy would. Workers take them in turn.
	Instances int
	Out       io.Writer
	Log       io.Writer
}

// Scenario is one load.
type Scenario struct {
	Name string
	// Baseline names the scenario this one is compared with.
	Baseline string
	// Do sends one request with worker's client and reports whether it
	// succeeded.
	Do func(w *worker) bool
	// Run replaces Do for scenarios that measure something else than
	// requests (live fan-out, exports); it answers the result row.
	Run func(ctx context.Context, e *env) (Result, error)
	// Clients, when set, replaces --concurrency for this scenario.
	Clients int
}

// Result is one row of the table.
type Result struct {
	Name       string
	Requests   int64
	Errors     int64
	Elapsed    time.Duration
	Latencies  []time.Duration
	Throughput float64
	Unit       string
	Ratio      float64
	Baseline   string
	Note       string
}

func (r *Result) finish() {
	if r.Elapsed > 0 && r.Throughput == 0 {
		r.Throughput = float64(r.Requests) / r.Elapsed.Seconds()
	}
	slices.Sort(r.Latencies)
}

func (r *Result) percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.Latencies)-1) * p)
	return r.Latencies[i]
}

// env is what scenarios run against.
type env struct {
	opts Options
	app  *server.App // the first instance
	// addrs are every instance's address, the first instance's first
	// (see Instances).
	addrs    []string
	baseAddr string
	tokens   []string
	measures []int64
	scratch  string       // directory for the write baseline's database
	turn     atomic.Int64 // the resident whose turn it is (vote-64)
	export   exportSetup
}

type worker struct {
	e      *env
	client *fasthttp.HostClient
	rng    *rand.Rand
	req    *fasthttp.Request
	resp   *fasthttp.Response
}

// DefaultScenarios is the order of the table.
var DefaultScenarios = []string{
	"baseline-http", "measure-json", "measure-html", "measure-html-member", "measure-html-member-gzip", "comments", "comments-member", "baseline-write", "vote",
	"baseline-http-64", "vote-64", "comment", "live",
	"export-raw", "export-csv", "export-xlsx",
}

// Run starts the server, runs the scenarios and prints the table.
func Run(ctx context.Context, o Options) error {
	if o.Duration <= 0 {
		o.Duration = 5 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.Users <= 0 {
		o.Users = 500
	}
	if o.Comments <= 0 {
		o.Comments = 200
	}
	if o.LiveSockets <= 0 {
		o.LiveSockets = 1000
	}
	if o.ExportComments <= 0 {
		o.ExportComments = 20_000
	}
	if o.Instances <= 0 {
		o.Instances = 1
	}
	if len(o.Scenarios) == 0 {
		o.Scenarios = DefaultScenarios
	}
	known := scenarios()
	for _, name := range o.Scenarios {
		if _, ok := known[name]; !ok {
			return config.Usagef("bench: unknown scenario %q (known: %s)", name, strings.Join(sortedKeys(known), ", "))
		}
	}
	e, cleanup, err := start(ctx, o)
	if err != nil {
		return err
	}
	defer cleanup()
	var results []Result
	byName := map[string]*Result{}
	for _, name := range o.Scenarios {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fmt.Fprintf(o.Log, "bench: %s …\n", name)
		s := known[name]
		s.Name = name
		var r Result
		if s.Run != nil {
			r, err = s.Run(ctx, e)
			if err != nil {
				return fmt.Errorf("bench %s: %w", name, err)
			}
		} else {
			r = e.load(ctx, s)
		}
		r.Name, r.Baseline = name, s.Baseline
		r.finish()
		results = append(results, r)
		byName[name] = &results[len(results)-1]
	}
	for i := range results {
		r := &results[i]
		if b, ok := byName[r.Baseline]; ok && b.Throughput > 0 {
			r.Ratio = r.Throughput / b.Throughput
		}
	}
	print(o, results)
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// start builds the server on a database of its own and seeds what the
// scenarios need.
func start(ctx context.Context, o Options) (*env, func(), error) {
	dir, err := os.MkdirTemp("", "mitreden-bench-")
	if err != nil {
		return nil, nil, err
	}
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
		os.RemoveAll(dir)
	}
	db := o.DB
	if db.Driver == config.Postgres {
		scratch, drop, err := scratchPostgres(ctx, db)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		cleanups = append(cleanups, drop)
		db = scratch
	} else {
		db = config.Database{Driver: config.SQLite, Path: filepath.Join(dir, "bench.db")}
	}
	cfg := config.Server{
		Addr: "127.0.0.1:0", DB: db, Demo: true, RateLimits: false, BodyLimit: 1 << 20,
		AdminEmail: "bench-admin@example.org", AdminPassword: "bench-keeper-password", HideAfterReports: 3,
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Accounts are created by the thousand: cheap hashes keep the set-up short.
	cheap := &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	var (
		app   *server.App
		addrs []string
	)
	for i := range o.Instances {
		// The first instance migrates and seeds the demo; the others
		// find them in place.
		cfg.Demo = i == 0
		one, err := server.Build(ctx, cfg, server.Options{Log: quiet, HashParams: cheap})
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			one.Close()
			cleanup()
			return nil, nil, err
		}
		if i == 0 {
			app = one
		}
		addrs = append(addrs, ln.Addr().String())
		cleanups = append(cleanups, serve(one, ln))
	}
	baseAddr, stopBase, err := startBaseline()
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	cleanups = append(cleanups, stopBase)
	e := &env{opts: o, app: app, addrs: addrs, baseAddr: baseAddr, scratch: dir}
	if err := e.seed(ctx); err != nil {
		cleanup()
		return nil, nil, err
	}
	return e, cleanup, nil
}

// serve answers requests on ln until the answered stop, which also
// closes app.
func serve(app *server.App, ln net.Listener) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { app.Serve(ctx, ln); close(done) }()
	return func() { cancel(); <-done; app.Close() }
}

// load runs a request scenario with Concurrency workers for Duration,
// spread over the instances in turn.
func (e *env) load(ctx context.Context, s Scenario) Result {
	o := e.opts
	addrs := e.addrs
	if strings.HasPrefix(s.Name, "baseline-http") {
		addrs = []string{e.baseAddr}
	}
	clients := o.Concurrency
	if s.Clients > 0 {
		clients = s.Clients
	}
	hosts := make([]*fasthttp.HostClient, len(addrs))
	for i, addr := range addrs {
		hosts[i] = &fasthttp.HostClient{Addr: addr, MaxConns: clients * 2, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	}
	r := drive(ctx, clients, o.Duration, func(i int, start time.Time) (func() bool, func()) {
		w := &worker{e: e, client: hosts[i%len(hosts)], rng: rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano()))),
			req: fasthttp.AcquireRequest(), resp: fasthttp.AcquireResponse()}
		return func() bool { return s.Do(w) }, func() {
			fasthttp.ReleaseRequest(w.req)
			fasthttp.ReleaseResponse(w.resp)
		}
	})
	r.Unit = "req/s"
	return r
}

// drive runs clients side by side for d: each calls its step until time
// is up (or ctx ends), and every call is counted with its latency; a step
// answering false is an error.
func drive(ctx context.Context, clients int, d time.Duration, newClient func(i int, start time.Time) (step func() bool, done func())) Result {
	deadline := time.Now().Add(d)
	var (
		wg       sync.WaitGroup
		requests atomic.Int64
		errs     atomic.Int64
		mu       sync.Mutex
		all      []time.Duration
	)
	start := time.Now()
	for i := range clients {
		wg.Go(func() {
			step, done := newClient(i, start)
			defer done()
			lat := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				if !step() {
					errs.Add(1)
				}
				lat = append(lat, time.Since(t0))
				requests.Add(1)
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return Result{Requests: requests.Load(), Errors: errs.Load(), Elapsed: time.Since(start), Latencies: all}
}

// do sends the worker's prepared request and checks the status.
func (w *worker) do(method, path string, body []byte, token string, want int) bool {
	return w.doEncoded(method, path, body, token, "", want)
}

// doEncoded is do with an Accept-Encoding header, as browsers send it.
func (w *worker) doEncoded(method, path string, body []byte, token, encoding string, want int) bool {
	w.req.Reset()
	w.resp.Reset()
	w.req.Header.SetMethod(method)
	if encoding != "" {
		w.req.Header.Set("Accept-Encoding", encoding)
	}
	w.req.SetRequestURI("http://" + w.client.Addr + path)
	if token != "" {
		w.req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		w.req.Header.SetContentType("application/json")
		w.req.SetBody(body)
	}
	if err := w.client.Do(w.req, w.resp); err != nil {
		return false
	}
	return w.resp.StatusCode() == want
}

func print(o Options, results []Result) {
	instances := ""
	if o.Instances > 1 {
		instances = fmt.Sprintf(", %d instances", o.Instances)
	}
	fmt.Fprintf(o.Out, "mitreden bench: %s%s, %d workers, %s per scenario, %s\n\n", o.DB.Driver, instances, o.Concurrency, o.Duration, machine())
	fmt.Fprintf(o.Out, "| scenario | requests | throughput | p50 | p99 | errors | ratio to baseline |\n")
	fmt.Fprintf(o.Out, "| --- | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, r := range results {
		ratio := "–"
		if r.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f × %s", r.Ratio, r.Baseline)
		}
		note := ""
		if r.Note != "" {
			note = " (" + r.Note + ")"
		}
		fmt.Fprintf(o.Out, "| %s%s | %d | %.0f %s | %s | %s | %d | %s |\n", r.Name, note, r.Requests, r.Throughput, r.Unit,
			round(r.percentile(0.50)), round(r.percentile(0.99)), r.Errors, ratio)
	}
}

func round(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d.Microseconds()))
	}
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

func machine() string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "model name") {
				_, cpu, _ = strings.Cut(line, ":")
				cpu = strings.TrimSpace(cpu)
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s)", numCPU(), cpu)
}
