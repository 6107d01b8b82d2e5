package server_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/server"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// Instances starting together on one empty database migrate and seed once.
func TestInstancesStartingTogetherSetUpOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db config.Database) {
		const instances = 4
		apps := make([]*server.App, instances)
		errs := make([]error, instances)
		var wg sync.WaitGroup
		for i := range instances {
			wg.Add(1)
			go func() {
				defer wg.Done()
				apps[i], errs[i] = server.Build(context.Background(), apptest.Config(db), server.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("instance %d: %v", i, err)
			}
			defer apps[i].Close()
		}
		ctx := context.Background()
		for _, q := range []struct {
			sql  string
			want int
		}{
			{"SELECT COUNT(*) FROM consultations WHERE slug = 'wir2'", 1},
			{"SELECT COUNT(*) FROM users WHERE role = 'admin'", 1},
			{"SELECT COUNT(*) FROM expert_groups", 7},
			{"SELECT COUNT(*) FROM settings WHERE key = 'initialized_at'", 1},
		} {
			var n int
			if err := apps[0].Store.DB.NewRaw(q.sql).Scan(ctx, &n); err != nil || n != q.want {
				t.Errorf("%s: %d (%v), want %d", q.sql, n, err, q.want)
			}
		}
	})
}
