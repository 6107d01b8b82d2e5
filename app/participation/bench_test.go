package participation_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/participation"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// The hot paths of a vote, without HTTP: go test -run '^$' -bench . ./app/participation/
// (add MITREDEN_TEST_POSTGRES for the PostgreSQL runs).

func benchDatabases(b *testing.B, fn func(b *testing.B, s *apptest.Server)) {
	for _, d := range storetest.Drivers() {
		b.Run(string(d), func(b *testing.B) { fn(b, apptest.Start(b, storetest.NewDatabase(b, d))) })
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	benchDatabases(b, func(b *testing.B, s *apptest.Server) {
		c := s.Register("bench-auth@example.org", "Bench")
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				v, err := s.App.Accounts.Authenticate(ctx, c.Token)
				if err != nil || v == nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func BenchmarkVote(b *testing.B) {
	benchDatabases(b, func(b *testing.B, s *apptest.Server) {
		const voters = 64
		ctx := context.Background()
		tokens := make([]string, voters)
		for i := range tokens {
			tokens[i] = s.Register(fmt.Sprintf("bench-vote-%d@example.org", i), "Bench").Token
		}
		var next atomic.Int64
		b.SetParallelism(16) // requests wait for their group's commit
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			n := next.Add(1)
			v, err := s.App.Accounts.Authenticate(ctx, tokens[int(n)%voters])
			if err != nil || v == nil {
				b.Fatal(err)
			}
			for i := 0; pb.Next(); i++ {
				if _, err := s.App.Participation.Vote(ctx, v, participation.KindMeasure, 1, i%3-1); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func BenchmarkMeasurePage(b *testing.B) {
	benchDatabases(b, func(b *testing.B, s *apptest.Server) {
		if r := s.Admin().Do("PATCH", "/api/v1/consultations/wir2", map[string]any{"moderation": "post"}); r.Status != 200 {
			b.Fatalf("post-moderation: %d %s", r.Status, r.Body)
		}
		author := s.Register("bench-page@example.org", "Bench")
		for i := range 30 {
			r := author.Do("POST", "/api/v1/measures/1/comments", map[string]any{"body": fmt.Sprintf("Ein Kommentar Nummer %d mit etwas Text.", i), "stance": "pro"})
			if r.Status != 201 {
				b.Fatalf("comment: %d %s", r.Status, r.Body)
			}
		}
		// Anonymous readers get /m/1 from the page cache; members get
		// their own page, rendered each time.
		for _, bc := range []struct {
			name, path string
			c          *apptest.Client
		}{
			{"json", "/api/v1/measures/1", s.Client()},
			{"html-anonymous", "/m/1", s.Client()},
			{"html-member", "/m/1", author},
			{"html-member-uncached", "/m/1", author},
		} {
			b.Run(bc.name, func(b *testing.B) {
				// Uncached: what a member's page costs when the page cache
				// has none to fill in (after every change to the measure).
				s.App.Pages.Cache.SetEnabled(bc.name != "html-member-uncached")
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if r := bc.c.Get(bc.path); r.Status != 200 {
						b.Fatalf("%s: %d", bc.path, r.Status)
					}
				}
			})
		}
	})
}
